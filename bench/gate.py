"""``python -m bench.gate``: the CI performance gate.

A short bench run (a few rounds of a few seconds per scenario) whose result
fails the build when a scenario lands far below its target: the floors here
are a third to a quarter of each target, loose enough for a noisy shared
machine (the A/A run strays by ~0.1-0.2 there), tight enough that a 10x
regression of any guarded scenario cannot pass, since each floor is above a
tenth of what the scenario measures today. The test command
(``scripts/test.sh``, which CI runs) calls it after the test suite.

Exit status: 0 when every gated scenario was measured and is above its floor,
1 otherwise (a table says which and why).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cli import main as bench_main


@dataclass(frozen=True)
class Floor:
    """The least a scenario may show: a throughput ratio, or at most this many seconds / MB per timing row."""

    min_ratio: float | None = None
    max_value: dict[str, float] | None = None


#: scenario -> its floor. Targets (bench/README.md) for comparison:
#: immediate-select >= 0.30, query-status >= 0.50, fhir-patient-family >= 0.10,
#: async-lifecycle-scale < 20 s and < 500 MB.
FLOORS: dict[str, Floor] = {
    "immediate-select": Floor(min_ratio=0.08),
    "query-status": Floor(min_ratio=0.12),
    "fhir-patient-family": Floor(min_ratio=0.03),
    "async-lifecycle-scale": Floor(max_value={"s": 60.0, "MB": 1000.0}),
}
#: Shorter than a full run, longer than --quick (one 1 s round is too noisy to gate on).
RUN_OPTIONS = ("--duration", "2", "--rounds", "3", "--warmup", "1", "--connections", "32")


def check(document: dict[str, Any], floors: dict[str, Floor] = FLOORS) -> list[str]:
    """The reasons the results in ``document`` fail the gate (empty: it passes)."""
    problems: list[str] = []
    found = {s["name"]: s for s in document.get("scenarios", [])}
    for name, floor in floors.items():
        scenario = found.get(name)
        if scenario is None:
            problems.append(f"{name}: not in the results")
            continue
        if scenario["status"] != "ok":
            problems.append(f"{name}: {scenario['status']} ({scenario.get('reason', '')[:300]})")
            continue
        throughput = scenario.get("throughput")
        if floor.min_ratio is not None:
            if throughput is None or throughput.get("ratio") is None:
                problems.append(f"{name}: no throughput ratio measured")
                continue
            errors = throughput["subject"]["errors"] + throughput["baseline"]["errors"]
            if errors:
                problems.append(f"{name}: {errors} error answers under load")
            if throughput["ratio"] < floor.min_ratio:
                problems.append(f"{name}: ratio {throughput['ratio']:.3f} is below the gate's floor {floor.min_ratio:.2f} "
                                f"(target {throughput.get('target')})")
        for row in scenario.get("timings", []) if floor.max_value else []:
            unit = row.get("unit", "s")
            limit = floor.max_value.get(unit)
            if limit is not None and row["subject_median_s"] >= limit:
                problems.append(f"{name}: {row['label']} {row['subject_median_s']:.1f} {unit} is over the gate's "
                                f"limit {limit:g} {unit} (target {row.get('target')})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="where to keep the bench results (default: a temporary file)")
    parser.add_argument("--only", action="append", choices=sorted(FLOORS), help="gate only these scenarios")
    args = parser.parse_args(argv)
    floors = {k: v for k, v in FLOORS.items() if not args.only or k in args.only}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.json) if args.json else Path(tmp) / "gate.json"
        only = [arg for name in floors for arg in ("--only", name)]
        status = bench_main([*RUN_OPTIONS, *only, "--json", str(path)])
        if status == 2 or not path.is_file():
            print(f"bench gate: the bench run failed to start (exit {status})", file=sys.stderr)
            return 1
        problems = check(json.loads(path.read_text(encoding="utf-8")), floors)
    for problem in problems:
        print(f"bench gate: FAIL {problem}", file=sys.stderr)
    if not problems:
        print(f"bench gate: PASS ({', '.join(floors)} above their floors)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
