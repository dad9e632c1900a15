"""Child process of the ``app-create-reset`` scenario: times in-process calls.

Run as ``python -m bench.inproc_worker --iterations N``; prints one JSON object
on its last stdout line: ``{"skip": reason}``, ``{"error": traceback}`` or the
samples. It runs in its own process so the harness never imports the emulator
and every run starts from a cold interpreter.

Measured, interleaved per iteration: creating the bare baseline app,
``mock_halo.app.create_app()``, and ``reset()`` of the emulator the app
exposes (on one emulator whose engines were warmed first, so a reset has real
work to undo).
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from bench.baseline_app import create_app as create_bare_app


def find_emulator(app: Any) -> tuple[Any, str] | tuple[None, str]:
    """The domain object with a ``reset()`` on ``app.state``, and where it was found."""
    state = getattr(app, "state", None)
    candidate = getattr(state, "emulator", None)
    if callable(getattr(candidate, "reset", None)):
        return candidate, "app.state.emulator"
    for name, value in (getattr(state, "_state", {}) or {}).items():
        if callable(getattr(value, "reset", None)):
            return value, f"app.state.{name}"
    return None, "app.state has no object with reset()"


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def _close(emulator: Any) -> None:
    close = getattr(emulator, "close", None)
    if callable(close):
        close()


def measure(iterations: int) -> dict[str, Any]:
    """Time imports, a cold ``create_app()``, then ``iterations`` interleaved samples."""
    try:
        import_s, module = _timed(lambda: __import__("mock_halo.app", fromlist=["create_app"]))
        create_app = module.create_app
    except (ImportError, AttributeError) as exc:
        return {"skip": f"cannot import mock_halo.app.create_app: {exc}"}
    out: dict[str, Any] = {"import_s": import_s}
    out["first_create_s"], app = _timed(create_app)
    emulator, where = find_emulator(app)
    if emulator is None:
        return {"skip": f"create_app() exposes no emulator: {where}"}
    out["emulator_attribute"] = where
    warm = getattr(emulator, "warm", None)
    if callable(warm):
        try:
            out["warm_s"], _ = _timed(warm)
        except Exception as exc:  # the engine may not exist yet: reset a cold emulator then
            out["warm_error"] = f"{type(exc).__name__}: {exc}"
    out["first_reset_s"], _ = _timed(emulator.reset)
    bare: list[float] = []
    created: list[float] = []
    resets: list[float] = []
    for _ in range(iterations):
        bare.append(_timed(create_bare_app)[0])
        seconds, other = _timed(create_app)
        created.append(seconds)
        other_emulator, _ = find_emulator(other)
        if other_emulator is not None and other_emulator is not emulator:
            _close(other_emulator)
        resets.append(_timed(emulator.reset)[0])
    _close(emulator)
    out.update(bare_create_s=bare, create_app_s=created, reset_s=resets)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the measurement (or why there is none) as JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.inproc_worker")
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args(argv)
    try:
        result = measure(max(1, args.iterations))
    except Exception:
        result = {"error": traceback.format_exc()}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
