"""``mock-halo fixtures``: write a fake practice catalogue to a file.

    mock-halo fixtures --out practice.sqlite                      # 200 patients, seed 42
    mock-halo fixtures --patients 100000 --out big.sqlite         # a big practice (a minute or so)
    mock-halo fixtures --format tsql --out bp.sql                 # for sqlcmd -i against SQL Server
    mock-halo fixtures --catalogue BPSSamples --format tsql --out samples.sql

Progress goes to stderr as a bar; the last line is a summary with the row
counts and the time taken. Exit status 0 on success, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .files import write_catalogue_file, write_tsql_script
from .loader import BP_CATALOGUES, canonical_catalogue, generation_arguments
from .model import ProgressCallback

_STAGE_LABELS = {"staff": "Practice and staff", "patients": "Patients", "appointments": "Appointment book",
                 "indexes": "Indexes and views"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock-halo fixtures",
        description="Write a deterministic fake Bp Premier practice database (SQLite file or T-SQL script).",
    )
    parser.add_argument("--patients", type=int, default=200, help="number of patients (default 200)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the fake data (default 42)")
    parser.add_argument("--catalogue", default="BPSPatients",
                        help=f"one of {', '.join(BP_CATALOGUES)} (default BPSPatients)")
    parser.add_argument("--pms-type", default="BestPractice", help="practice-management system (only BestPractice)")
    parser.add_argument("--format", choices=("sqlite", "tsql"), default="sqlite", help="output format (default sqlite)")
    parser.add_argument("--out", required=True, type=Path, help="file to write (replaced if it exists)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressCallback | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGE_LABELS.get(stage, stage), total=max(total, 1))
            bar.update(tasks[stage], completed=done if total else 1, total=max(total, 1))

        yield update


def fixtures_main(argv: list[str], *, stderr: Callable[[str], None] | None = None) -> int:
    """Run ``mock-halo fixtures`` with ``argv`` (without the subcommand name); returns the exit status."""
    say = stderr or (lambda text: print(text, file=sys.stderr))
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0)
    if args.patients < 0:
        say("mock-halo fixtures: error: --patients must be 0 or more")
        return 2
    write = write_catalogue_file if args.format == "sqlite" else write_tsql_script
    started = time.perf_counter()
    try:
        name = canonical_catalogue(args.pms_type, args.catalogue)
        with _progress_bar(not args.quiet) as progress:
            counts = write(args.out, args.pms_type, args.catalogue, args.seed, args.patients, progress)
    except (ValueError, OSError) as exc:
        say(f"mock-halo fixtures: error: {exc}")
        return 2
    elapsed = time.perf_counter() - started
    main_tables = ("PATIENTS", "USERS", "SESSIONS", "APPOINTMENTS", "VISITS", "IMMUNISATIONS", "CURRENTRX",
                   "INVESTIGATIONS")
    summary = ", ".join(f"{t} {counts.get(t, 0)}" for t in main_tables)
    seed = generation_arguments(name, args.seed, args.patients)[0]
    say(f"Wrote {name} ({args.format}, seed {seed}) to {args.out}: {summary}; "
        f"{sum(counts.values())} rows in {elapsed:.2f} s")
    return 0
