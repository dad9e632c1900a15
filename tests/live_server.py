"""A real ``mock-halo serve`` in a subprocess on a free loopback port, as a user starts it.

Its output (banner, request log) is drained by a thread into ``lines``, so a chatty
server never blocks on a full pipe, and tests can read what it printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

BIN = Path(sys.executable).parent


class ServeProcess:
    """``mock-halo serve --port 0 ARGS``; ``base_url`` once the banner has been printed."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, command: Sequence[str] | None = None,
                 cwd: str | None = None, timeout: float = 60.0) -> None:
        argv = list(command) if command else [sys.executable, "-m", "mock_halo", "serve", "--port", "0"]
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [*argv, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        try:
            match = self.wait_for(r"listening\s+(http://\S+)", timeout)
            self.base_url = match.group(1)
            self.wait_for(r"Control plane:", timeout)
        except BaseException:
            self.stop()
            raise

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 10.0, start: int = 0) -> re.Match[str]:
        """The first match of ``pattern`` in a line printed from line ``start`` on (AssertionError after ``timeout``)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    found = regex.search(line)
                    if found:
                        return found
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n{''.join(self.lines)}")
                self._changed.wait(min(left, 0.2))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
