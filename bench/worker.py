"""In-process measurements in a child interpreter: the two halves of the protocol.

A worker module (``bench/*_worker.py``) measures with the emulator imported in its own
process and prints one JSON object on its last stdout line: ``{"skip": reason}``,
``{"error": traceback}`` or its samples. :func:`report` is the worker's side,
:func:`run_worker` the scenario's (which turns ``skip`` and ``error`` into
:class:`~bench.registry.Skip` and :class:`~bench.registry.ScenarioFailure`).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import traceback
from collections.abc import Coroutine
from typing import Any


def report(measurement: Coroutine[Any, Any, dict[str, Any]]) -> None:
    """Run ``measurement`` and print its result (or the traceback that stopped it) as JSON."""
    try:
        result = asyncio.run(measurement)
    except Exception:  # noqa: BLE001 - reported to the harness
        result = {"error": traceback.format_exc()}
    print(json.dumps(result))


def run_worker(module: str, *args: str, timeout: float) -> dict[str, Any]:
    """``python -m module args`` with the emulator's defaults; the result it printed."""
    # (imported here: a worker imports this module too, and needs none of the harness)
    from bench.registry import ScenarioFailure, Skip
    from bench.scenarios.emulator import EMULATOR_ENV
    from bench.servers import REPO_ROOT, child_env

    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, env=child_env(("MOCK_HALO_",), EMULATOR_ENV),
                          capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ScenarioFailure(f"{module} exited with {proc.returncode}: {proc.stderr.strip()[-800:]}")
    result = json.loads(lines[-1])
    if "skip" in result:
        raise Skip(result["skip"])
    if "error" in result:
        raise ScenarioFailure(f"in-process measurement failed:\n{result['error']}")
    return result
