"""The SQL engine interface's value types (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ExecutionMode = Literal["reader", "nonQuery", "scalar"]
CommandType = Literal["text", "storedProcedure"]
Direction = Literal["input", "output", "inputOutput", "returnValue"]


@dataclass(frozen=True, slots=True)
class SqlParameter:
    """One Halo ``Parameter``: ``name`` (``@id``), ``direction``, ``type`` (SqlDbType name), ``value``."""

    name: str
    direction: str = "input"
    type: str = "NVarChar"
    value: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class SqlCommand:
    """One Halo ``Command`` plus the request's ``catalogue`` (None = the site's default)."""

    text: str
    execution_mode: str = "reader"
    command_type: str = "text"
    parameters: Sequence[SqlParameter] = ()
    catalogue: str | None = None
    #: At most this many bytes of JSON in a result set (None: no limit). Rows are fetched and
    #: encoded a chunk at a time and the command stops with :class:`ResultTooLarge` past it,
    #: so a runaway cross join never holds more than the limit in memory.
    result_limit: int | None = None
    #: The emulator itself reads the rows (its FHIR facade), not a client: a reader's first
    #: result set comes back as :attr:`SqlOutcome.table` (rows as fetched, and their encoder)
    #: instead of JSON in ``data``, which the caller would only decode again.
    tabular: bool = False

    def with_result_limit(self, limit: int | None) -> SqlCommand:
        """This command with ``result_limit`` set (``dataclasses.replace``'s result, in a fraction of its
        time: every immediate query makes one)."""
        return SqlCommand(self.text, self.execution_mode, self.command_type, self.parameters, self.catalogue,
                          limit, self.tabular)


@dataclass(frozen=True, slots=True)
class SqlOutcome:
    """What a command produced.

    ``data`` is the UTF-8 JSON array of row objects (Halo base64-encodes it into
    ``result.data``); ``rows`` counts those rows. ``rows_affected`` is what .NET's
    ExecuteNonQuery reports: the rows changed by INSERT/UPDATE/DELETE, -1 for a
    SELECT. ``execution_ms`` is a modelled, deterministic duration.
    """

    rows: int
    data: bytes
    rows_affected: int
    parameters: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    execution_ms: int = 1
    #: A ``tabular`` reader's first result set: ``(encoder, rows)`` (``data`` is then empty).
    table: tuple[Any, Sequence[Any]] | None = None


class Deadline(Protocol):
    """When an engine must stop a command (with SQL Server's timeout error, -2): the work
    it runs for holds one (``mock_halo.runner.Deadline``), which a cancel can also end."""

    def passed(self) -> bool:
        """True once the command must stop."""

    def remaining(self) -> float | None:
        """Seconds left (None: no limit)."""
