"""Reading scenario rules from a JSON file (``mock-halo serve --scenario FILE.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mock_halo.scenarios.rules import ScenarioError


def read_rule_file(path: str | Path) -> list[dict[str, Any]]:
    """The rules in ``path``: one rule object, an array of rules, or ``{"rules": [...]}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"scenario file {path} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and set(data) == {"rules"}:
        data = data["rules"]
    rules = data if isinstance(data, list) else [data]
    if not rules or not all(isinstance(r, dict) for r in rules):
        raise ScenarioError(f"scenario file {path} must hold a rule object, an array of rules or {{\"rules\": [...]}}")
    return rules
