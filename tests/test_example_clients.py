"""The example clients under generated bad days: hypothesis finds the naive client's bugs, each shrunk
to the one Halo behaviour that shows it, and the careful client passes every check."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import HealthCheck, find, given, settings

from examples import careful_client, naive_client
from mock_halo import strategies as hs
from mock_halo.practice.schema import column_types
from mock_halo.chaos import (AsyncOutcome, ChaosHalo, ChaosRunner, HttpError, PageUploads, RowsKept, Schedule,
                              TokenExpiry)
from tests.conftest import make_settings

#: What these clients touch: tokens, async submissions, polls and pages.
SURFACES = ("token", "async", "query")


def naive(halo: ChaosHalo):
    return naive_client.fetch_patients(halo.http, site_id=halo.site_id, subscription_key=halo.subscription_key,
                                       sleep=halo.sleep)


def careful(halo: ChaosHalo):
    return careful_client.fetch_patients(halo.http, site_id=halo.site_id, subscription_key=halo.subscription_key,
                                         sleep=halo.sleep, clock=halo.monotonic)


@pytest.fixture(scope="module")
def runner() -> ChaosRunner:
    """A small budget: the naive client's endless polling is cut short quickly."""
    return ChaosRunner(make_settings(), max_requests=40)


@pytest.fixture(scope="module")
def careful_runner() -> ChaosRunner:
    return ChaosRunner(make_settings(), max_requests=400)


@pytest.fixture(scope="module")
def all_patients(careful_runner: ChaosRunner) -> list[dict]:
    run = careful_runner.run(Schedule(), careful)
    assert run.ok and run.error is None, run
    return run.result


def test_on_a_good_day_both_read_every_patient_but_the_naive_one_polls_too_fast(runner, all_patients):
    assert len(all_patients) > 50
    run = runner.run(Schedule(), naive)
    assert run.result == all_patients
    assert run.failed == ["polls_no_faster_than"]


@pytest.mark.parametrize(
    "kinds, checks, culprit, examples",
    [
        (["http-error"], {"honours_retry_after"}, lambda f: isinstance(f, HttpError) and f.status == 429, 100),
        (["http-error"], {"backs_off"}, lambda f: isinstance(f, HttpError) and f.status != 429, 100),
        (["async-outcome"], {"stops_polling_at_terminal_status", "finishes"}, lambda f: isinstance(f, AsyncOutcome), 60),
        (["page-uploads"], {"fetches_every_page"}, lambda f: isinstance(f, PageUploads), 100),
        (["latency", "token-expiry"], {"refreshes_token_before_expiry", "no_retry_of_client_errors"},
         lambda f: isinstance(f, TokenExpiry), 600),
    ],
    ids=["retry-after", "backoff", "terminal-status", "pages", "token"],
)
def test_hypothesis_finds_and_shrinks_each_bug_of_the_naive_client(runner, kinds, checks, culprit, examples):
    """Search the bad days of these kinds for one that breaks the first of ``checks``; the shrunk
    schedule names the Halo behaviour, and replaying it fails all of ``checks``."""
    quick = ChaosRunner(runner.settings, max_requests=15)  # enough to see each bug, and endless loops end soon
    found = find(
        hs.schedules(SURFACES, kinds=kinds, max_faults=len(kinds)),
        lambda schedule: min(checks) in quick.run(schedule, naive).failed,
        settings=settings(database=None, max_examples=examples, deadline=None),
        random=Random(0),
    )
    assert any(culprit(f) for f in found.faults), found
    replayed = quick.run(found, naive)
    assert checks <= set(replayed.failed), replayed


@settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=hs.schedules(SURFACES))
def test_the_careful_client_passes_every_check_on_any_day(careful_runner, all_patients, schedule):
    run = careful_runner.run(schedule, careful)
    run.assert_ok()
    # It either read every patient or said clearly that Halo was unavailable.
    assert run.result == all_patients or isinstance(run.error, careful_client.HaloUnavailable), run


def test_a_failing_property_test_explains_the_bad_day(runner):
    """What an integrator sees when hypothesis breaks their client: the shrunk schedule and the checks."""

    @settings(max_examples=50, deadline=None, derandomize=True, database=None)
    @given(schedule=hs.schedules(SURFACES, kinds=["http-error"]))
    def naive_client_copes(schedule):
        run = runner.run(schedule, naive)
        run.assert_ok()

    with pytest.raises(AssertionError) as failure:
        naive_client_copes()
    text = str(failure.value)
    assert "Halo's bad day:" in text and "FAIL polls_no_faster_than" in text
    assert text.index("Halo's bad day:") < text.index("requests (emulator clock")


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit=hs.bp_patients())
def test_the_careful_client_reads_the_practice_as_it_is(careful_runner, all_patients, edit):
    """The SQL results the client sees, generated: few or no patients, names with quotes, accents,
    scripts, emoji and blanks come back exactly (T-SQL literal -> engine -> base64 JSON -> client)."""
    run = careful_runner.run(Schedule((edit,)), careful)
    assert run.ok and run.error is None, run
    rows = {row["InternalID"]: row for row in run.result}
    if isinstance(edit, RowsKept):
        assert sorted(rows) == [p["InternalID"] for p in all_patients if p["InternalID"] <= edit.keep]
    else:
        assert sorted(rows) == [p["InternalID"] for p in all_patients]
        column = edit.column.title()  # the view's spelling: FIRSTNAME -> Firstname
        if column in rows[edit.row]:
            seen = rows[edit.row][column]
            kind = dict(column_types()[edit.table])[edit.column]
            if kind.upper().startswith(("CHAR", "NCHAR")):  # fixed length: SQL Server pads with spaces
                seen, value = seen.rstrip(" "), edit.value.rstrip(" ")
            else:
                value = edit.value
            assert seen == value
