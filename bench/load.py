"""Choosing and running a load tool: ``wrk`` when installed, else the Python fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bench import pyload, wrk
from bench.model import LoadResult, RequestSpec

ToolChoice = Literal["auto", "wrk", "python"]


@dataclass(frozen=True)
class LoadTool:
    """A resolved load tool: its name, version text, and (for wrk) the executable."""

    name: str
    version: str
    executable: str | None = None

    def run(self, host: str, port: int, request: RequestSpec, *, duration_s: float, connections: int) -> LoadResult:
        """One load run of ``duration_s`` seconds with ``connections`` connections."""
        if self.name == wrk.TOOL_NAME:
            assert self.executable is not None
            return wrk.run_wrk(self.executable, host, port, request, duration_s=duration_s, connections=connections)
        return pyload.run_python_load(host, port, request, duration_s=duration_s, connections=connections)


def resolve_tool(choice: ToolChoice = "auto") -> LoadTool:
    """``auto`` picks wrk when it is on PATH; asking for ``wrk`` without it is an error."""
    if choice in ("auto", "wrk"):
        executable = wrk.find_wrk()
        if executable:
            return LoadTool(wrk.TOOL_NAME, wrk.wrk_version(executable), executable)
        if choice == "wrk":
            raise RuntimeError("wrk was requested but is not installed (apt-get install wrk)")
    return LoadTool(pyload.TOOL_NAME, "bench.pyload (asyncio, keep-alive)")
