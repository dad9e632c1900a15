"""Schedules and the hypothesis strategies: valid by construction, readable, shrinking to small faults."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from mock_halo import strategies as hs
from mock_halo.chaos import (
    AsyncOutcome,
    EarlyRetention,
    HttpError,
    Latency,
    PageUploads,
    Schedule,
    SiteOutage,
    SlowQuery,
    SqlFailure,
    TokenExpiry,
    WebhookFault,
)
from mock_halo.config import load_settings
from mock_halo.scenarios import ScenarioBook

QUICK = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(schedule=hs.schedules(surfaces=("token", "immediate", "async", "query", "registered", "fhir"), kinds=hs.ALL_KINDS,
                             max_faults=6))
def test_every_generated_schedule_is_accepted_by_the_rule_parser(schedule: Schedule):
    book = ScenarioBook()
    for rule in schedule.rules():
        book.add(rule)  # ScenarioError here would be a schedule the control plane refuses
    changes = schedule.availability_changes()
    assert [t for t, _ in changes] == sorted(t for t, _ in changes)
    assert all(state in ("online", "offline", "unreachable") for _, state in changes)
    assert all(a[1] != b[1] for a, b in zip(changes, changes[1:], strict=False))  # only real changes
    load_settings(env={}, overrides={"clock": "virtual", **schedule.settings()})
    assert schedule.describe()


@QUICK
@given(schedule=hs.schedules(surfaces=("token", "immediate")))
def test_without_async_no_async_only_faults(schedule: Schedule):
    for fault in schedule.faults:
        assert not isinstance(fault, (AsyncOutcome, SlowQuery, PageUploads, EarlyRetention))
        assert getattr(fault, "surface", "token") in ("token", "immediate")


@settings(max_examples=5, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_each_kind_can_be_asked_for_alone(data):
    expected = {
        "http-error": HttpError, "latency": Latency, "sql-failure": SqlFailure, "async-outcome": AsyncOutcome,
        "slow-query": SlowQuery, "page-uploads": PageUploads, "early-retention": EarlyRetention,
        "site-outage": SiteOutage, "token-expiry": TokenExpiry, "webhook-fault": WebhookFault,
    }
    for kind, cls in expected.items():
        assert type(data.draw(hs.faults(kinds=[kind]))) is cls


def test_unknown_or_inapplicable_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        hs.faults(kinds=["meteor-strike"])
    with pytest.raises(ValueError, match="no fault kind"):
        hs.faults(surfaces=("token",), kinds=["page-uploads"])


@pytest.mark.parametrize(
    "wanted, minimal",
    [
        (lambda f: True, HttpError(surface="token", status=503)),
        (lambda f: isinstance(f, HttpError) and f.status == 429, HttpError(surface="token", status=429, retry_after=1)),
        (lambda f: isinstance(f, TokenExpiry), TokenExpiry(3600)),
        (lambda f: isinstance(f, PageUploads) and f.stall_after_pages is not None,
         PageUploads(page_size_bytes=4096, stall_after_pages=0)),
        (lambda f: isinstance(f, SiteOutage), SiteOutage("offline", 0, 1)),
    ],
)
def test_schedules_shrink_to_one_simple_fault(wanted, minimal):
    """The fault a condition needs shrinks to its mildest form, with at most one bystander left."""
    found = find(hs.schedules(), lambda s: any(wanted(f) for f in s.faults),
                 settings=settings(database=None, max_examples=2000), random=Random(0))
    assert minimal in found.faults and len(found.faults) <= 2, found


def test_descriptions_read_as_halo_behaviour():
    schedule = Schedule((
        HttpError(surface="query", ordinal=2, count=None, status=429, retry_after=5),
        AsyncOutcome(status="expiredInQueue", queued_ms=90_000),
        PageUploads(page_size_bytes=512, page_upload_ms=3000, fail_after_pages=2),
        SiteOutage("unreachable", 30, 600),
        TokenExpiry(120),
    ))
    assert schedule.describe().splitlines() == [
        "  f1. 429 (Retry-After 5 s) on the 2nd status poll or page download from then on",
        "  f2. expiredInQueue, queued 90 s on the 1st async submission once",
        "  f3. 512-byte pages taking 3 s each, upload fails after 2 page(s) on the 1st async submission once",
        "  f4. site unreachable from 30 s for 600 s",
        "  f5. device tokens expire after 120 s",
    ]
    assert [r["id"] for r in schedule.rules()] == ["f1-http-error", "f2-async-outcome", "f3-page-uploads"]
    assert schedule.rules()[2]["outcome"] == {"pageSizeBytes": 512, "pageUploadMs": 3000, "status": "uploadFailed", "failAfterPages": 2}
    assert schedule.settings() == {"token_lifetime_s": 120}
    assert Schedule().describe() == "a good day: no faults"
    assert WebhookFault(count=None, faults="duplicate:3,outOfOrder").describe() == (
        "webhook duplicate:3,outOfOrder on the 1st async submission from then on")


def test_overlapping_outages_merge_into_one_timeline():
    schedule = Schedule((SiteOutage("offline", 10, 50), SiteOutage("unreachable", 30, 60), SiteOutage("offline", 200, 5)))
    assert schedule.availability_changes() == [(10, "offline"), (30, "unreachable"), (90, "online"), (200, "offline"), (205, "online")]
    assert Schedule((TokenExpiry(600), TokenExpiry(90))).settings() == {"token_lifetime_s": 90}


def test_a_page_upload_fault_cannot_both_fail_and_stall():
    with pytest.raises(ValueError, match="either fails or stalls"):
        PageUploads(fail_after_pages=1, stall_after_pages=1)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_fault_values_stay_in_the_documented_ranges(data):
    fault = data.draw(hs.faults())
    if isinstance(fault, HttpError):
        assert fault.status in (429, 500, 503, 504) and (fault.retry_after is not None) == (fault.status == 429)
    if isinstance(fault, TokenExpiry):
        assert 60 <= fault.lifetime_s <= 3600
    if isinstance(fault, PageUploads):
        assert fault.page_size_bytes in hs.PAGE_SIZES
