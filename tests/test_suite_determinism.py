"""The suite generates the same data in every run of the same code, however its tests are split over workers."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import local_modules

ROOT = Path(__file__).resolve().parents[1]


def test_every_project_module_is_loaded_before_any_test_draws():
    # Hypothesis draws constants from the project's loaded modules; one loaded lazily by an earlier
    # test in the same worker would change what later tests generate (conftest loads them all).
    assert len(local_modules()) > 100
    assert [name for name in local_modules() if name not in sys.modules] == []


def test_the_test_command_runs_hypothesis_derandomized():
    # The `ci` profile (derandomize, no deadline, no too_slow health check): the same examples in
    # every CI run, and no failure from a loaded machine's timing.
    command = next(line for line in (ROOT / "scripts" / "test.sh").read_text().splitlines()
                   if line.startswith(".venv/bin/python -m pytest"))
    assert "--hypothesis-profile=ci" in command.split()
