"""Stored procedures, emulated in Python over the fixture tables.

Adding a procedure is one decorated function, its parameters declared as in T-SQL::

    @procedure("BP_GetUserDaysAway", "@userid INT", "@start DATE = NULL")
    def get_user_days_away(call: ProcedureCall) -> ProcedureResult:
        rows = call.query("SELECT USERID, STARTDATE FROM DAYSAWAY WHERE USERID = ?", (call.args["userid"],))
        return ProcedureResult(result_sets=[ResultSet([("UserID", "int"), ("StartDate", "datetime")], rows)])

Procedures are found by their last name part, case-insensitively, so
``BP_GetAllUsers``, ``dbo.BP_GetAllUsers`` and ``BPSPATIENTS.dbo.BP_GetAllUsers``
are the same. The engine answers 2812 ``Could not find stored procedure`` for
anything not registered. This package knows no procedure: the practice data registers its own
(Bp Premier's are in :mod:`mock_halo.practice.procedures`).
"""

from __future__ import annotations

import re
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
    schema: Any = None  # the site's catalogues as the translator sees them (SQL Server's own sp_columns, sp_help)


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
REQUIRED = object()  # the default of a parameter that has none


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: ``@aptdate DATE``, ``@loginid INT = 0``, ``@total INT OUTPUT``."""

    name: str  # lower-case, without '@'
    type: str = ""  # T-SQL type as declared ('INT', 'VARCHAR(50)'); '' when not declared
    default: Any = REQUIRED
    output: bool = False
    spelling: str = ""  # the name as declared, without '@'

    @property
    def optional(self) -> bool:
        return self.default is not REQUIRED


_DECLARATION = re.compile(r"^@?(\w+)(?:\s+([A-Za-z]+(?:\s*\([^)]*\))?))?(?:\s*=\s*(.+?))?(\s+OUTPUT)?\s*$",
                          re.IGNORECASE)


def parse_parameter(text: str) -> Parameter:
    """``'@loginid INT = 0'`` -> Parameter('loginid', 'INT', 0)."""
    match = _DECLARATION.match(text.strip())
    if match is None:
        raise ValueError(f"cannot read the parameter declaration {text!r}")
    name, type_name, default, output = match.groups()
    value: Any = REQUIRED
    if default is not None:
        default = default.strip()
        if default.upper() == "NULL":
            value = None
        elif default.startswith("'") and default.endswith("'"):
            value = default[1:-1].replace("''", "'")
        else:
            value = float(default) if "." in default else int(default)
    return Parameter(name.lower(), re.sub(r"\s+", "", type_name or "").upper(), value, bool(output), name)


_REGISTRY: dict[str, Procedure] = {}
#: Declared parameters per procedure (in order; None: accept any).
_PARAMETERS: dict[str, tuple[Parameter, ...]] = {}
#: The procedure names as registered (their case), by lower-case name.
_DISPLAY: dict[str, str] = {}


def base_name(text: str) -> str:
    """``'BPSPATIENTS.dbo.[BP_AddPatient]'`` -> ``'bp_addpatient'``."""
    last = text.strip().split(".")[-1].strip()
    if last.startswith("[") and last.endswith("]"):
        last = last[1:-1]
    return last.strip('"').lower()


def register(name: str, fn: Procedure, parameters: tuple[str, ...] | None = None,
             optional: tuple[str, ...] = ()) -> Procedure:
    """Register ``fn`` as ``name``. Each parameter is a declaration (``'@loginid INT = 0'``); a bare name in
    ``optional`` gets the default NULL."""
    key = base_name(name)
    _REGISTRY[key] = fn
    _DISPLAY[key] = name.split(".")[-1].strip("[]")
    if parameters is not None:
        declared = [parse_parameter(p) for p in parameters]
        wanted = {o.lstrip("@").lower() for o in optional}
        _PARAMETERS[key] = tuple(Parameter(p.name, p.type, None, p.output, p.spelling)
                                 if p.name in wanted and not p.optional else p for p in declared)
    fn.__dict__["procedure_name"] = key
    return fn


def unregister(name: str) -> None:
    key = base_name(name)
    _REGISTRY.pop(key, None)
    _PARAMETERS.pop(key, None)
    _DISPLAY.pop(key, None)


def procedure(name: str, *parameters: str, optional: tuple[str, ...] = ()) -> Callable[[Procedure], Procedure]:
    """Decorator: register ``fn`` as the stored procedure ``name`` with its parameter declarations in order."""
    return lambda fn: register(name, fn, parameters if parameters else None, optional)


def declared_parameters(fn: Procedure) -> tuple[Parameter, ...] | None:
    """The declared parameters of a registered procedure (None: it accepts any)."""
    return _PARAMETERS.get(getattr(fn, "procedure_name", ""))


def parameters_of(fn: Procedure) -> tuple[str, ...] | None:
    declared = declared_parameters(fn)
    return None if declared is None else tuple(p.name for p in declared)


def parameter_name(fn: Procedure, position: int) -> str | None:
    declared = parameters_of(fn)
    return declared[position] if declared is not None and position < len(declared) else None


def display_name(name: str) -> str:
    """A registered procedure's name as declared (``BP_GetAllUsers``)."""
    return _DISPLAY.get(base_name(name), name)


def bind_arguments(fn: Procedure, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Positional ('$0', ...) and named arguments -> declared names; SQL Server's 201 / 8144 / 8145."""
    declared = declared_parameters(fn)
    if declared is None:
        return args
    names = [p.name for p in declared]
    shown = name.strip().split(".")[-1].strip("[]")
    bound: dict[str, Any] = {}
    for key, value in args.items():
        if key.startswith("$"):
            position = int(key[1:])
            if position >= len(names):
                raise errors.too_many_arguments(shown)
            bound[names[position]] = value
        elif key not in names:
            raise errors.not_a_parameter(key, shown)
        else:
            bound[key] = value
    for param in declared:
        if param.name not in bound:
            if not param.optional:
                raise errors.parameter_not_supplied(shown, param.name)
            bound[param.name] = param.default
    return bound


def find(name: str) -> Procedure | None:
    return _REGISTRY.get(base_name(name))


def names() -> list[str]:
    return sorted(_REGISTRY)


def database_names() -> list[str]:
    """The registered procedures of the practice database (not SQL Server's own ``sp_*``, marked ``system``)."""
    return [name for name in names() if not getattr(_REGISTRY[name], "system", False)]
