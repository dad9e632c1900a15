"""``mock-halo contract``: run the contract suite against a target, with progress and a JUnit report.

The suite is the ``contracts/`` folder (in a wheel: ``mock_halo/_data/contracts``);
this runs pytest on it in-process with a one-line-per-test progress display,
after printing what the target can do (kind, control plane, read-only, budget).

Exit codes: 0 all passed (skips are fine), 1 a test failed or shape drift
failed the run, 2 bad options or an unreachable target, 3-5 pytest's own
(internal error, usage error, no tests collected).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from mock_halo.contract.target import ENV, LAST_USAGE, Target, TargetError, config_from

INSTALL_HINT = "mock-halo contract needs the contract extra: pip install '.[contract]' in a checkout, or the wheel with [contract]"


def contracts_dir() -> Path:
    """The suite: ``mock_halo/_data/contracts`` in a wheel, ``contracts/`` in a checkout."""
    from mock_halo.resources import data_path

    return data_path("contracts")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mock-halo contract",
        description="Run mock-halo's contract suite against the in-process emulator (default), a running emulator, or a real Halo Cloud.",
        epilog="Every option also reads an environment variable: "
        + ", ".join(f"--{name.replace('_', '-')}: {env}" for name, env in ENV.items() if name != "halo_base_url")
        + ", --halo-base-url: HALO_BASE_URL. Extra arguments after '--' go to pytest.",
    )
    t = p.add_argument_group("target")
    t.add_argument("--target", help="inprocess (default), halo, or the base URL of a running emulator (http://127.0.0.1:8080)")
    t.add_argument("--halo-base-url", help="a real Halo Cloud's base URL, e.g. https://api.stage.haloconnect.io")
    t.add_argument("--subscription-key", help="the integrator's subscription key (prefer HALO_SUBSCRIPTION_KEY: flags show in ps)")
    t.add_argument("--site-id", help="the Halo site GUID to query")
    t.add_argument("--device-id", help="the device id tokens are requested for")
    t.add_argument("--api", choices=("device", "desktop", "integrator"),
                   help="path prefix of query calls (halo default: desktop; else device); integrator: the key alone")
    t.add_argument("--budget", help="the most requests the suite may make (halo default: 60; else unlimited); tests past it skip")
    t.add_argument("--allow-writes", action="store_true", default=None, help="let tests marked 'writes' run against a real Halo")
    t.add_argument("--no-control", action="store_true", default=None, help="ignore a /_mock control plane even where one answers")
    t.add_argument("--allow-reset", action="store_true", default=None,
                   help="let the run reset a running emulator that holds state (and move its clock); without it such "
                        "an emulator is left alone and tests that need its control plane skip")
    t.add_argument("--admin-token", help="admin token for a non-loopback emulator's /_mock control plane")
    r = p.add_argument_group("reporting")
    r.add_argument("--junitxml", metavar="FILE", help="write a JUnit XML report to FILE")
    r.add_argument("--record-shapes", metavar="FILE", help="record response shapes (never values) to FILE: a drift snapshot")
    r.add_argument("--compare-shapes", metavar="FILE", help="diff response shapes against the snapshot FILE and report drift")
    r.add_argument("--drift", choices=("fail", "warn"), default="fail", help="with --compare-shapes: fail on drift (default) or warn")
    s = p.add_argument_group("selection")
    s.add_argument("-k", dest="keyword", metavar="EXPR", help="only tests matching the pytest -k expression")
    s.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    s.add_argument("--suite", metavar="DIR", help="run the contract tests in DIR instead of the bundled suite")
    return p


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    args = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        import pytest  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    options = {
        "target": args.target, "halo_base_url": args.halo_base_url, "subscription_key": args.subscription_key,
        "site_id": args.site_id, "device_id": args.device_id, "api": args.api, "budget": args.budget,
        "allow_writes": args.allow_writes, "no_control": args.no_control, "admin_token": args.admin_token,
        "allow_reset": args.allow_reset,
    }
    try:
        config = config_from(options, os.environ)
    except TargetError as exc:
        print(f"mock-halo contract: {exc}", file=sys.stderr)
        return 2
    # Capability detection, up front (costs no budget: /_mock calls are free, a halo target is not probed).
    with Target.open(config) as probe:
        summary = probe.describe()
        unreachable = probe.kind == "url" and "failed" in probe.control_reason
    if unreachable:
        print(f"mock-halo contract: cannot reach the emulator at {config.base_url}: {summary['control_plane_detail']}", file=sys.stderr)
        return 2
    suite = Path(args.suite) if args.suite else contracts_dir()
    print_summary(summary, suite, out)
    reporter = ProgressReporter(out)
    import tempfile

    import pytest

    with tempfile.TemporaryDirectory(prefix="mock-halo-contract-") as tmp:
        # Our own (empty) ini: the suite must not pick up whatever pytest
        # configuration sits above the installed package or the checkout.
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        pytest_args = ["-c", str(ini), *build_pytest_args(args, options, suite), *extra]
        LAST_USAGE.clear()
        code = int(pytest.main(pytest_args, plugins=[reporter]))
    reporter.finish(code, LAST_USAGE.get("requests"), LAST_USAGE.get("budget"))
    return code


def build_pytest_args(args: argparse.Namespace, options: dict[str, Any], suite: Path) -> list[str]:
    """The pytest command line: the suite folder, our reporter instead of pytest's, the target options."""
    result = [str(suite), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:xdist", "-o", "addopts=", "--rootdir", str(suite),
              "-o", "junit_suite_name=mock-halo-contract", "-o", "junit_family=xunit2"]
    for name, value in options.items():
        if value in (None, False, ""):
            continue
        flag = "--" + name.replace("_", "-")
        result += [flag] if value is True else [f"{flag}={value}"]
    if args.junitxml:
        result.append(f"--junitxml={args.junitxml}")
    if args.record_shapes:
        result.append(f"--record-shapes={args.record_shapes}")
    if args.compare_shapes:
        result.append(f"--compare-shapes={args.compare_shapes}")
        result.append(f"--drift={args.drift}")
    if args.keyword:
        result += ["-k", args.keyword]
    if args.exitfirst:
        result.append("-x")
    return result


def print_summary(summary: dict[str, Any], suite: Path, out: TextIO) -> None:
    yes_no = {True: "yes", False: "no"}
    kind = summary["kind"]
    where = "in-process emulator (virtual clock)" if kind == "inprocess" else summary["base_url"]
    lines = [
        f"mock-halo contract: target {kind} — {where}",
        f"  api prefix      /{summary['api']}   site {summary['site_id']}   device {summary['device_id']}",
        f"  control plane   {yes_no[summary['control_plane']]} ({summary['control_plane_detail']})"
        + ("" if summary["control_plane"] else ": clock/scenario tests skip"),
        f"  read-only       {yes_no[summary['read_only']]}" + (": tests that write skip (--allow-writes)" if summary["read_only"] else ""),
        f"  request budget  {summary['budget']}",
        f"  suite           {suite}",
    ]
    print("\n".join(lines), file=out, flush=True)


class ProgressReporter:
    """A pytest plugin: one line per test as it finishes, failures in full at the end."""

    LABELS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.total = 0
        self.done = 0
        self.counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
        self.failures: list[tuple[str, str]] = []
        self.started = time.perf_counter()
        self._outcome: dict[str, tuple[str, str, float]] = {}

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def pytest_collection_finish(self, session) -> None:
        self.total = len(session.items)
        self._print(f"collected {self.total} contract test(s)\n")

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.counts["error"] += 1
            self.failures.append((f"collecting {report.nodeid or 'the suite'}", report.longreprtext))
            self._print(f"ERROR collecting {report.nodeid}")

    def pytest_runtest_logreport(self, report) -> None:
        nodeid = report.nodeid
        outcome, detail, duration = self._outcome.get(nodeid, ("passed", "", 0.0))
        duration += report.duration
        if report.failed:
            outcome = "failed" if report.when == "call" else "error"
            self.failures.append((f"{nodeid} ({report.when})", report.longreprtext))
        elif report.skipped and outcome == "passed":
            outcome = "skipped"
            longrepr = report.longrepr
            detail = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
            detail = detail.removeprefix("Skipped: ")
        self._outcome[nodeid] = (outcome, detail, duration)
        if report.when == "teardown":
            self.done += 1
            self.counts[outcome] += 1
            line = f"[{self.done:>{len(str(self.total))}}/{self.total}] {self.LABELS[outcome]:<5} {nodeid} ({duration:.2f}s)"
            if detail:
                line += f" — {detail}"
            self._print(line)
            del self._outcome[nodeid]

    def finish(self, code: int, requests: int | None = None, budget: int | None = None) -> None:
        for title, text in self.failures:
            self._print(f"\n{'_' * 20} {title} {'_' * 20}\n{text}")
        parts = [f"{n} {name}" for name, n in self.counts.items() if n]
        elapsed = time.perf_counter() - self.started
        verdict = "OK" if code == 0 else f"FAILED (exit {code})"
        usage = ""
        if requests is not None:
            usage = f"; {requests} request(s) made" + (f" of a budget of {budget}" if budget is not None else "")
        self._print(f"\nmock-halo contract: {verdict} — {', '.join(parts) or 'no tests'} in {elapsed:.1f}s{usage}")
