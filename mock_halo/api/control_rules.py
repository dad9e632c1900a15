"""``/_mock/scenarios`` and ``/_mock/journal``: scenario rules and the request journal."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api.common import JSONBody, emulator_of
from mock_halo.api.control import admin, only_params, optional_json
from mock_halo.scenarios import ScenarioError

JOURNAL_FILTERS = ("path", "site", "status", "surface", "limit")


@admin
async def list_scenarios(request: Request) -> JSONBody:
    return JSONBody({"rules": emulator_of(request).scenarios.list()})


@admin
async def create_scenario(request: Request) -> JSONBody:
    """One rule, or ``{"rules": [...]}`` (all or nothing)."""
    body = await optional_json(request)
    if not body:
        raise errors.bad_request('The body must be a rule {"match": {...}, "outcome": {...}} or {"rules": [...]}.')
    book = emulator_of(request).scenarios
    items: list[Any] = body["rules"] if set(body) == {"rules"} else [body]
    if not isinstance(items, list) or not items:
        raise errors.bad_request("rules must be a non-empty array of rule objects.")
    created = []
    try:
        for item in items:
            created.append(book.add(item))
    except ScenarioError as exc:
        for rule in created:
            book.remove(rule.id)
        where = f" (rule {len(created) + 1})" if len(items) > 1 else ""
        raise errors.bad_request(f"{exc}{where}") from None
    rules = [book.get(rule.id) for rule in created]
    return JSONBody(rules[0] if set(body) != {"rules"} else {"rules": rules}, status_code=201)


@admin
async def get_scenario(request: Request) -> JSONBody:
    rule_id = request.path_params["ruleId"]
    rule = emulator_of(request).scenarios.get(rule_id)
    if rule is None:
        raise errors.not_found(f"Scenario rule '{rule_id}' was not found.")
    return JSONBody(rule)


@admin
async def delete_scenario(request: Request) -> Response:
    rule_id = request.path_params["ruleId"]
    if not emulator_of(request).scenarios.remove(rule_id):
        raise errors.not_found(f"Scenario rule '{rule_id}' was not found.")
    return Response(status_code=204)


@admin
async def delete_scenarios(request: Request) -> Response:
    emulator_of(request).scenarios.clear()
    return Response(status_code=204)


@admin
async def get_journal(request: Request) -> JSONBody:
    only_params(request, JOURNAL_FILTERS, "journal filter")
    params = request.query_params
    status = int_param(params.get("status"), "status")
    limit = int_param(params.get("limit"), "limit")
    journal = emulator_of(request).journal
    entries = journal.entries(
        path=params.get("path"), site=params.get("site"), status=status, surface=params.get("surface"), limit=limit
    )
    return JSONBody({"entries": entries, "count": len(entries), "capacity": journal.capacity})


@admin
async def clear_journal(request: Request) -> Response:
    emulator_of(request).journal.clear()
    return Response(status_code=204)


def int_param(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise errors.bad_request(f"{name} must be a non-negative integer; got '{value[:40]}'.")
    return int(value)
