"""The rule vocabulary: what a rule matches and what it does, parsed from JSON.

The same outcome vocabulary serves rules (``POST /_mock/scenarios``), the
``[[scenarios]]`` tables of the config file, ``mock-halo serve --scenario``
and SQL-comment directives. Parsing is strict: an unknown key or a bad value
raises :class:`ScenarioError` with a message naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_halo.clock import parse_duration
from mock_halo.lifecycle.plan import SUCCESSFUL, TERMINAL, PlanOverride
from mock_halo.webhooks.faults import WebhookFaultError, WebhookFaults, parse_faults

SURFACES = ("token", "immediate", "async", "registered", "fhir", "query", "sites", "pairing")
#: Surfaces a rule reaches only when its ``surface`` names them: status polls
#: and result pages (``query``) were out of reach of rules before they existed.
OPT_IN_SURFACES = frozenset({"query", "sites", "pairing"})


class ScenarioError(ValueError):
    """A rule or directive that cannot be used; the message says why."""


#: Lifecycle outcome keys (camelCase, as in the JSON) -> PlanOverride field.
LIFECYCLE_KEYS = {
    "initialisingMs": "initialising_ms",
    "queuedMs": "queued_ms",
    "executingMs": "executing_ms",
    "pageUploadMs": "page_upload_ms",
    "failAfterPages": "fail_after_pages",
    "stallAfterPages": "stall_after_pages",
    "pageSizeBytes": "page_size_bytes",
    "retentionMs": "retention_ms",
}
#: The largest value each lifecycle key takes: a year for durations, so a
#: rule or directive can never lay a plan out past the clock's range.
YEAR_MS = 366 * 86_400_000
LIFECYCLE_LIMITS = {
    "initialisingMs": YEAR_MS, "queuedMs": YEAR_MS, "executingMs": YEAR_MS, "pageUploadMs": YEAR_MS,
    "retentionMs": YEAR_MS, "failAfterPages": 1_000_000, "stallAfterPages": 1_000_000, "pageSizeBytes": 1 << 30,
}
#: Added latency at most: ten minutes, past any timeout a Halo client meets
#: (the gateway gives up after 30-60 s); a longer wait would only tie up a
#: connection or, on a virtual clock, fling the shared clock forward.
MAX_LATENCY_MS = 600_000
#: ``Retry-After`` at most a day.
MAX_RETRY_AFTER_S = 86_400
OUTCOME_KEYS = ("error", "retryAfter", "message", "latency", "latencyMs", "sqlError", "status", "runSql", "webhook", *LIFECYCLE_KEYS)
MATCH_KEYS = ("site", "surface", "sql", "sqlRegex", "headers", "fhirResource", "ordinal", "count", "probability", "seed")
RULE_KEYS = ("id", "name", "match", "outcome")


@dataclass(frozen=True)
class Outcome:
    """What happens to a matching request. ``None`` everywhere means "as normal"."""

    error: int | None = None
    retry_after: int | None = None
    message: str | None = None
    latency_ms: int | None = None
    sql_error: tuple[int, str] | None = None
    status: str | None = None
    run_sql: bool = False
    lifecycle: Mapping[str, int] = field(default_factory=dict)
    #: Faults for the query's webhook notification (mock_halo.webhooks.faults).
    webhook: WebhookFaults | None = None

    @property
    def has_lifecycle(self) -> bool:
        return self.status is not None or bool(self.lifecycle)

    def plan_override(self) -> PlanOverride:
        """The async plan these fields force (raises ScenarioError for impossible ones)."""
        try:
            return PlanOverride(outcome=self.status, run_sql=self.run_sql, **self.lifecycle)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.error is not None:
            out["error"] = self.error
        if self.retry_after is not None:
            out["retryAfter"] = self.retry_after
        if self.message is not None:
            out["message"] = self.message
        if self.latency_ms is not None:
            out["latencyMs"] = self.latency_ms
        if self.sql_error is not None:
            out["sqlError"] = {"number": self.sql_error[0], "message": self.sql_error[1]}
        if self.status is not None:
            out["status"] = self.status
        if self.run_sql:
            out["runSql"] = True
        names = {v: k for k, v in LIFECYCLE_KEYS.items()}
        out.update({names[k]: v for k, v in self.lifecycle.items()})
        if self.webhook is not None:
            out["webhook"] = self.webhook.to_json()
        return out


@dataclass(frozen=True)
class Match:
    """Which requests a rule applies to; unset criteria match everything."""

    site: str | None = None
    surfaces: tuple[str, ...] = ()
    sql: str | None = None
    sql_regex: re.Pattern[str] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    fhir_resource: str | None = None
    ordinal: int = 1
    count: int | None = None
    #: Chaos: fire on each otherwise eligible request with this probability, drawn
    #: from a generator seeded by ``seed`` (default: the emulator's) and the rule id.
    probability: float | None = None
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ordinal": self.ordinal, "count": self.count}
        if self.probability is not None:
            out["probability"] = self.probability
        if self.seed is not None:
            out["seed"] = self.seed
        if self.site is not None:
            out["site"] = self.site
        if self.surfaces:
            out["surface"] = list(self.surfaces)
        if self.sql is not None:
            out["sql"] = self.sql
        if self.sql_regex is not None:
            out["sqlRegex"] = self.sql_regex.pattern
        if self.headers:
            out["headers"] = dict(self.headers)
        if self.fhir_resource is not None:
            out["fhirResource"] = self.fhir_resource
        return out


@dataclass(frozen=True)
class Rule:
    id: str
    name: str | None
    match: Match
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "match": self.match.to_json(), "outcome": self.outcome.to_json()}


# -- parsing ------------------------------------------------------------------
def _object(value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a JSON object.")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {unknown}; allowed: {list(allowed)}.")
    return value


def _int(value: Any, where: str, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where} must be an integer.")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ScenarioError(f"{where} must be {bound}; got {value}.")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"{where} must be a non-empty string.")
    return value


def parse_latency_ms(value: Any, where: str = "latency") -> int:
    """A duration (``"250ms"``, ``"2s"``, ``"PT1M"``) or a number of seconds, as milliseconds."""
    if isinstance(value, bool):
        raise ScenarioError(f"{where} must be a duration such as '250ms' or '2s'.")
    try:
        millis = parse_duration(value).total_seconds() * 1000
    except (TypeError, ValueError):
        raise ScenarioError(f"{where} must be a duration such as '250ms' or '2s'; got {value!r}.") from None
    if millis < 0:
        raise ScenarioError(f"{where} cannot be negative.")
    if millis > MAX_LATENCY_MS:
        raise ScenarioError(f"{where} can be at most 10 minutes ({MAX_LATENCY_MS} ms); got {value!r}.")
    return round(millis)


def parse_sql_error(value: Any, where: str = "sqlError") -> tuple[int, str]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be an object {{\"number\": 1205, \"message\": \"...\"}}.")
    _object(value, where, ("number", "message"))
    number = value.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ScenarioError(f"{where}.number must be an integer (a SQL Server error number).")
    message = value.get("message") or f"SQL Server error {number}."
    return number, _text(message, f"{where}.message")


def parse_outcome(data: Any, where: str = "outcome") -> Outcome:
    """An outcome object; at least one key must say what to do."""
    data = _object(data, where, OUTCOME_KEYS)
    if not data:
        raise ScenarioError(f"{where} is empty; give error, latency, sqlError, status, webhook or a lifecycle key.")
    error = _int(data["error"], f"{where}.error", 400, 599) if data.get("error") is not None else None
    retry_after = (
        _int(data["retryAfter"], f"{where}.retryAfter", 0, MAX_RETRY_AFTER_S) if data.get("retryAfter") is not None else None
    )
    if retry_after is not None and error != 429:
        raise ScenarioError(f"{where}.retryAfter only goes with error 429.")
    message = _text(data["message"], f"{where}.message") if data.get("message") is not None else None
    if message is not None and error is None:
        raise ScenarioError(f"{where}.message only goes with error.")
    latency = None
    if data.get("latency") is not None:
        latency = parse_latency_ms(data["latency"], f"{where}.latency")
    if data.get("latencyMs") is not None:
        latency = _int(data["latencyMs"], f"{where}.latencyMs", 0, MAX_LATENCY_MS)
    sql_error = parse_sql_error(data["sqlError"], f"{where}.sqlError") if data.get("sqlError") is not None else None
    status = data.get("status")
    if status is not None and (status not in TERMINAL or status == SUCCESSFUL):
        allowed = sorted(TERMINAL - {SUCCESSFUL})
        raise ScenarioError(f"{where}.status must be one of {allowed}; got {status!r}.")
    run_sql = data.get("runSql", False)
    if not isinstance(run_sql, bool):
        raise ScenarioError(f"{where}.runSql must be true or false.")
    lifecycle = {
        target: _int(data[key], f"{where}.{key}", 0, LIFECYCLE_LIMITS[key])
        for key, target in LIFECYCLE_KEYS.items() if data.get(key) is not None
    }
    webhook = None
    if data.get("webhook") is not None:
        try:
            webhook = parse_faults(data["webhook"], f"{where}.webhook")
        except WebhookFaultError as exc:
            raise ScenarioError(str(exc)) from None
    outcome = Outcome(error, retry_after, message, latency, sql_error, status, run_sql, lifecycle, webhook)
    if outcome.has_lifecycle:
        outcome.plan_override()  # impossible combinations fail now, not at the request
    return outcome


def parse_match(data: Any, where: str = "match") -> Match:
    data = _object(data if data is not None else {}, where, MATCH_KEYS)
    site = _text(data["site"], f"{where}.site").lower() if data.get("site") is not None else None
    raw_surface = data.get("surface")
    surfaces: tuple[str, ...] = ()
    if raw_surface is not None:
        items = [raw_surface] if isinstance(raw_surface, str) else raw_surface
        if not isinstance(items, list) or not items or any(s not in SURFACES for s in items):
            raise ScenarioError(f"{where}.surface must be one of {list(SURFACES)} (or a list of them); got {raw_surface!r}.")
        surfaces = tuple(items)
    sql = _text(data["sql"], f"{where}.sql").lower() if data.get("sql") is not None else None
    regex = None
    if data.get("sqlRegex") is not None:
        try:
            regex = re.compile(_text(data["sqlRegex"], f"{where}.sqlRegex"), re.IGNORECASE)
        except re.error as exc:
            raise ScenarioError(f"{where}.sqlRegex is not a valid regular expression: {exc}.") from None
    headers: tuple[tuple[str, str], ...] = ()
    if data.get("headers") is not None:
        raw = data["headers"]
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise ScenarioError(f"{where}.headers must be an object of header name to exact value.")
        headers = tuple((k.lower(), v) for k, v in raw.items())
    fhir = _text(data["fhirResource"], f"{where}.fhirResource") if data.get("fhirResource") is not None else None
    ordinal = _int(data["ordinal"], f"{where}.ordinal", 1) if data.get("ordinal") is not None else 1
    count = _int(data["count"], f"{where}.count", 1) if data.get("count") is not None else None
    probability = None
    if data.get("probability") is not None:
        probability = data["probability"]
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 < probability <= 1:
            raise ScenarioError(f"{where}.probability must be a number above 0 and at most 1; got {probability!r}.")
        probability = float(probability)
    seed = _int(data["seed"], f"{where}.seed", 0) if data.get("seed") is not None else None
    if seed is not None and probability is None:
        raise ScenarioError(f"{where}.seed only goes with probability.")
    return Match(site, surfaces, sql, regex, headers, fhir, ordinal, count, probability, seed)


def parse_rule(data: Any, rule_id: str) -> Rule:
    """A rule ``{"id"?, "name"?, "match": {...}, "outcome": {...}}``; ``rule_id`` when none is given."""
    data = _object(data, "rule", RULE_KEYS)
    if "outcome" not in data:
        raise ScenarioError("rule.outcome is required (what should happen to matching requests).")
    given = data.get("id")
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise ScenarioError("rule.name must be a string.")
    return Rule(
        id=_text(given, "rule.id") if given is not None else rule_id,
        name=name,
        match=parse_match(data.get("match")),
        outcome=parse_outcome(data["outcome"]),
    )
