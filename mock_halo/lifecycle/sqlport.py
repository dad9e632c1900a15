"""What the lifecycle needs from the SQL engine, as Protocols.

The lifecycle never imports ``mock_halo.sql``: it is handed one executor per
site (``Callable[[SqlCommand], SqlOutcome]``, usually ``engine.execute``) and
recognises the engine's exceptions by shape. That keeps the domain testable
with small fakes and independent of the engine's import graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mock_halo import errors
from mock_halo.lifecycle.profile import TIMEOUT_ERROR_CODE
from mock_halo.runner import current_deadline, working


class SqlCommandLike(Protocol):
    """The parts of ``mock_halo.sql.SqlCommand`` the lifecycle reads."""

    text: str
    execution_mode: str  # reader | nonQuery | scalar


class SqlOutcomeLike(Protocol):
    """``mock_halo.sql.SqlOutcome``: one executed command."""

    rows: int
    data: bytes
    rows_affected: int
    parameters: list[dict[str, Any]]
    columns: list[str]
    execution_ms: int


Executor = Callable[[Any], SqlOutcomeLike]
"""Runs one command against a site's databases (``engine.execute``)."""

ExecutorLookup = Callable[[str], Executor]
"""Site id -> that site's executor; called when a side effect is due."""


#: errorType for failures that happen inside Halo Link rather than in the database.
HALO_LINK = "haloLink"


def with_result_limit(command: Any, limit: int) -> Any:
    """``command`` with ``result_limit`` set (the engine stops reading rows past it), when it can take one
    (``SqlCommand.with_result_limit``; the lifecycle's own test commands cannot)."""
    limited = getattr(command, "with_result_limit", None)
    return limited(limit) if limited is not None else command


def is_result_too_large(exc: BaseException) -> bool:
    """The engine's ``ResultTooLarge``: the result passed the command's ``result_limit`` while being read."""
    return bool(getattr(exc, "result_too_large", False))


def failure_details(exc: BaseException) -> dict[str, Any]:
    """The ``errorDetails`` for an exception raised by an executor.

    * ``SqlError`` (has ``number``): the database's own error, errorType ``mssql``
      (or whatever ``error_type`` the engine reports, e.g. ``fbsql``).
    * ``ParameterError`` (a ``message``, no ``number``): Halo Link could not
      convert a parameter before calling the database; INFERENCE: errorType
      ``haloLink``, errorCode 0, the message as written.
    * anything else is a defect in an engine; it still ends the query cleanly
      (never a lost query) as a ``haloLink`` failure naming the exception.
    """
    number = getattr(exc, "number", None)
    message = getattr(exc, "message", None)
    if isinstance(number, int) and isinstance(message, str):
        return errors.error_details(getattr(exc, "error_type", "mssql"), number, message)
    if isinstance(message, str):
        return errors.error_details(HALO_LINK, 0, message)
    return errors.error_details(HALO_LINK, 0, f"Unexpected error while executing the query: {type(exc).__name__}: {exc}")


@dataclass(eq=False)
class SqlJob:
    """A side effect that needs SQL: ``command`` at ``site_id``, at the emulator instant
    ``at`` (what GETDATE() sees), then ``finish(outcome or exception)``.

    ``kind`` is ``async`` (an execution, limit ``LifecycleLimits.async_execution_limit``)
    or ``registered`` (a run, ``registered_execution_limit``). ``handle`` is for
    whoever runs the SQL elsewhere (the app's worker threads).
    """

    site_id: str
    command: Any
    at: datetime
    kind: str
    finish: Callable[[Any], None]
    handle: Any = field(default=None, compare=False)


def is_timeout(outcome: Any) -> bool:
    """An executor's timeout error: SqlClient's -2 (a real deadline or the engine's step limit)."""
    return isinstance(outcome, BaseException) and getattr(outcome, "number", None) == TIMEOUT_ERROR_CODE


def perform(job: SqlJob, executor: Executor) -> Any:
    """Run a job's SQL on this thread at the job's instant: the outcome, or the exception it raised."""
    with working(current_deadline(), job.at):
        try:
            return executor(job.command)
        except Exception as exc:  # noqa: BLE001 - the job decides what a failure means
            return exc
