"""``immediate-select-100-rules``: ``immediate-select`` with 100 scenario rules loaded, none matching.

Issue 6's target: requests that match no rule are at most 5% slower than
without rules. Compare this scenario's ratio with ``immediate-select``'s in the
same run (both are measured against the same bare baseline). The rules are the
worst case for matching: no site or surface criterion, a SQL substring each, so
every rule is checked on every request.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

from bench.model import RequestSpec, Target
from bench.registry import RunContext, throughput
from bench.scenarios.emulator import NOT_BUILT_MARKERS, immediate_select
from bench.servers import LaunchSpec

RULES = 100


def _rules_file() -> str:
    rules = [{"match": {"sql": f"no-such-text-{i}"}, "outcome": {"error": 500}} for i in range(RULES)]
    path = os.path.join(tempfile.gettempdir(), f"mock-halo-bench-rules-{os.getpid()}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"rules": rules}, handle)
    return path


def rules_launch(ctx: RunContext) -> LaunchSpec:
    """``mock-halo serve --scenario <100 rules>``."""
    return LaunchSpec(
        name=f"mock-halo serve ({RULES} scenario rules)",
        argv=(sys.executable, "-m", "mock_halo", "serve", "--host", "{host}", "--port", "{port}", "--scenario", _rules_file()),
        env={"MOCK_HALO_LOG_LEVEL": "warning"},
        scrub_env_prefixes=("MOCK_HALO_",),
        unavailable_markers=(*NOT_BUILT_MARKERS, "unrecognized arguments: --scenario"),
    )


@throughput("immediate-select-100-rules", launch=rules_launch, target=Target.min_ratio(0.30),
            ready_path="/_mock/health", default=False)
def immediate_select_with_rules(ctx) -> RequestSpec:
    """immediate-select's request with 100 non-matching scenario rules loaded."""
    return immediate_select(ctx)
