"""Starting and stopping the servers under test as subprocesses.

Each server runs in its own Python process so the load generator never shares
a GIL with it. Baseline and subject use the same uvicorn settings
(:data:`UVICORN_SETTINGS`); a server is "ready" when it answers HTTP on its
port.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bench.net import LOOPBACK_HOST, Reply, free_port, http_request

REPO_ROOT = Path(__file__).resolve().parent.parent

#: One worker, uvloop + httptools, nothing logged per request.
UVICORN_SETTINGS: tuple[str, ...] = (
    "--workers", "1",
    "--loop", "uvloop",
    "--http", "httptools",
    "--log-level", "warning",
    "--no-access-log",
)

BASELINE_APP = "bench.baseline_app:create_app"

#: Pause between readiness polls: short, but not a busy loop stealing a core
#: from the server that is starting.
POLL_INTERVAL_S = 0.005


#: Where children keep their bytecode: launches are timed with compiled modules
#: cached (as an installed package has them) even when the caller's environment
#: sets PYTHONDONTWRITEBYTECODE, and the repository gets no __pycache__ folders.
PYCACHE_DIR = Path(tempfile.gettempdir()) / "mock-halo-bench-pycache"


def child_env(scrub_prefixes: tuple[str, ...] = (), extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child interpreter: ours, minus ``scrub_prefixes``, plus the repo and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not any(k.startswith(p) for p in scrub_prefixes)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


class ServerError(RuntimeError):
    """A server did not start, died, or never became ready."""


@dataclass(frozen=True)
class LaunchSpec:
    """How to start one server: argv with ``{host}``/``{port}`` placeholders, extra env."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    #: Environment variables removed from the inherited environment (prefixes).
    scrub_env_prefixes: tuple[str, ...] = ()
    #: Output that means "this server does not exist yet" when it exits early
    #: (e.g. argparse's ``invalid choice``): the runner reports a skip, not an error.
    unavailable_markers: tuple[str, ...] = ()

    def unavailable(self, output: str) -> bool:
        """True when ``output`` (of an early exit) says the server is not implemented yet."""
        return any(marker in output for marker in self.unavailable_markers)

    def command(self, host: str, port: int) -> list[str]:
        """The argv for ``host:port``."""
        return [part.format(host=host, port=port) for part in self.argv]


def uvicorn_factory(app: str, name: str, env: Mapping[str, str] | None = None) -> LaunchSpec:
    """``python -m uvicorn APP --factory`` with the shared settings."""
    argv = (sys.executable, "-m", "uvicorn", app, "--factory",
            "--host", "{host}", "--port", "{port}", *UVICORN_SETTINGS)
    return LaunchSpec(name=name, argv=argv, env=dict(env or {}))


def baseline_launch() -> LaunchSpec:
    """The bare Starlette baseline app."""
    return uvicorn_factory(BASELINE_APP, "baseline")


class ServerProcess:
    """A server subprocess on a free loopback port; use as a context manager."""

    def __init__(self, spec: LaunchSpec, *, host: str = LOOPBACK_HOST, port: int | None = None) -> None:
        self.spec = spec
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.started_at: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> float:
        """Launch the process; return the ``time.perf_counter()`` just before launch."""
        env = child_env(self.spec.scrub_env_prefixes, self.spec.env)
        self.started_at = time.perf_counter()
        self._proc = subprocess.Popen(
            self.spec.command(self.host, self.port),
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.started_at

    def wait_ready(
        self, path: str = "/", *, timeout_s: float = 30.0, accept: Callable[[Reply], bool] | None = None,
    ) -> Reply:
        """Poll ``GET path`` until the server answers (an answer ``accept`` likes, if given).

        Raises :class:`ServerError` when the process exits or the deadline passes.
        """
        deadline = time.monotonic() + timeout_s
        last: Reply | None = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                last = http_request(self.port, "GET", path, host=self.host, timeout=1.0)
            except (OSError, http.client.HTTPException):
                last = None
            else:
                if accept is None or accept(last):
                    return last
            time.sleep(POLL_INTERVAL_S)
        seen = f"last answer {last.status}" if last else "no answer"
        raise ServerError(f"{self.spec.name} not ready on {self.base_url}{path} after {timeout_s:g} s "
                          f"({seen})\n{self.output_tail()}")

    def _check_alive(self) -> None:
        if self._proc is None:
            raise ServerError(f"{self.spec.name} was not started")
        code = self._proc.poll()
        if code is not None:
            raise ServerError(f"{self.spec.name} exited with code {code}\n{self.output_tail()}")

    def output_tail(self, lines: int = 15) -> str:
        """The last lines the server wrote to stdout/stderr."""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the process group this server leads (SIGTERM, then SIGKILL)."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Stop the server and drop its log."""
        self.stop()
        self._log.close()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
