"""Immediate queries: run now, answer in the POST response (halo-facts 5).

The response's timings follow a modelled plan (seeded jitter plus the engine's
modelled SQL duration) laid out from the clock's current instant, so the same
seed and requests always give the same body.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mock_halo import errors
from mock_halo.emulator import DeviceCaller, Emulator
from mock_halo.lifecycle.model import EXECUTION_FAILED, IMMEDIATE, SUCCESSFUL, PhaseTiming, QueryRecord, SealedRecord
from mock_halo.sql import ParameterError, SqlCommand, SqlError

#: Modelled phase durations (ms) of an immediate query: Halo Cloud hands the
#: query to Halo Link (initialising), the database runs it (executing), Link
#: reads the result (downloading) and sends it back (uploading).
INITIALISING_MS = (12.0, 40.0)
#: The number .NET's SqlClient reports when a command runs past its timeout.
SQL_TIMEOUT = -2
TRANSFER_MS_PER_MB = 40.0


@dataclass(frozen=True)
class ImmediateRequest:
    command: SqlCommand
    max_time_in_queue: int
    command_size: int
    request_size: int


@dataclass(frozen=True)
class ImmediateFault:
    """A scenario's forced failure: a SQL Server error, or a result too large (413)."""

    sql_error: tuple[int, str] | None = None
    too_large: bool = False


def run_immediate(
    emulator: Emulator, caller: DeviceCaller, request: ImmediateRequest, fault: ImmediateFault | None = None
) -> tuple[int, bytes]:
    """Run an immediate query; returns the HTTP status and the JSON body.

    With a ``fault`` the SQL is not run: the query fails as the fault says.
    """
    site = caller.site
    # Performs any async/registered side effects due before this instant.
    start = emulator.lifecycle.now()
    availability = emulator.lifecycle.availability(site.id, start)
    if availability == "offline":
        raise errors.site_offline()
    if availability == "unreachable":
        raise errors.gateway_timeout("Site is unreachable")

    ids = emulator.ids
    record = QueryRecord(
        id=ids.uuid(),
        integrator_id=caller.integrator.id,
        site_id=site.id,
        mode=IMMEDIATE,
        max_time_in_queue=request.max_time_in_queue,
        command_size=request.command_size,
        request_size=request.request_size,
        sql_query_size=len(request.command.text.encode("utf-8")),
        created_at=start,
        status=SUCCESSFUL,
    )
    executing_at = start + timedelta(milliseconds=round(ids.jitter(*INITIALISING_MS)))
    record.timing["initialising"] = PhaseTiming(start, executing_at)

    if fault is not None:
        return _forced(emulator, record, executing_at, fault)
    engine = emulator.engine(site)
    try:
        outcome = engine.execute(request.command)
    except ParameterError as exc:
        raise errors.bad_request(f"{exc.message} Please correct your request and try again.") from None
    except SqlError as exc:
        if exc.number == SQL_TIMEOUT:
            # Halo's immediate limit: the caller gets a gateway timeout, not a record.
            raise errors.gateway_timeout() from None
        failed_at = executing_at + timedelta(milliseconds=1)
        record.timing["executing"] = PhaseTiming(executing_at, failed_at)
        return 400, _fail(emulator, record, failed_at, errors.error_details(exc.error_type, exc.number, exc.message))

    downloading_at = executing_at + timedelta(milliseconds=outcome.execution_ms)
    record.timing["executing"] = PhaseTiming(executing_at, downloading_at)
    size = len(outcome.data)
    transfer = timedelta(milliseconds=1 + round(TRANSFER_MS_PER_MB * size / 1_048_576))
    uploading_at = downloading_at + transfer
    completed_at = uploading_at + transfer

    limit = emulator.settings.immediate_result_limit_bytes
    if size > limit:
        record.timing["downloading"] = PhaseTiming(downloading_at, uploading_at)
        message = errors.RESULT_TOO_LARGE_MESSAGE.format(limit=errors.format_size_limit(limit))
        return 413, _fail(emulator, record, uploading_at, errors.error_details("http", 413, message))

    record.timing["downloading"] = PhaseTiming(downloading_at, uploading_at)
    record.timing["uploading"] = PhaseTiming(uploading_at, completed_at)
    record.metrics = {"sqlExecutionDuration": outcome.execution_ms}
    if request.command.execution_mode == "nonQuery":
        result: dict[str, Any] = {"rowsAffected": outcome.rows_affected, "size": size}
    else:
        result = {"rows": outcome.rows, "size": size, "data": base64.b64encode(outcome.data).decode("ascii")}
    if outcome.parameters:
        result["parameters"] = outcome.parameters
    record.result = result
    record.result_size = size
    record.completed_at = completed_at
    sealed = SealedRecord(record)
    emulator.queries.add(sealed)
    emulator.lifecycle.note_immediate(site.id, round((completed_at - start).total_seconds() * 1000), at=start)
    return 200, sealed.body


def _forced(emulator: Emulator, record: QueryRecord, executing_at, fault: ImmediateFault) -> tuple[int, bytes]:
    if fault.sql_error is not None:
        failed_at = executing_at + timedelta(milliseconds=1)
        record.timing["executing"] = PhaseTiming(executing_at, failed_at)
        number, message = fault.sql_error
        return 400, _fail(emulator, record, failed_at, errors.error_details("mssql", number, message))
    downloading_at = executing_at + timedelta(milliseconds=1)
    uploading_at = downloading_at + timedelta(milliseconds=1)
    record.timing["executing"] = PhaseTiming(executing_at, downloading_at)
    record.timing["downloading"] = PhaseTiming(downloading_at, uploading_at)
    limit = emulator.settings.immediate_result_limit_bytes
    message = errors.RESULT_TOO_LARGE_MESSAGE.format(limit=errors.format_size_limit(limit))
    return 413, _fail(emulator, record, uploading_at, errors.error_details("http", 413, message))


def _fail(emulator: Emulator, record: QueryRecord, at, details: dict[str, Any]) -> bytes:
    record.status = EXECUTION_FAILED
    record.error_details = details
    record.completed_at = at
    sealed = SealedRecord(record)
    emulator.queries.add(sealed)
    return sealed.body
