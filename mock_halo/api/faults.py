"""Applying scenario rules and site latency to a Halo API request (the HTTP side).

Handlers call :func:`screen` once they know the request's surface, site and
SQL. It composes the rules' decision (see :mod:`mock_halo.scenarios.book`),
waits out any added latency, raises the HTTP error a rule asks for, and
returns the rest (SQL error, lifecycle) for the handler to apply.

Latency is modelled on the emulator clock: with a frozen (virtual) clock the
request *takes* that long by advancing the clock, so nothing really sleeps;
with a running clock the handler sleeps ``latency / speed`` of wall time.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.requests import Request

from mock_halo import errors
from mock_halo.emulator import Emulator
from mock_halo.lifecycle.plan import EXECUTION_FAILED, PlanOverride
from mock_halo.scenarios import Decision, Outcome, RequestFacts, ScenarioError, parse_directive

#: Halo's documented message for a 500 (halo-facts 10.2).
INTERNAL_ERROR_MESSAGE = "Failed to create query container in CosmosDB."
TOO_LARGE_MESSAGE = "Query Results Too Large"
FIRED_KEY = "mock_halo.fired"


async def screen(request: Request, emulator: Emulator, facts: RequestFacts) -> Decision | None:
    """Rules + directive + site latency for this request; raises a rule's HTTP error.

    An immediate query's 413 is left to the handler (its body is a query record).
    """
    try:
        directive = parse_directive(facts.sql) if facts.sql else None
    except ScenarioError as exc:
        raise errors.bad_request(str(exc)) from None
    decision = emulator.scenarios.decide(facts, directive)
    latency = emulator.site_latency_ms.get(facts.site, 0) if facts.site else 0
    if decision is not None:
        request.scope[FIRED_KEY] = list(decision.fired)
        latency += decision.latency_ms or 0
    if latency:
        await delay(emulator, latency)
    if decision is not None and decision.error is not None:
        if not (facts.surface == "immediate" and decision.error.error == 413):
            raise http_error(decision.error, emulator)
    return decision


async def delay(emulator: Emulator, millis: int) -> None:
    """Let ``millis`` of emulator time pass for this request (see the module docstring)."""
    clock = emulator.clock
    if clock.frozen:
        try:
            clock.advance(timedelta(milliseconds=millis))
        except ValueError as exc:  # the clock is at the end of its range
            raise errors.bad_request(f"The added latency cannot pass: {exc}.") from None
    else:
        await asyncio.sleep(millis / 1000 / clock.speed)


def http_error(outcome: Outcome, emulator: Emulator) -> errors.HaloError:
    """The HaloError for a rule's ``error``, with Halo's documented body where there is one."""
    status = outcome.error
    assert status is not None
    if status == 429:
        error = errors.too_many_requests(outcome.retry_after if outcome.retry_after is not None else 1)
    elif status == 500:
        error = errors.internal_error(INTERNAL_ERROR_MESSAGE)
    elif status == 503:
        error = errors.site_offline()
    elif status == 504:
        error = errors.gateway_timeout()
    elif status == 413:
        error = errors.HaloError(413, TOO_LARGE_MESSAGE)
    else:
        error = errors.HaloError(status, errors.status_text(status))
    if outcome.message is not None:
        error.message = outcome.message
    return error


def plan_override(decision: Decision | None) -> PlanOverride | None:
    """The async plan a decision forces: its lifecycle keys, and a SQL error as executionFailed."""
    if decision is None or (decision.lifecycle is None and decision.sql_error is None):
        return None
    base = decision.lifecycle.plan_override() if decision.lifecycle is not None else PlanOverride()
    if decision.sql_error is None:
        return base
    number, message = decision.sql_error
    details = errors.error_details("mssql", number, message)
    try:
        return PlanOverride(**{**base.__dict__, "outcome": base.outcome or EXECUTION_FAILED, "error": details})
    except ValueError as exc:
        raise errors.bad_request(f"Scenario outcome cannot be applied: {exc}.") from None
