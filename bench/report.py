"""Presenting results: rich tables on the terminal and the JSON results file."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench.load import LoadTool
from bench.model import LoadSummary, ScenarioResult, Verdict
from bench.registry import RunOptions
from bench.servers import PYCACHE_DIR, REPO_ROOT, UVICORN_SETTINGS

_VERDICT_STYLE = {"PASS": "bold green", "FAIL": "bold red", "n/a": "dim"}


def _versions() -> dict[str, str]:
    found = {}
    for name in ("starlette", "uvicorn", "uvloop", "httptools", "rich"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def _git_commit() -> str | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None


def machine_info() -> dict[str, Any]:
    """Facts about this machine and interpreter that explain the numbers."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "nproc": affinity or os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": _versions(),
        "git_commit": _git_commit(),
    }


def results_document(
    results: Sequence[ScenarioResult], options: RunOptions, tool: LoadTool, *, started: dt.datetime,
    wall_s: float, machine: dict[str, Any],
) -> dict[str, Any]:
    """Everything written to the JSON file."""
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "wall_s": wall_s,
        "machine": {**machine, "loadavg_after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        "load_tool": {"name": tool.name, "version": tool.version},
        "settings": {
            "duration_s": options.duration_s,
            "connections": options.connections,
            "rounds": options.rounds,
            "warmup_s": options.warmup_s,
            "samples": options.samples,
            "quick": options.quick,
            "launch": options.launch,
            "uvicorn": list(UVICORN_SETTINGS),
            "child_bytecode_cache": str(PYCACHE_DIR),
        },
        "scenarios": [r.to_json() for r in results],
    }


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write ``document`` to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _verdict(verdict: Verdict) -> str:
    return f"[{_VERDICT_STYLE[verdict]}]{verdict}[/]"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.001:
        return f"{value * 1e6:.0f} us"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"


def _megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MB"


def _side(table: Table, name: str, side: str, summary: LoadSummary, extra: Sequence[str]) -> None:
    table.add_row(name, side, f"{summary.rps:,.0f}", f"{summary.p50_ms:.2f}", f"{summary.p99_ms:.2f}",
                  str(summary.errors), *extra)


def render(results: Sequence[ScenarioResult], tool: LoadTool, options: RunOptions, console: Console) -> None:
    """Print the throughput, timing and skipped/error tables."""
    measured = [r for r in results if r.status == "ok"]
    throughput = [r for r in measured if r.throughput is not None]
    if throughput:
        table = Table(title=f"Throughput ({tool.name}, {options.connections} connections, "
                            f"{options.rounds} x {options.duration_s:g} s, medians)")
        for column in ("scenario", "side", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "target", "verdict"):
            table.add_column(column, justify="left" if column in ("scenario", "side", "target") else "right")
        for result in throughput:
            tp = result.throughput
            assert tp is not None
            _side(table, result.name, "subject", tp.subject,
                  [_ratio(tp.ratio), tp.target.describe() if tp.target else "-", _verdict(tp.verdict)])
            _side(table, "", "baseline", tp.baseline, ["", "", ""])
        console.print(table)
    timed = [r for r in measured if r.timings]
    if timed:
        table = Table(title="Timings (medians; ratio = subject / baseline, lower is better)")
        for column in ("scenario", "measure", "median", "baseline", "ratio", "target", "verdict", "n"):
            table.add_column(column, justify="left" if column in ("scenario", "measure", "target") else "right")
        for result in timed:
            for i, t in enumerate(result.timings):
                show = _megabytes if t.unit == "MB" else _seconds
                table.add_row(result.name if i == 0 else "", t.label, show(t.subject_median),
                              show(t.baseline_median), _ratio(t.ratio),
                              t.target.describe() if t.target else "-", _verdict(t.verdict), str(len(t.subject)))
        console.print(table)
    for result in measured:
        for note in result.details.get("notes") or ():
            console.print(f"{result.name}: {note}")
    others = [r for r in results if r.status != "ok"]
    if others:
        table = Table(title="Not measured")
        table.add_column("scenario")
        table.add_column("status")
        table.add_column("reason", overflow="fold")
        for result in others:
            style = "yellow" if result.status == "skipped" else "bold red"
            table.add_row(result.name, f"[{style}]{result.status}[/]", Text(result.reason))
        console.print(table)
