"""``python -m bench``: parse options, run the chosen scenarios, print and save results."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.load import resolve_tool
from bench.registry import RunContext, RunOptions, all_scenarios
from bench.report import machine_info, render, results_document, write_json
from bench.runner import run_scenario

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
DEFAULTS = {"duration": 5.0, "connections": 64, "rounds": 3, "warmup": 1.0}
QUICK = {"duration": 1.0, "rounds": 1, "warmup": 0.0}

EPILOG = """\
Ratios are subject / baseline measured in the same run: for req/s higher is
better (1.00 = as fast as a bare Starlette JSON endpoint), for timings lower is
better. Absolute numbers on a shared machine mean little; compare ratios.
Exit status: 0 when every selected scenario ran or was skipped, 1 when one
failed to run (or, with --strict, missed its target), 2 for bad options.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    names = ", ".join(all_scenarios())
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark mock-halo against a bare Starlette app (ratios).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, help="seconds per load run (default 5; wrk rounds to whole s)")
    parser.add_argument("--connections", type=int, help="concurrent keep-alive connections (default 64)")
    parser.add_argument("--rounds", type=int, help="baseline/subject rounds; medians are reported (default 3)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per side before the rounds (default 1)")
    parser.add_argument("--samples", type=int,
                        help="samples per timing scenario (default: startup 5 launches, app-create-reset 20)")
    parser.add_argument("--only", action="append", metavar="NAME", help=f"run only this scenario (repeatable): {names}")
    parser.add_argument("--quick", action="store_true",
                        help="1 s runs, 1 round, no warm-up, few samples (explicit options still win)")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk when installed (auto), or the Python fallback")
    parser.add_argument("--launch", choices=["auto", "cli", "factory"], default="auto",
                        help="start the emulator with `python -m mock_halo serve` (cli) or "
                             "`uvicorn mock_halo.app:create_app --factory` (factory); auto prefers cli")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help="where to write the results (default bench/results/latest.json)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a scenario misses its target")
    return parser


def resolve_options(args: argparse.Namespace) -> RunOptions:
    """Explicit options win over ``--quick``, which wins over the defaults."""

    def pick(name: str) -> float:
        explicit = getattr(args, name)
        if explicit is not None:
            return explicit
        return QUICK.get(name, DEFAULTS[name]) if args.quick else DEFAULTS[name]

    return RunOptions(
        duration_s=float(pick("duration")),
        connections=int(pick("connections")),
        rounds=int(pick("rounds")),
        warmup_s=float(pick("warmup")),
        samples=args.samples,
        quick=args.quick,
        launch=args.launch,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; see ``python -m bench --help``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    scenarios = all_scenarios()
    # Tables stay readable when piped (rich assumes 80 columns without a terminal).
    out = Console() if sys.stdout.isatty() else Console(width=120)
    if args.list:
        for scenario in scenarios.values():
            flag = "" if scenario.default else "  (only with --only)"
            print(f"{scenario.name:<18} {scenario.kind:<10} {scenario.description}{flag}")
        return 0
    unknown = [name for name in args.only or [] if name not in scenarios]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(scenarios)}")
    options = resolve_options(args)
    if options.duration_s <= 0 or options.connections < 1 or options.rounds < 1 or options.warmup_s < 0:
        parser.error("--duration, --connections and --rounds must be positive, --warmup not negative")
    if args.samples is not None and args.samples < 1:
        parser.error("--samples must be positive")
    selected = [scenarios[n] for n in args.only] if args.only else [s for s in scenarios.values() if s.default]

    err = Console(stderr=True)
    try:
        tool = resolve_tool(args.tool)
    except RuntimeError as exc:
        parser.error(str(exc))
    err.print(f"[dim]load tool: {tool.version}; scenarios: {', '.join(s.name for s in selected)}[/]")
    started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    machine = machine_info()
    results = []
    for scenario in selected:
        err.print(f"[bold]{scenario.name}[/]: {scenario.description}")
        ctx = RunContext(options, tool, log=lambda line: err.print(f"  [dim]{line}[/]", highlight=False))
        result = run_scenario(scenario, ctx)
        if result.status != "ok":
            err.print(f"  [yellow]{result.status}[/]: ", end="")
            err.print(result.reason, highlight=False, markup=False)
        results.append(result)
    wall_s = time.perf_counter() - clock

    render(results, tool, options, out)
    write_json(results_document(results, options, tool, started=started, wall_s=wall_s, machine=machine), args.json)
    out.print(f"[dim]results: {args.json}  ({wall_s:.1f} s, nproc {machine['nproc']}, "
              f"load {machine['loadavg'][0] if machine['loadavg'] else '?'})[/]")
    failed = any(r.status == "error" for r in results)
    missed = any(r.status == "ok" and r.verdict == "FAIL" for r in results)
    return 1 if failed or (args.strict and missed) else 0
