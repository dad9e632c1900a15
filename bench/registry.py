"""The scenario registry: one decorated function per scenario.

Two kinds exist:

* **throughput**: a server to start (a :class:`LaunchSpec`), a setup function
  that talks to the started server (get a token, validate one request) and
  returns the :class:`RequestSpec` to load it with. The runner measures it
  against the bare baseline app under the same load, interleaved.
* **timing**: a function that measures durations itself (process launches,
  in-process calls) and returns :class:`TimingComparison` rows.

A scenario raises :class:`Skip` when something it needs does not exist yet and
:class:`ScenarioFailure` when it cannot be measured meaningfully (e.g. the
request it would load answers an error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.load import LoadTool
from bench.model import RequestSpec, Target, TimingComparison
from bench.net import Reply, http_request
from bench.servers import LaunchSpec, ServerProcess


#: Seconds one setup request may take (the first query can build fixture data).
SETUP_TIMEOUT_S = 60.0


class Skip(Exception):
    """A prerequisite of the scenario does not exist (yet); the message says which."""


class ScenarioFailure(Exception):
    """The scenario ran but its subject misbehaves; measuring it would be meaningless."""


@dataclass(frozen=True)
class RunOptions:
    """Resolved command-line options."""

    duration_s: float = 5.0
    connections: int = 64
    rounds: int = 3
    warmup_s: float = 1.0
    #: Samples per timing scenario; None lets each scenario pick its default.
    samples: int | None = None
    quick: bool = False
    launch: Literal["auto", "cli", "factory"] = "auto"


@dataclass
class RunContext:
    """What a scenario function gets: options, the load tool, a logger, a details dict."""

    options: RunOptions
    tool: LoadTool
    log: Callable[[str], None] = print
    #: Free-form facts recorded in the JSON results (launch mode, site id, ...).
    details: dict[str, Any] = field(default_factory=dict)

    def samples(self, default: int, quick: int) -> int:
        """The number of samples a timing scenario should take."""
        if self.options.samples is not None:
            return self.options.samples
        return quick if self.options.quick else default


@dataclass
class SetupContext:
    """Handed to a throughput scenario's setup: the started subject server."""

    server: ServerProcess
    run: RunContext

    @property
    def details(self) -> dict[str, Any]:
        return self.run.details

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Reply:
        """Send one request to the subject server and return its full reply.

        The timeout is generous: a first query may open (build) a site's database.
        """
        return http_request(self.server.port, method, path, headers, body, host=self.server.host,
                            timeout=SETUP_TIMEOUT_S)

    def send(self, spec: RequestSpec) -> Reply:
        """Send ``spec`` once to the subject server."""
        return self.request(spec.method, spec.path, dict(spec.headers), spec.body)


@dataclass(frozen=True)
class ThroughputScenario:
    """A server measured under load against the baseline."""

    name: str
    description: str
    launch: Callable[[RunContext], LaunchSpec]
    setup: Callable[[SetupContext], RequestSpec]
    target: Target | None = None
    default: bool = True
    #: Path polled until the subject answers (any status) after launch.
    ready_path: str = "/"
    #: The server compared against (default: the bare Starlette baseline app), e.g. the same
    #: emulator without a feature, to measure that feature's cost as a ratio in the same run.
    baseline: Callable[[RunContext], LaunchSpec] | None = None
    kind: Literal["throughput"] = "throughput"


@dataclass(frozen=True)
class TimingScenario:
    """Durations measured by the scenario itself."""

    name: str
    description: str
    measure: Callable[[RunContext], list[TimingComparison]]
    default: bool = True
    kind: Literal["timing"] = "timing"


Scenario = ThroughputScenario | TimingScenario

_REGISTRY: dict[str, Scenario] = {}


def _first_line(doc: str | None, fallback: str) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else fallback


def register(scenario: Scenario) -> Scenario:
    """Add ``scenario``; names are unique."""
    if scenario.name in _REGISTRY:
        raise ValueError(f"scenario {scenario.name!r} is already registered")
    _REGISTRY[scenario.name] = scenario
    return scenario


def throughput(
    name: str, *, launch: Callable[[RunContext], LaunchSpec], target: Target | None = None,
    description: str = "", default: bool = True, ready_path: str = "/",
    baseline: Callable[[RunContext], LaunchSpec] | None = None,
) -> Callable[[Callable[[SetupContext], RequestSpec]], Callable[[SetupContext], RequestSpec]]:
    """Register the decorated setup function as a throughput scenario."""

    def decorate(setup: Callable[[SetupContext], RequestSpec]) -> Callable[[SetupContext], RequestSpec]:
        register(ThroughputScenario(name, description or _first_line(setup.__doc__, name),
                                    launch, setup, target, default, ready_path, baseline))
        return setup

    return decorate


def timing(
    name: str, *, description: str = "", default: bool = True,
) -> Callable[[Callable[[RunContext], list[TimingComparison]]], Callable[[RunContext], list[TimingComparison]]]:
    """Register the decorated measuring function as a timing scenario."""

    def decorate(measure: Callable[[RunContext], list[TimingComparison]]) -> Callable[[RunContext], list[TimingComparison]]:
        register(TimingScenario(name, description or _first_line(measure.__doc__, name),
                                measure, default))
        return measure

    return decorate


def all_scenarios() -> dict[str, Scenario]:
    """Every registered scenario, in registration order (loads ``bench.scenarios``)."""
    import bench.scenarios  # noqa: F401  (registers the built-in scenarios)

    return dict(_REGISTRY)
