"""``mock-halo fixtures``: write a fake practice catalogue to a file (or load one into a real database).

    mock-halo fixtures --out practice.sqlite                      # 200 patients, seed 42, book around today
    mock-halo fixtures --anchor 2026-01-05 --out jan.sqlite       # the book around another date
    mock-halo fixtures --patients 100000 --out big.sqlite         # a big practice (a minute or so)
    mock-halo fixtures --format tsql --out bp.sql                 # for sqlcmd -i against SQL Server
    mock-halo fixtures --catalogue BPSSamples --format tsql --out samples.sql
    mock-halo fixtures --target "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db;UID=sa;PWD=..." \
        --catalogue BPSPatients --catalogue BPSSamples                 # load a real database (ODBC)

Progress goes to stderr as a bar; the last line is a summary with the row
counts and the time taken. Exit status 0 on success, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from mock_halo.practice.files import write_catalogue_file, write_tsql_script
from mock_halo.practice.generator import PRACTICE_TIMEZONE, normalise_anchor
from mock_halo.practice.loader import BP_CATALOGUES, canonical_catalogue, generation_arguments
from mock_halo.practice.model import ProgressCallback

_STAGE_LABELS = {"staff": "Practice and staff", "patients": "Patients", "appointments": "Appointment book",
                 "indexes": "Indexes and views"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock-halo fixtures",
        description="Write a deterministic fake Bp Premier practice database (SQLite file or T-SQL script).",
    )
    parser.add_argument("--patients", type=int, default=200, help="number of patients (default 200)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the fake data (default 42)")
    parser.add_argument("--anchor", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help=f"the date the appointment book is built around: the data is the practice at the start "
                             f"of that day (default: today in {PRACTICE_TIMEZONE})")
    parser.add_argument("--catalogue", action="append", default=None,
                        help=f"one of {', '.join(BP_CATALOGUES)} (default BPSPatients); with --target it may be "
                             "given more than once")
    parser.add_argument("--pms-type", default="BestPractice", help="practice-management system (only BestPractice)")
    parser.add_argument("--format", choices=("sqlite", "tsql"), default="sqlite", help="output format (default sqlite)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="file to write (replaced if it exists); - writes to standard output")
    where.add_argument("--target", metavar="CONNECTION",
                       help="ODBC connection string of a SQL Server or PostgreSQL database to load instead "
                            "(existing fixture objects are dropped and recreated)")
    parser.add_argument("--dialect", choices=("auto", "mssql", "postgresql"), default="auto",
                        help="database behind --target (default: from its DRIVER=)")
    parser.add_argument("--same-database", action="store_true",
                        help="SQL Server: load into the connection's own database instead of one database per "
                             "catalogue named after it (then give one --catalogue)")
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


@contextmanager
def _output(out: Path) -> Iterator[Path]:
    """The path to write: ``out`` itself, or for ``-`` a temporary file copied to standard output afterwards."""
    if str(out) != "-":
        yield out
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mock-halo-fixtures-") as tmp:
        path = Path(tmp) / "out"
        yield path
        sys.stdout.flush()
        with path.open("rb") as written:
            shutil.copyfileobj(written, sys.stdout.buffer)
        sys.stdout.buffer.flush()


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
    catalogues = args.catalogue or ["BPSPatients"]
    if args.anchor is None:
        args.anchor = normalise_anchor(datetime.now().astimezone())
    if args.target is not None:
        return _load_target(args, catalogues, say)
    if len(catalogues) > 1:
        say("mock-halo fixtures: error: --out writes one catalogue; give --catalogue once")
        return 2
    args.catalogue = catalogues[0]
    to_stdout = str(args.out) == "-"
    if to_stdout and args.format == "sqlite" and sys.stdout.isatty():
        say("mock-halo fixtures: error: --out - with --format sqlite writes a binary database: redirect standard "
            "output to a file, or use --format tsql for text")
        return 2
    write = write_catalogue_file if args.format == "sqlite" else write_tsql_script
    started = time.perf_counter()
    try:
        name = canonical_catalogue(args.pms_type, args.catalogue)
        with _progress_bar(not args.quiet) as progress, _output(args.out) as path:
            counts = write(path, args.pms_type, args.catalogue, args.seed, args.patients, progress,
                           anchor=args.anchor)
    except (ValueError, OSError) as exc:
        say(f"mock-halo fixtures: error: {exc}")
        return 2
    elapsed = time.perf_counter() - started
    main_tables = ("PATIENTS", "USERS", "SESSIONS", "APPOINTMENTS", "VISITS", "IMMUNISATIONS", "CURRENTRX",
                   "INVESTIGATIONS")
    summary = ", ".join(f"{t} {counts.get(t, 0)}" for t in main_tables)
    seed = generation_arguments(name, args.seed, args.patients)[0]
    say(f"Wrote {name} ({args.format}, seed {seed}, anchor {args.anchor}) to "
        f"{'standard output' if to_stdout else args.out}: {summary}; "
        f"{sum(counts.values())} rows in {elapsed:.2f} s")
    return 0


def _load_target(args: argparse.Namespace, catalogues: list[str], say: Callable[[str], None]) -> int:
    """``--target``: load the catalogues into a real database through ODBC (SQL Server or PostgreSQL)."""
    from mock_halo.config import ConfigError, redact

    started = time.perf_counter()
    try:
        from mock_halo.odbc import dialect_of

        names = [canonical_catalogue(args.pms_type, c) for c in catalogues]
        dialect = dialect_of(args.target, args.dialect)
        if args.same_database and len(names) > 1:
            raise ValueError("--same-database loads one catalogue; give --catalogue once")
    except (ValueError, ConfigError) as exc:
        say(f"mock-halo fixtures: error: {exc}")
        return 2
    try:
        if dialect == "mssql":
            from mock_halo.odbc.mssql_load import load_mssql

            with _progress_bar(not args.quiet) as progress:
                counts = load_mssql(args.target, names, args.seed, args.patients, pms_type=args.pms_type,
                                    databases=not args.same_database, progress=progress, anchor=args.anchor)
        else:
            from mock_halo.odbc.pg_load import load_postgres

            counts = load_postgres(args.target, names, args.seed, args.patients, pms_type=args.pms_type,
                                   anchor=args.anchor)
    except Exception as exc:  # noqa: BLE001 - driver errors (pyodbc.Error) and missing drivers, said plainly
        from mock_halo.odbc.errors import diagnostics

        record = diagnostics(exc)[0]
        say(f"mock-halo fixtures: error: loading {', '.join(names)} into {redact(args.target)} failed: "
            f"[{record.sqlstate}] {record.message}")
        return 1
    elapsed = time.perf_counter() - started
    for name in names:
        table_counts = {table.upper(): rows for table, rows in counts.get(name, {}).items()}
        say(f"Loaded {name} ({dialect}, seed {generation_arguments(name, args.seed, args.patients)[0]}) into "
            f"{redact(args.target)}: PATIENTS {table_counts.get('PATIENTS', 0)}, "
            f"{sum(table_counts.values())} rows")
    say(f"Done in {elapsed:.2f} s")
    return 0
