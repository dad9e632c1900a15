"""Schedules and the hypothesis strategies: valid by construction, readable, shrinking to small faults."""

from __future__ import annotations

import base64
import json
from random import Random

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from mock_halo import strategies as hs
from mock_halo.chaos import (
    AsyncOutcome,
    DataEdit,
    EarlyRetention,
    HttpError,
    Latency,
    PageUploads,
    RowsKept,
    Schedule,
    SiteOutage,
    SlowQuery,
    SqlFailure,
    TextValue,
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


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(schedule=hs.schedules(kinds=["token-expiry"], data=hs.bp_patients(), min_faults=1))
def test_data_edits_join_schedules_as_setup_sql(schedule: Schedule):
    for fault in schedule.faults:
        assert isinstance(fault, (TokenExpiry, RowsKept, TextValue))
    edits = [f for f in schedule.faults if not isinstance(f, TokenExpiry)]
    assert schedule.setup_sql() == [sql for e in edits for sql in e.setup_sql()]
    assert all(e.describe().startswith("data: PATIENTS") for e in edits)


SHAPES = {"A": ("NVARCHAR(3)", 3, "utf-16-le", 2), "B": ("CHAR(5)", 5, "cp1252", 1), "C": (2, 2, "utf-16-le", 2)}


@QUICK
@given(edit=hs.column_edits("T", "ID", {name: shape[0] for name, shape in SHAPES.items()}))
def test_text_values_fit_the_column_they_are_written_to(edit: TextValue):
    _, length, encoding, unit = SHAPES[edit.column]
    assert len(edit.value.encode(encoding)) // unit <= length  # CHAR: Windows-1252 only, NVARCHAR: UTF-16 units
    assert edit.setup_sql() == [f"UPDATE T SET {edit.column} = N'{edit.value.replace(chr(39), chr(39) * 2)}' WHERE ID = {edit.row}"]


def test_text_values_follow_the_schema():
    quiet = settings(database=None)
    edits = hs.column_edits("T", "ID", {"A": "NVARCHAR(3)"})
    assert find(edits, lambda e: len(e.value) >= 3 and set(e.value) == {"W"}, settings=quiet,
                random=Random(0)).value == "W" * 3  # the column's full length, never more
    # CHAR holds Windows-1252 text only: no other scripts, no emoji
    assert not any(hs._fits(t, 40, False) for t in ("李小龍", "🙂")) and hs._fits("Zoë", 3, False)
    assert not hs._fits("🙂🙂", 3, True)  # two UTF-16 units each
    edit = TextValue(table="PATIENTS", key="INTERNALID", row=2, column="SURNAME", value="O'Brien")
    assert edit.setup_sql() == ["UPDATE PATIENTS SET SURNAME = N'O''Brien' WHERE INTERNALID = 2"]
    with pytest.raises(ValueError, match="no column PATIENTS.NICKNAME"):
        hs.column_edits("PATIENTS", "INTERNALID", ["NICKNAME"])
    with pytest.raises(ValueError, match="not a text column"):
        hs.column_edits("PATIENTS", "INTERNALID", ["DOB"])


def _surnames(halo):
    form = {"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d", "site_id": halo.site_id}
    token = halo.http.post("/integrator/token", data=form, headers={"Ocp-Apim-Subscription-Key": halo.subscription_key})
    headers = {"Authorization": "Bearer " + token.json()["access_token"], "DeviceId": "d"}
    body = halo.http.post(f"/device/sites/{halo.site_id}/queries/immediate", headers=headers,
                          json={"command": {"text": "SELECT Surname FROM BPS_Patients WHERE InternalID <= 2"}}).json()
    return json.loads(base64.b64decode(body["result"]["data"]))


def test_an_empty_practice_and_an_awkward_name_reach_the_client():
    from mock_halo.chaos import ChaosRunner
    from tests.conftest import make_settings

    runner = ChaosRunner(make_settings())
    empty = find(hs.bp_patients(), lambda e: True, settings=settings(database=None), random=Random(0))
    assert empty.describe() == "data: PATIENTS is empty" and runner.run(Schedule((empty,)), _surnames).result == []
    one = RowsKept(table="PATIENTS", key="INTERNALID", keep=1, hide=hs.BP_DELETED_PATIENT)
    named = TextValue(table="PATIENTS", key="INTERNALID", row=1, column="SURNAME", value="O'Brien 李 🙂")
    run = runner.run(Schedule((one, named)), _surnames)
    assert run.result == [{"Surname": "O'Brien 李 🙂"}] and [e["surface"] for e in run.entries] == ["token", "immediate"]


def test_a_data_edit_the_engine_refuses_stops_the_run_before_the_client():
    from mock_halo.chaos import ChaosRunner
    from tests.conftest import make_settings

    calls = []
    with pytest.raises(ValueError, match="the schedule's data edit failed .*NO_SUCH_TABLE"):
        ChaosRunner(make_settings()).run(Schedule((DataEdit(sql="DELETE FROM NO_SUCH_TABLE"),)), calls.append)
    assert calls == []
