"""``mock-halo judge``: the client checks over a running emulator's journal (or a saved one).

For clients in any language: run the client against ``mock-halo serve`` (with
``--chaos`` for a bad day), then judge what it did::

    mock-halo judge --url http://127.0.0.1:8080
    mock-halo judge --journal journal.json --check honours_retry_after --check backs_off

Exit status: 0 when every check passed, 1 when one failed, 2 for bad options or
an unreachable emulator.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mock_halo.checks import CHECKS, judge


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mock-halo judge", description="Judge a client from the emulator's request journal.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", default="http://127.0.0.1:8080", help="a running emulator (default %(default)s)")
    source.add_argument("--journal", metavar="FILE.json", help="a saved GET /_mock/journal answer (or its entries array)")
    parser.add_argument("--admin-token", help="for an emulator that is not on loopback")
    parser.add_argument("--check", action="append", choices=list(CHECKS), help="a check to run (repeatable; default all)")
    parser.add_argument("--min-delay", type=float, default=1.0, help="backs_off: shortest wait before a retry (s)")
    parser.add_argument("--min-poll-interval", type=float, default=1.0, help="polls_no_faster_than: shortest gap (s)")
    parser.add_argument("--max-in-flight", type=int, default=8, help="under_concurrency_cap: most requests at once")
    parser.add_argument("--max-page-delay", type=float, default=30.0, help="fetches_every_page: longest idle before a page (s)")
    parser.add_argument("--json", action="store_true", help="print the violations as JSON")
    return parser


def _read(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if args.journal:
        data = json.loads(Path(args.journal).read_text(encoding="utf-8"))
        return (data["entries"] if isinstance(data, dict) else data), []
    from mock_halo.client import MockHaloControl

    with MockHaloControl(args.url, admin_token=args.admin_token) as control:
        return control.journal(), control.scenarios()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        entries, rules = _read(args)
    except Exception as exc:  # unreachable emulator, unreadable file: say which
        print(f"mock-halo judge: cannot read the journal: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    report = judge(entries, args.check, rules=rules, min_delay=args.min_delay, min_poll_interval=args.min_poll_interval,
                   max_in_flight=args.max_in_flight, max_page_delay=args.max_page_delay)
    if args.json:
        print(json.dumps({"ok": report.ok, "failed": report.failed, "requests": len(report.requests),
                          "violations": [{"check": v.check, "message": v.message, "entries": list(v.entries)}
                                         for v in report.violations]}, indent=2))
    else:
        print(report)
    return 0 if report.ok else 1
