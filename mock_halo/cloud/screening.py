"""Scenario rules and site latency applied to one Halo operation (the domain side).

Every operation that a rule can target calls :meth:`Screening.screen` once it
knows the request's surface, site and SQL. It parses any SQL-comment directive
(400 for a bad one), asks the scenario book for a decision, notes which rules
fired, lets the added latency pass on the emulator clock, and raises the error
a rule asks for. What is left is mapped here too: to an async query's plan
(:func:`plan_override`), an immediate query's forced failure
(:func:`immediate_fault`) or a failed registration (:func:`fails_registration`).

Latency is modelled on the emulator clock: with a frozen (virtual) clock the
request *takes* that long by advancing the clock, so nothing really sleeps;
with a running clock the operation waits ``latency / speed`` of wall time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from mock_halo import errors
from mock_halo.lifecycle.plan import EXECUTION_FAILED, INIT_FAILED_CACHE_ERROR, PlanOverride
from mock_halo.scenarios import Decision, Outcome, RequestFacts, ScenarioError, parse_directive

if TYPE_CHECKING:
    from mock_halo.emulator import Emulator

#: Halo's documented message for a 500 (halo-facts 10.2).
INTERNAL_ERROR_MESSAGE = "Failed to create query container in CosmosDB."
TOO_LARGE_MESSAGE = "Query Results Too Large"
#: Halo's documented 502 of pair-site: the practice management software failed (halo-facts 9.1).
PMS_FAILED_MESSAGE = "The practice management software returned an unexpected result code."


@dataclass(frozen=True)
class ImmediateFault:
    """A scenario's forced failure of an immediate query: a SQL Server error, or a result too large (413)."""

    sql_error: tuple[int, str] | None = None
    too_large: bool = False


class Screening:
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    async def screen(self, facts: RequestFacts, fired: list[str], *, after=None) -> Decision | None:
        """Rules + directive + site latency for one request; raises a rule's error.

        An immediate query's 413 is left to the operation (its body is a query record).
        With ``after`` (an awaitable answering the request), a request the rules let
        through is answered first and its latency passes afterwards: a slow answer,
        while the request itself (its token, say) was checked on arrival.
        """
        emulator = self._emulator
        try:
            directive = parse_directive(facts.sql) if facts.sql else None
        except ScenarioError as exc:
            raise errors.bad_request(str(exc)) from None
        decision = emulator.scenarios.decide(facts, directive)
        latency = emulator.site_latency_ms.get(facts.site, 0) if facts.site else 0
        if decision is not None:
            fired[:] = decision.fired
            latency += decision.latency_ms or 0
        failing = decision is not None and decision.error is not None
        if after is not None and not failing:
            await after
        if latency:
            await self.delay(latency)
        if failing:
            if not (facts.surface == "immediate" and decision.error.error == 413):
                raise rule_error(decision.error, facts.surface)
        return decision

    async def delay(self, millis: int) -> None:
        """Let ``millis`` of emulator time pass for this request (see the module docstring)."""
        clock = self._emulator.clock
        if clock.frozen:
            try:
                clock.advance(timedelta(milliseconds=millis))
            except ValueError as exc:  # the clock is at the end of its range
                raise errors.bad_request(f"The added latency cannot pass: {exc}.") from None
        else:
            await asyncio.sleep(millis / 1000 / clock.speed)


def rule_error(outcome: Outcome, surface: str | None = None) -> errors.HaloError:
    """The HaloError for a rule's ``error``, with Halo's documented body where there is one
    (a 502 has one on the ``pairing`` surface only)."""
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
    elif status == 502 and surface == "pairing":
        error = errors.HaloError(502, PMS_FAILED_MESSAGE)
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


def immediate_fault(decision: Decision | None) -> ImmediateFault | None:
    """An immediate query's forced failure: a rule's SQL error, or its 413 (a record, not an envelope)."""
    if decision is None or (decision.sql_error is None and decision.error is None):
        return None
    return ImmediateFault(sql_error=decision.sql_error, too_large=decision.error is not None)


def fails_registration(decision: Decision | None) -> bool:
    """A rule's ``status: initialisationFailedCacheError`` fails a registration (halo-facts 7)."""
    return decision is not None and decision.lifecycle is not None and decision.lifecycle.status == INIT_FAILED_CACHE_ERROR
