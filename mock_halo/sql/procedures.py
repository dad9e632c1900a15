"""Stored procedures, emulated in Python over the fixture tables.

Adding a procedure is one decorated function::

    @procedure("BP_GetAllUsers")
    def get_all_users(call: ProcedureCall) -> ProcedureResult:
        rows = call.query("SELECT USERID, SURNAME FROM USERS WHERE RECORDSTATUS = 1")
        return ProcedureResult(result_sets=[ResultSet([("UserID", "int"), ("Surname", "str")], rows)])

Procedures are found by their last name part, case-insensitively, so
``BP_GetAllUsers``, ``dbo.BP_GetAllUsers`` and ``BPSPATIENTS.dbo.BP_GetAllUsers``
are the same. The engine answers 2812 ``Could not find stored procedure`` for
anything not registered. (This issue registers none; a later one fills it.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics import errors


@dataclass(frozen=True)
class ProcedureCall:
    """What a procedure receives."""

    name: str  # as the command wrote it
    args: dict[str, Any]  # lower-case names without '@' -> values in storage form
    catalogue: str  # display name of the current catalogue
    now: datetime  # the emulator clock, local time of the practice
    query: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]  # read with SQLite SQL
    execute: Callable[[str, Sequence[Any]], int]  # write with SQLite SQL; returns rows changed


@dataclass
class ResultSet:
    columns: list[tuple[str, K.Kind]]  # (name, kind): the kind drives JSON rendering
    rows: list[tuple[Any, ...]]


@dataclass
class ProcedureResult:
    result_sets: list[ResultSet] = field(default_factory=list)
    rows_affected: int = -1
    return_value: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)  # lower-case name without '@' -> value


Procedure = Callable[[ProcedureCall], ProcedureResult]
_REGISTRY: dict[str, Procedure] = {}
#: Declared parameters per procedure (lower-case names without '@', in order; None: accept any).
_PARAMETERS: dict[str, tuple[str, ...]] = {}
#: Parameters that have a default value (may be omitted).
_OPTIONAL: dict[str, frozenset[str]] = {}


def base_name(text: str) -> str:
    """``'BPSPATIENTS.dbo.[BP_AddPatient]'`` -> ``'bp_addpatient'``."""
    last = text.strip().split(".")[-1].strip()
    if last.startswith("[") and last.endswith("]"):
        last = last[1:-1]
    return last.strip('"').lower()


def register(name: str, fn: Procedure, parameters: tuple[str, ...] | None = None,
             optional: tuple[str, ...] = ()) -> Procedure:
    _REGISTRY[base_name(name)] = fn
    if parameters is not None:
        _PARAMETERS[base_name(name)] = tuple(p.lstrip("@").lower() for p in parameters)
        _OPTIONAL[base_name(name)] = frozenset(p.lstrip("@").lower() for p in optional)
    fn.__dict__["procedure_name"] = base_name(name)
    return fn


def unregister(name: str) -> None:
    _REGISTRY.pop(base_name(name), None)
    _PARAMETERS.pop(base_name(name), None)
    _OPTIONAL.pop(base_name(name), None)


def procedure(name: str, *parameters: str, optional: tuple[str, ...] = ()) -> Callable[[Procedure], Procedure]:
    """Decorator: register ``fn`` as the stored procedure ``name`` with its ``@parameters`` in order."""
    return lambda fn: register(name, fn, parameters if parameters else None, optional)


def parameters_of(fn: Procedure) -> tuple[str, ...] | None:
    return _PARAMETERS.get(getattr(fn, "procedure_name", ""))


def parameter_name(fn: Procedure, position: int) -> str | None:
    declared = parameters_of(fn)
    return declared[position] if declared is not None and position < len(declared) else None


def bind_arguments(fn: Procedure, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Positional ('$0', ...) and named arguments -> declared names; SQL Server's 201 / 8144 / 8145."""
    declared = parameters_of(fn)
    if declared is None:
        return args
    shown = name.strip().split(".")[-1].strip("[]")
    bound: dict[str, Any] = {}
    for key, value in args.items():
        if key.startswith("$"):
            position = int(key[1:])
            if position >= len(declared):
                raise errors.too_many_arguments(shown)
            bound[declared[position]] = value
        elif key not in declared:
            raise errors.not_a_parameter(key, shown)
        else:
            bound[key] = value
    optional = _OPTIONAL.get(getattr(fn, "procedure_name", ""), frozenset())
    for param in declared:
        if param not in bound:
            if param not in optional:
                raise errors.parameter_not_supplied(shown, param)
            bound[param] = None
    return bound


def find(name: str) -> Procedure | None:
    return _REGISTRY.get(base_name(name))


def names() -> list[str]:
    return sorted(_REGISTRY)
