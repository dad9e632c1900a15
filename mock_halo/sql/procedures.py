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

from mock_halo.sql import kinds as K


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


def base_name(text: str) -> str:
    """``'BPSPATIENTS.dbo.[BP_AddPatient]'`` -> ``'bp_addpatient'``."""
    last = text.strip().split(".")[-1].strip()
    if last.startswith("[") and last.endswith("]"):
        last = last[1:-1]
    return last.strip('"').lower()


def register(name: str, fn: Procedure) -> Procedure:
    _REGISTRY[base_name(name)] = fn
    return fn


def unregister(name: str) -> None:
    _REGISTRY.pop(base_name(name), None)


def procedure(name: str) -> Callable[[Procedure], Procedure]:
    """Decorator: register ``fn`` as the stored procedure ``name``."""
    return lambda fn: register(name, fn)


def find(name: str) -> Procedure | None:
    return _REGISTRY.get(base_name(name))


def names() -> list[str]:
    return sorted(_REGISTRY)
