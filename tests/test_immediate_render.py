"""A successful immediate query's body, rendered directly by ``ImmediateRun.finish``, is byte for
byte what the general renderer (``QueryRecord.render``) gives for the same query; a result past the
limit fails with the phases it went through; ids drawn without ``uuid.UUID`` objects are the same
text; a command's result limit keeps its other fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.ids import IdSource, uuid4_text
from mock_halo.lifecycle.immediate import ImmediateRequest, ImmediateRun
from mock_halo.lifecycle.model import IMMEDIATE, PhaseTiming, QueryRecord
from mock_halo.lifecycle.plan import SUCCESSFUL
from mock_halo.sql.model import SqlCommand, SqlOutcome

START = datetime(2026, 12, 5, 9, 30, 59, 987_654, tzinfo=UTC)


def _reference(run: ImmediateRun, outcome: SqlOutcome) -> bytes:
    """The body as the general renderer makes it from a QueryRecord of the same query."""
    request = run.request
    record = QueryRecord(id=run.id, integrator_id=run.integrator_id, site_id=run.site_id, mode=IMMEDIATE,
                         max_time_in_queue=request.max_time_in_queue, command_size=request.command_size,
                         request_size=request.request_size,
                         sql_query_size=len(request.command.text.encode("utf-8")), created_at=run.start,
                         status=SUCCESSFUL)
    size = len(outcome.data)
    downloading = run.executing_at + timedelta(milliseconds=outcome.execution_ms)
    transfer = timedelta(milliseconds=1 + round(40.0 * size / 1_048_576))
    record.timing["initialising"] = PhaseTiming(run.start, run.executing_at)
    record.timing["executing"] = PhaseTiming(run.executing_at, downloading)
    record.timing["downloading"] = PhaseTiming(downloading, downloading + transfer)
    record.timing["uploading"] = PhaseTiming(downloading + transfer, downloading + 2 * transfer)
    record.metrics = {"sqlExecutionDuration": outcome.execution_ms}
    if request.command.execution_mode == "nonQuery":
        record.result = {"rowsAffected": outcome.rows_affected, "size": size}
    else:
        import base64

        record.result = {"rows": outcome.rows, "size": size, "data": base64.b64encode(outcome.data).decode()}
    if outcome.parameters:
        record.result["parameters"] = outcome.parameters
    record.result_size = size
    record.completed_at = downloading + 2 * transfer
    return orjson.dumps(record.render())


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    text=st.text(min_size=1, max_size=40),
    mode=st.sampled_from(["reader", "nonQuery", "scalar"]),
    data=st.binary(max_size=3000),
    rows=st.integers(0, 10**6),
    affected=st.integers(-1, 10**6),
    execution_ms=st.integers(0, 10**7),
    with_parameters=st.booleans(),
    start_shift_us=st.integers(0, 10**12),
    big=st.booleans(),
)
def test_the_direct_body_is_the_general_renderers(seed, text, mode, data, rows, affected, execution_ms,
                                                 with_parameters, start_shift_us, big):
    if big:
        data = data * 2000  # megabytes: transfers of more than a millisecond
    parameters = [{"name": "@out", "value": "7", "type": "Int"}] if with_parameters else []
    outcome = SqlOutcome(rows=rows, data=data, rows_affected=affected, parameters=parameters,
                         execution_ms=execution_ms)
    request = ImmediateRequest(command=SqlCommand(text=text, execution_mode=mode), max_time_in_queue=25,
                               command_size=len(text) + 30, request_size=len(text) + 90)
    run = ImmediateRun(IdSource(seed), "site-1", "integrator-1", request,
                       START + timedelta(microseconds=start_shift_us), 1 << 40)
    sealed = run.finish(outcome)
    assert sealed.body == _reference(run, outcome)
    assert (sealed.id, sealed.site_id, sealed.integrator_id, sealed.created_at, sealed.mode, sealed.status) == (
        run.id, "site-1", "integrator-1", run.start, IMMEDIATE, SUCCESSFUL)
    assert run.duration_ms == round((run.completed_at - run.start).total_seconds() * 1000) > 0


@given(st.integers(0, 2**128 - 1))
def test_ids_are_the_text_of_uuid4_objects(bits):
    assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_a_commands_result_limit_is_set_keeping_every_other_field():
    import dataclasses

    from mock_halo.sql.model import SqlParameter

    # A distinct, non-default value for every field the dataclass has (a field added later
    # without a place in with_result_limit makes this fail).
    values = {"text": "SELECT 1", "execution_mode": "nonQuery", "command_type": "storedProcedure",
              "parameters": (SqlParameter(name="@a", value="1"),), "catalogue": "BPSSamples",
              "result_limit": 5, "tabular": True}
    assert {f.name for f in dataclasses.fields(SqlCommand)} == set(values)
    command = SqlCommand(**values)
    assert command.with_result_limit(1234) == dataclasses.replace(command, result_limit=1234)
    assert command.with_result_limit(None).result_limit is None


def test_a_result_past_the_limit_fails_as_its_upload_begins_with_the_phases_it_went_through():
    """A 413: executing and downloading with their ends, completedAt where uploading would have
    begun; a scenario's forced 413 looks the same with 1 ms phases."""
    import pytest

    from mock_halo import errors

    request = ImmediateRequest(command=SqlCommand(text="SELECT 1"), max_time_in_queue=25, command_size=40,
                               request_size=90)
    outcome = SqlOutcome(rows=1, data=b"x" * 2_000_000, rows_affected=-1, execution_ms=7)

    def too_large(run: ImmediateRun) -> None:
        run.finish(outcome)

    def forced(run: ImmediateRun) -> None:
        raise run.forced(None)

    for seed, fail in ((1, too_large), (2, forced)):
        run = ImmediateRun(IdSource(seed), "s", "i", request, START, 1000)
        with pytest.raises(errors.QueryFailed) as caught:
            fail(run)
        body = caught.value.record.render()
        assert caught.value.status == 413 and body["status"] == "executionFailed"
        timing = body["statusTiming"]
        assert list(timing) == ["initialising", "executing", "downloading"]
        assert timing["executing"]["endTime"] == timing["downloading"]["startTime"]
        assert timing["downloading"]["endTime"] == body["completedAt"]
        assert body["errorDetails"]["errorCode"] == 413
        assert run.duration_ms == round((run.completed_at - run.start).total_seconds() * 1000)
    forced_ms = (datetime.fromisoformat(body["completedAt"].replace("Z", "+00:00"))
                 - datetime.fromisoformat(timing["executing"]["startTime"].replace("Z", "+00:00")))
    assert forced_ms == timedelta(milliseconds=2)

