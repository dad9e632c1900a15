"""Preparing schemathesis' generated cases: what the contract suite and the upstream-document tests share.

A negative case (one schemathesis broke on purpose) keeps what it broke: :func:`negative_at` tells where,
:func:`mutated_headers` which headers; a positive query command is made one that runs
(:func:`make_runnable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schemathesis.core.parameters import ParameterLocation


def negative_at(case: Any, location: ParameterLocation) -> bool:
    """Whether the case was made invalid at ``location`` (body, path, query, header)."""
    return case.meta is not None and case.meta.is_negative_at(location)


def mutated_headers(case: Any) -> set[str]:
    """Headers a negative case removed or broke on purpose (lower-case): they stay as generated."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    names = set()
    if str(getattr(data, "parameter_location", "")).lower().endswith("header") and getattr(data, "parameter", None):
        names.add(str(data.parameter).lower())
    for mutation in getattr(data, "mutations", ()) or ():
        if not str(mutation.parameter_location).lower().endswith("header"):
            continue
        if mutation.parameter:
            names.add(str(mutation.parameter).lower())
        if "required" in (mutation.keywords or ()) and isinstance(mutation.original_value, list):
            names |= {str(name).lower() for name in mutation.original_value}
    return names


def make_runnable(command: dict[str, Any], pick: int, sql: Sequence[str], procedures: Sequence[str]) -> None:
    """A schema-valid command made one that runs: real SQL (or a procedure's name), no stray parameters."""
    if command.get("type") == "storedProcedure":
        command["text"] = procedures[pick % len(procedures)]
    else:
        command["text"] = sql[pick % len(sql)]
    command.pop("parameters", None)
