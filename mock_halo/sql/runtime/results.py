"""What a run produces: each statement's :class:`Result`, and the :class:`SqlOutcome` shaped from them.

One result-shaping rule for every engine (embedded, PostgreSQL, SQL Server): the
execution mode picks the first result set (``reader``), its first value
(``scalar``) or none (``nonQuery``); rows affected are summed over the
statements that wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mock_halo.sql.model import SqlCommand, SqlOutcome
from mock_halo.sql.runtime.params import DOTNET, BoundParameters
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.encode import Encoder

_NO_ROWS = b"[]"


def modelled_ms(rows: int, affected: int) -> int:
    """Deterministic SQL duration: 2 ms plus 1 ms per 500 rows read or written."""
    return 2 + (rows + max(affected, 0)) // 500


class EncodedRows(Sequence[tuple[Any, ...]]):
    """The rows of a result set whose JSON is already in :attr:`Result.encoded`: how many there
    were and the first (ExecuteScalar's value), all anything reads of them afterwards. The rest
    are not kept, so a result read up to its limit holds its JSON once, not its rows as well
    (Python's tuples of a 64 MB result took another 250 MB)."""

    __slots__ = ("_count", "_first")

    def __init__(self, count: int, first: tuple[Any, ...] | None) -> None:
        self._count = count
        self._first = first

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):  # type: ignore[override]
        if index == 0 and self._count:
            return self._first
        raise IndexError("only the first row of an encoded result set is kept")

    def __iter__(self):
        raise TypeError("the rows of an encoded result set are not kept; read Result.encoded")


@dataclass
class Result:
    """What one statement produced."""

    encoder: Encoder | None
    rows: Sequence[tuple[Any, ...]] | None
    affected: int = -1
    #: ``encoder.encode(rows)``, when the rows were encoded as they were read (under a result limit).
    encoded: bytes | None = None


def outcome(command: SqlCommand, results: Sequence[Result], parameters: list[dict[str, Any]]) -> SqlOutcome:
    """Shape a command's results for its mode: the first result set (``reader``), its first value
    (``scalar``) or none (``nonQuery``); rows affected summed over the statements that wrote."""
    changed = [r.affected for r in results if r.rows is None and r.affected >= 0]
    affected = sum(changed) if changed else -1
    sets = [r for r in results if r.rows is not None and r.encoder is not None]
    first = sets[0] if sets else None
    columns = list(first.encoder.names) if first else []
    read = len(first.rows) if first else 0
    mode = command.execution_mode
    if mode == "nonQuery" or first is None:
        rows, data = 0, _NO_ROWS
    elif mode == "scalar":
        rows, data = first.encoder.scalar(first.rows)
        columns = columns[:1]
    elif command.tabular and first.encoded is None:
        return SqlOutcome(rows=read, data=b"", rows_affected=affected, parameters=parameters, columns=columns,
                          execution_ms=modelled_ms(read, affected), table=(first.encoder, first.rows))
    else:
        rows, data = read, first.encoded if first.encoded is not None else first.encoder.encode(first.rows)
    return SqlOutcome(rows=rows, data=data, rows_affected=affected, parameters=parameters,
                      columns=columns, execution_ms=modelled_ms(read, affected))


def encoder_from_cursor(cursor: Any) -> Encoder:
    """Column names from a DB-API cursor, kinds unknown (rendered by their values)."""
    names = [d[0] for d in cursor.description or ()]
    return Encoder(names, [K.UNKNOWN] * len(names))


def with_parameter_kinds(encoder: Encoder, columns: tuple[tuple[int, str], ...],
                         bound: BoundParameters) -> Encoder:
    """``SELECT @p``: the column has the parameter's declared type (e.g. Date renders as a datetime)."""
    kinds = list(encoder.kinds)
    for index, key in columns:
        declared = bound.declared.get(key)
        if declared is not None and index < len(kinds):
            kinds[index] = DOTNET.get(declared.type, ("", K.STR))[1]
    return Encoder(encoder.names, kinds)
