"""Immediate queries: run now, answer in the POST response (halo-facts 5).

An :class:`ImmediateRun` is one immediate query from its arrival to its record.
Its timings follow a modelled plan (seeded jitter plus the engine's modelled
SQL duration) laid out from the instant it arrived, so the same seed and
requests always give the same body. :meth:`ImmediateRun.finish` turns what the
engine did (an outcome, or the exception it raised) into the sealed record;
a failure is raised as the catalogue's error: :class:`~mock_halo.errors.QueryFailed`
carrying the record (a SQL error, a result too large), a 400 envelope for a
parameter .NET cannot convert, or Halo's 504 when the query ran past its limit.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from mock_halo import errors
from mock_halo.clock import format_timestamp
from mock_halo.lifecycle.model import IMMEDIATE, PhaseTiming, QueryRecord, SealedRecord
from mock_halo.lifecycle.plan import EXECUTION_FAILED, SUCCESSFUL
from mock_halo.lifecycle.sqlport import SqlCommandLike, SqlOutcomeLike, is_result_too_large

#: Modelled phase durations (ms) of an immediate query: Halo Cloud hands the
#: query to Halo Link (initialising), the database runs it (executing), Link
#: reads the result (downloading) and sends it back (uploading).
INITIALISING_MS = (12.0, 40.0)
#: The number .NET's SqlClient reports when a command runs past its timeout.
SQL_TIMEOUT = -2
TRANSFER_MS_PER_MB = 40.0


@dataclass(frozen=True)
class ImmediateRequest:
    """A validated ``POST …/queries/immediate`` body (halo-facts 4.2)."""

    command: SqlCommandLike
    max_time_in_queue: int
    command_size: int
    request_size: int


class ImmediateRun:
    """One immediate query: its id and first phase are drawn when it arrives."""

    def __init__(self, ids: Any, site_id: str, integrator_id: str, request: ImmediateRequest, start: datetime,
                 result_limit_bytes: int) -> None:
        self.request = request
        self.result_limit_bytes = result_limit_bytes
        self.id = ids.uuid()
        self.site_id = site_id
        self.integrator_id = integrator_id
        self.start = start
        self.executing_at = start + timedelta(milliseconds=round(ids.jitter(*INITIALISING_MS)))
        self.completed_at: datetime | None = None
        self._record: QueryRecord | None = None

    @property
    def record(self) -> QueryRecord:
        """The query as a :class:`QueryRecord` (made when a failure needs one: a successful run
        renders its body directly, :meth:`finish`)."""
        if self._record is None:
            request = self.request
            self._record = QueryRecord(
                id=self.id,
                integrator_id=self.integrator_id,
                site_id=self.site_id,
                mode=IMMEDIATE,
                max_time_in_queue=request.max_time_in_queue,
                command_size=request.command_size,
                request_size=request.request_size,
                sql_query_size=self.sql_query_size,
                created_at=self.start,
                status=SUCCESSFUL,
            )
            self._record.timing["initialising"] = PhaseTiming(self.start, self.executing_at)
        return self._record

    @property
    def sql_query_size(self) -> int:
        return len(self.request.command.text.encode("utf-8"))

    @property
    def command(self) -> SqlCommandLike:
        return self.request.command

    def finish(self, outcome: SqlOutcomeLike | BaseException) -> SealedRecord:
        """The record of a successful run; a failed one is raised (see the module docstring).

        The successful record's body is rendered here, field for field what
        :meth:`QueryRecord.render` gives (a test compares them): this is every immediate
        query's path, and the record objects it would otherwise make cost a tenth of it.
        """
        if isinstance(outcome, BaseException):
            if is_result_too_large(outcome):  # the engine stopped reading rows at the limit
                raise self.forced(None) from None
            return self._raise_for(outcome)
        executing_at = self.executing_at
        downloading_at = executing_at + timedelta(milliseconds=outcome.execution_ms)
        size = len(outcome.data)
        transfer = timedelta(milliseconds=1 + round(TRANSFER_MS_PER_MB * size / 1_048_576))
        uploading_at = downloading_at + transfer
        completed_at = uploading_at + transfer
        if size > self.result_limit_bytes:
            raise self._too_large(downloading_at, uploading_at)
        if self.command.execution_mode == "nonQuery":
            result: dict[str, Any] = {"rowsAffected": outcome.rows_affected, "size": size}
        else:
            result = {"rows": outcome.rows, "size": size, "data": base64.b64encode(outcome.data).decode("ascii")}
        if outcome.parameters:
            result["parameters"] = outcome.parameters
        self.completed_at = completed_at
        request = self.request
        created = format_timestamp(self.start)
        completed = format_timestamp(completed_at)
        # Successful immediate queries carry StatusTimingImmediate: start times only.
        body = {
            "id": self.id,
            "integratorId": self.integrator_id,
            "siteId": self.site_id,
            "mode": IMMEDIATE,
            "maxTimeInQueue": request.max_time_in_queue,
            "sqlQuerySize": self.sql_query_size,
            "commandSize": request.command_size,
            "requestSize": request.request_size,
            "createdAt": created,
            "updatedAt": completed,
            "status": SUCCESSFUL,
            "statusTiming": {
                "initialising": {"startTime": created},
                "executing": {"startTime": format_timestamp(executing_at)},
                "downloading": {"startTime": format_timestamp(downloading_at)},
                "uploading": {"startTime": format_timestamp(uploading_at)},
            },
            "metrics": {"sqlExecutionDuration": outcome.execution_ms},
            "result": result,
            "resultSize": size,
            "completedAt": completed,
        }
        return SealedRecord.of(self.id, self.site_id, self.integrator_id, self.start, IMMEDIATE, SUCCESSFUL,
                               orjson.dumps(body))

    def forced(self, sql_error: tuple[int, str] | None) -> errors.QueryFailed:
        """A scenario's failure instead of running the SQL: its SQL error, or (None) a result too large."""
        if sql_error is not None:
            number, message = sql_error
            return self._sql_failure(errors.error_details("mssql", number, message))
        downloading_at = self.executing_at + timedelta(milliseconds=1)
        return self._too_large(downloading_at, downloading_at + timedelta(milliseconds=1))

    @property
    def duration_ms(self) -> int:
        """From arrival to completion: how long the query held the site's link."""
        completed = self.completed_at or self.start
        return round((completed - self.start).total_seconds() * 1000)

    # -- failures -------------------------------------------------------------
    def _raise_for(self, exc: BaseException) -> SealedRecord:
        number, message = getattr(exc, "number", None), getattr(exc, "message", None)
        if not isinstance(message, str):
            raise exc
        if number is None:  # a ParameterError: .NET could not convert a value; no query record
            raise errors.bad_request(f"{message} Please correct your request and try again.") from None
        if number == SQL_TIMEOUT:
            # Halo's immediate limit: the caller gets a gateway timeout, not a record.
            raise errors.gateway_timeout() from None
        raise self._sql_failure(errors.error_details(getattr(exc, "error_type", "mssql"), number, message)) from None

    def _sql_failure(self, details: dict[str, Any]) -> errors.QueryFailed:
        failed_at = self.executing_at + timedelta(milliseconds=1)
        self.record.timing["executing"] = PhaseTiming(self.executing_at, failed_at)
        return self._fail(400, failed_at, details)

    def _too_large(self, downloading_at: datetime, uploading_at: datetime) -> errors.QueryFailed:
        """The 413 of a result past the limit, found while it was downloaded (fails as uploading begins)."""
        self.record.timing["executing"] = PhaseTiming(self.executing_at, downloading_at)
        self.record.timing["downloading"] = PhaseTiming(downloading_at, uploading_at)
        message = errors.RESULT_TOO_LARGE_MESSAGE.format(limit=errors.format_size_limit(self.result_limit_bytes))
        return self._fail(413, uploading_at, errors.error_details("http", 413, message))

    def _fail(self, status: int, at: datetime, details: dict[str, Any]) -> errors.QueryFailed:
        record = self.record
        record.status = EXECUTION_FAILED
        record.error_details = details
        record.completed_at = self.completed_at = at
        return errors.QueryFailed(status, SealedRecord(record))
