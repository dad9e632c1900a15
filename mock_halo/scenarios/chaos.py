"""Chaos profiles: seeded probabilities of Halo's failures, for black-box clients (``serve --chaos``).

A profile is a list of faults, each a scenario rule with a ``probability``:
every request a fault matches meets its outcome with that probability, drawn
from a generator seeded by the profile's ``seed`` (default: the emulator's)
and the fault's id. The same seed and the same requests in the same order meet
the same injected outcomes, so a run replays exactly; the journal names the
faults that fired for each request (ids ``chaos-...``). Format (JSON, or TOML
with ``[[faults]]`` tables)::

    {"seed": 7,
     "faults": [
       {"id": "rate-limited", "probability": 0.05, "surface": ["token", "async", "query"],
        "outcome": {"error": 429, "retryAfter": 2}},
       {"probability": 0.02, "surface": "async", "outcome": {"status": "expiredInQueue"}}]}

A fault takes every match key of a rule (``surface``, ``site``, ``sql``, ...)
besides ``probability`` (above 0, at most 1), and ``id``, ``name`` and
``outcome`` as a rule does. Built-in profiles: :data:`PROFILES`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mock_halo.scenarios.rules import MATCH_KEYS, ScenarioError, parse_rule

_SUBMISSIONS = ["token", "immediate", "async", "registered"]
_EVERY_CALL = [*_SUBMISSIONS, "query", "fhir"]

#: Built-in profiles: ``mild`` (a bad day now and then) and ``stormy`` (a bad day).
PROFILES: dict[str, dict[str, Any]] = {
    "mild": {"faults": [
        {"id": "rate-limited", "probability": 0.03, "surface": _EVERY_CALL, "outcome": {"error": 429, "retryAfter": 2}},
        {"id": "unavailable", "probability": 0.01, "surface": _EVERY_CALL, "outcome": {"error": 503}},
        {"id": "gateway-timeout", "probability": 0.01, "surface": ["immediate", "fhir"], "outcome": {"error": 504}},
        {"id": "slow", "probability": 0.05, "surface": _EVERY_CALL, "outcome": {"latency": "1500ms"}},
        {"id": "execution-failed", "probability": 0.01, "surface": "async", "outcome": {"status": "executionFailed"}},
        {"id": "slow-pages", "probability": 0.05, "surface": "async", "outcome": {"pageSizeBytes": 4096, "pageUploadMs": 3000}},
    ]},
    "stormy": {"faults": [
        {"id": "rate-limited", "probability": 0.10, "surface": _EVERY_CALL, "outcome": {"error": 429, "retryAfter": 5}},
        {"id": "internal-error", "probability": 0.03, "surface": _EVERY_CALL, "outcome": {"error": 500}},
        {"id": "unavailable", "probability": 0.05, "surface": _EVERY_CALL, "outcome": {"error": 503}},
        {"id": "gateway-timeout", "probability": 0.03, "surface": ["immediate", "fhir", "query"], "outcome": {"error": 504}},
        {"id": "slow", "probability": 0.10, "surface": _EVERY_CALL, "outcome": {"latency": "5s"}},
        {"id": "site-offline", "probability": 0.03, "surface": "async", "outcome": {"status": "initialisationFailedSiteOffline"}},
        {"id": "expired-in-queue", "probability": 0.03, "surface": "async", "outcome": {"status": "expiredInQueue"}},
        {"id": "execution-failed", "probability": 0.03, "surface": "async", "outcome": {"status": "executionFailed"}},
        {"id": "upload-failed", "probability": 0.03, "surface": "async",
         "outcome": {"status": "uploadFailed", "pageSizeBytes": 2048, "failAfterPages": 1}},
        {"id": "slow-pages", "probability": 0.10, "surface": "async", "outcome": {"pageSizeBytes": 2048, "pageUploadMs": 10000}},
        {"id": "early-retention", "probability": 0.03, "surface": "async", "outcome": {"retentionMs": 60000}},
    ]},
}


def profile_rules(profile: Mapping[str, Any], source: str = "chaos profile") -> list[dict[str, Any]]:
    """The scenario rules of a profile (ScenarioError naming the fault for a bad one)."""
    if not isinstance(profile, Mapping) or not isinstance(profile.get("faults"), list) or not profile["faults"]:
        raise ScenarioError(f'{source} must be an object with a non-empty "faults" array (and an optional "seed").')
    unknown = sorted(set(profile) - {"seed", "faults"})
    if unknown:
        raise ScenarioError(f'{source}: unknown key(s) {unknown}; a profile has "seed" and "faults".')
    seed = profile.get("seed")
    rules = []
    for number, fault in enumerate(profile["faults"], 1):
        where = f"{source}, fault {number}"
        if not isinstance(fault, Mapping):
            raise ScenarioError(f"{where} must be an object.")
        if fault.get("probability") is None:
            raise ScenarioError(f"{where}: probability is required (0 < p <= 1).")
        rule: dict[str, Any] = {
            "id": f"chaos-{fault.get('id', number)}",
            "match": {k: v for k, v in fault.items() if k in MATCH_KEYS},
            "outcome": fault.get("outcome"),
        }
        if seed is not None:
            rule["match"]["seed"] = seed
        if fault.get("name") is not None:
            rule["name"] = fault["name"]
        extra = sorted(set(fault) - set(MATCH_KEYS) - {"id", "name", "outcome"})
        if extra:
            raise ScenarioError(f"{where}: unknown key(s) {extra}; a fault has match keys, id, name and outcome.")
        try:
            parse_rule(rule, rule["id"])
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        rules.append(rule)
    return rules


def load_profile(name_or_path: str) -> list[dict[str, Any]]:
    """The rules of a built-in profile (``mild``, ``stormy``) or of a JSON/TOML profile file."""
    if name_or_path in PROFILES:
        return profile_rules(PROFILES[name_or_path], f"chaos profile {name_or_path}")
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            f"chaos profile {name_or_path}: not a built-in profile ({', '.join(PROFILES)}) and cannot be read: "
            f"{exc.strerror or exc}"
        ) from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"chaos profile {name_or_path} cannot be parsed: {exc}") from None
    return profile_rules(data, f"chaos profile {name_or_path}")
