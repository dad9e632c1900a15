"""``ScenarioBook``: the rules in force, their counters, and the decision for a request.

Precedence (documented in the README): a request is checked against every rule
in creation order. A rule *matches* when all its criteria hold; it *fires* on
its ``ordinal``-th matching request and keeps firing until it has fired
``count`` times (unlimited when ``count`` is null); a rule with a
``probability`` fires on each such request only when its seeded draw says so
(chaos). Every firing rule counts,
and the outcome is composed kind by kind (HTTP error, latency, SQL error,
lifecycle, webhook faults): for each kind, the first firing rule that has it wins. A SQL-comment
directive comes before every rule.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_halo.scenarios.rules import OPT_IN_SURFACES, Outcome, Rule, ScenarioError, parse_rule
from mock_halo.webhooks.faults import WebhookFaults

#: Remembered (surface, site, SQL text) -> rules whose SQL substring it contains.
HITS_CACHE_SIZE = 4096


@dataclass(frozen=True)
class RequestFacts:
    """What a rule can look at. ``headers`` is case-insensitive (Starlette ``Headers``) or lower-case keyed."""

    surface: str
    site: str | None = None
    sql: str | None = None
    headers: Mapping[str, str] | None = None
    fhir_resource: str | None = None


@dataclass
class Decision:
    """The composed outcome for one request and the ids of the rules that fired."""

    error: Outcome | None = None
    latency_ms: int | None = None
    sql_error: tuple[int, str] | None = None
    lifecycle: Outcome | None = None
    webhook: WebhookFaults | None = None
    fired: list[str] = field(default_factory=list)

    def take(self, outcome: Outcome) -> None:
        """Fill each kind not set yet from ``outcome``."""
        if self.error is None and outcome.error is not None:
            self.error = outcome
        if self.latency_ms is None and outcome.latency_ms is not None:
            self.latency_ms = outcome.latency_ms
        if self.sql_error is None and outcome.sql_error is not None:
            self.sql_error = outcome.sql_error
        if self.lifecycle is None and outcome.has_lifecycle:
            self.lifecycle = outcome
        if self.webhook is None and outcome.webhook is not None:
            self.webhook = outcome.webhook


@dataclass
class _Entry:
    rule: Rule
    seed: int = 0
    seen: int = 0
    fired: int = 0
    draws: random.Random | None = None

    def __post_init__(self) -> None:
        m = self.rule.match
        if m.probability is not None:
            # One generator per rule, from the seed and the rule id: the same
            # requests in the same order meet the same injected outcomes.
            self.draws = random.Random(f"{m.seed if m.seed is not None else self.seed}:{self.rule.id}")

    def accepts(self, surface: str, site: str | None) -> bool:
        """The cheap criteria (surface and site), which decide the candidate lists."""
        m = self.rule.match
        if surface not in m.surfaces and (m.surfaces or surface in OPT_IN_SURFACES):
            return False
        return m.site is None or (site or "").lower() == m.site

    def matches(self, facts: RequestFacts, lowered_sql: str | None) -> bool:
        """The remaining criteria (``accepts`` already holds); ``lowered_sql`` is ``facts.sql.lower()``."""
        m = self.rule.match
        if m.sql is not None and (lowered_sql is None or m.sql not in lowered_sql):
            return False
        if m.sql_regex is not None and (facts.sql is None or m.sql_regex.search(facts.sql) is None):
            return False
        if m.fhir_resource is not None and (facts.fhir_resource or "").lower() != m.fhir_resource.lower():
            return False
        if m.headers:
            headers = facts.headers or {}
            for name, value in m.headers:
                if headers.get(name) != value:
                    return False
        return True

    def record(self) -> bool:
        """Count a matching request; True when the rule fires for it."""
        self.seen += 1
        m = self.rule.match
        if self.seen < m.ordinal or (m.count is not None and self.fired >= m.count):
            return False
        if self.draws is not None and self.draws.random() >= m.probability:
            return False
        self.fired += 1
        return True

    def to_json(self) -> dict[str, Any]:
        return {**self.rule.to_json(), "matched": self.seen, "fired": self.fired}


class ScenarioBook:
    """The rules of one emulator, in creation order. Thread-safe."""

    def __init__(self, preloaded: Iterable[Mapping[str, Any]] = (), seed: Callable[[], int] = lambda: 0) -> None:
        """``seed`` gives the seed of rules with a ``probability`` (the emulator's, read at each add)."""
        self._seed = seed
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        # Rules that can apply to a (surface, site), so a request that matches
        # none costs a dict lookup however many rules there are.
        self._candidates: dict[tuple[str, str | None], list[tuple[str | None, _Entry]]] = {}
        self._hits: dict[tuple[Any, str | None], list[_Entry]] = {}
        self._ids = itertools.count(1)
        self._preloaded = [dict(r) for r in preloaded]
        self._edits = 0  # rules added or removed since the last reset
        self.reset()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, data: Mapping[str, Any]) -> Rule:
        """Parse and append a rule (ScenarioError for a bad one or a duplicate id)."""
        with self._lock:
            rule = parse_rule(data, f"rule-{next(self._ids)}")
            if any(e.rule.id == rule.id for e in self._entries):
                raise ScenarioError(f"a rule with id '{rule.id}' already exists; delete it first or pick another id.")
            self._entries.append(_Entry(rule, self._seed()))
            self._candidates = {}
            self._hits = {}
            self._edits += 1
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._entries)
            self._entries = [e for e in self._entries if e.rule.id != rule_id]
            self._candidates = {}
            self._hits = {}
            self._edits += before - len(self._entries)
            return len(self._entries) != before

    def clear(self) -> None:
        with self._lock:
            self._edits += len(self._entries)
            self._entries = []
            self._candidates = {}
            self._hits = {}

    def reset(self) -> None:
        """Back to the preloaded rules (config file, ``--scenario``), counters at zero."""
        with self._lock:
            self._entries = []
            self._candidates = {}
            self._hits = {}
            self._ids = itertools.count(1)
        for data in self._preloaded:
            self.add(data)
        with self._lock:
            self._edits = 0

    def restore(self, rules: list[dict[str, Any]]) -> None:
        """Replace every rule with ``rules`` (``list()``'s output), counters included; new ids go on after theirs."""
        entries = []
        for data in rules:
            entry = _Entry(parse_rule({k: data[k] for k in ("id", "name", "match", "outcome") if k in data}, ""))
            entry.seen, entry.fired = int(data.get("matched", 0)), int(data.get("fired", 0))
            entries.append(entry)
        numbers = [int(e.rule.id[5:]) for e in entries if e.rule.id.startswith("rule-") and e.rule.id[5:].isdigit()]
        with self._lock:
            self._entries = entries
            self._candidates = {}
            self._hits = {}
            self._ids = itertools.count(max(numbers, default=0) + 1)
            self._edits += len(entries)

    def changes(self) -> int:
        """How far the rules are from their reset state: additions and removals since, plus rules that matched."""
        with self._lock:
            return self._edits + sum(1 for e in self._entries if e.seen)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e.to_json() for e in self._entries]

    def get(self, rule_id: str) -> dict[str, Any] | None:
        with self._lock:
            for entry in self._entries:
                if entry.rule.id == rule_id:
                    return entry.to_json()
        return None

    def decide(self, facts: RequestFacts, directive: Outcome | None = None) -> Decision | None:
        """The composed decision for a request, or None when nothing applies."""
        if not self._entries and directive is None:
            return None
        lowered = facts.sql.lower() if facts.sql is not None else None
        with self._lock:
            hits = self._hits_for((facts.surface, facts.site), lowered)
            if not hits and directive is None:
                return None
            decision = Decision()
            if directive is not None:
                decision.take(directive)
                decision.fired.append("sql-directive")
            for entry in hits:
                if entry.matches(facts, lowered) and entry.record():
                    decision.take(entry.rule.outcome)
                    decision.fired.append(entry.rule.id)
        return decision if decision.fired else None

    def _hits_for(self, key: tuple[str, str | None], lowered: str | None) -> list[_Entry]:
        """Rules that may match: surface and site accepted, SQL substring present (lock held).

        The SQL substring is the usual discriminator, tested in one tight
        comprehension (creation order kept) and remembered per SQL text, since
        clients repeat theirs; so a request matching no rule stays cheap.
        """
        hits_key = (key, lowered)
        hits = self._hits.get(hits_key)
        if hits is not None:
            return hits
        candidates = self._candidates.get(key)
        if candidates is None:
            candidates = self._candidates[key] = [(e.rule.match.sql, e) for e in self._entries if e.accepts(*key)]
        if lowered is None:
            hits = [e for sub, e in candidates if sub is None]
        else:
            hits = [e for sub, e in candidates if sub is None or sub in lowered]
        if len(self._hits) >= HITS_CACHE_SIZE:
            self._hits = {}
        self._hits[hits_key] = hits
        return hits
