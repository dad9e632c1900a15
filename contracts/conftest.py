"""The contract suite's target and markers.

Choose the target with options or environment variables (``mock-halo contract``
passes them through)::

    --target inprocess|URL|halo      MOCK_HALO_CONTRACT_TARGET   (default: inprocess)
    --halo-base-url URL              HALO_BASE_URL
    --subscription-key KEY           HALO_SUBSCRIPTION_KEY
    --site-id GUID                   HALO_SITE_ID
    --device-id ID                   HALO_DEVICE_ID
    --budget N                       MOCK_HALO_CONTRACT_BUDGET   (halo default 60; else unlimited)
    --api device|desktop|integrator  MOCK_HALO_CONTRACT_API      (halo default desktop; else device)
    --allow-writes                   MOCK_HALO_CONTRACT_ALLOW_WRITES=1
    --no-control                     ignore a control plane even where one answers
    --allow-reset                    MOCK_HALO_CONTRACT_ALLOW_RESET=1 (reset a running emulator that holds state)
    --admin-token TOKEN              MOCK_HALO_ADMIN_TOKEN       (a non-loopback emulator's /_mock)

Drift (one process only): ``--record-shapes FILE`` writes the response shapes
(never values) seen in the run; ``--compare-shapes FILE`` diffs them against a
snapshot and fails the run on drift (``--drift warn`` only reports it).

Markers: ``needs_control`` (skipped without a ``/_mock`` control plane) and
``writes`` (skipped on a read-only target, i.e. a real Halo without
``--allow-writes``). A test that runs out of request budget is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_halo.contract.drift import ShapeRecorder, compare, load
from mock_halo.contract.target import Target, TargetConfig, TargetError, config_from

TARGET_CONFIG = pytest.StashKey[TargetConfig]()
RECORDER = pytest.StashKey[ShapeRecorder]()
SOURCE = pytest.StashKey[dict]()
DRIFT_LINES = pytest.StashKey[list]()

OPTIONS = (
    ("--target", "target", "inprocess (default), halo, or the base URL of a running emulator"),
    ("--halo-base-url", "halo_base_url", "a real Halo Cloud base URL, e.g. https://api.stage.haloconnect.io"),
    ("--subscription-key", "subscription_key", "the integrator's subscription key"),
    ("--site-id", "site_id", "the Halo site GUID the suite queries"),
    ("--device-id", "device_id", "the device id tokens are requested for"),
    ("--budget", "budget", "the most requests the run may make (halo default 60)"),
    ("--api", "api", "device, desktop or integrator: the path prefix of query calls"),
    ("--admin-token", "admin_token", "admin token for a non-loopback emulator's /_mock control plane"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mock-halo contract", "mock-halo contract suite target")
    for flag, dest, help_text in OPTIONS:
        group.addoption(flag, dest=f"contract_{dest}", default=None, help=help_text)
    group.addoption("--allow-writes", dest="contract_allow_writes", action="store_true", default=False,
                    help="let tests marked 'writes' run against a real Halo")
    group.addoption("--record-shapes", dest="contract_record_shapes", default=None, metavar="FILE",
                    help="write the shapes (never values) of every response to FILE (a drift snapshot)")
    group.addoption("--compare-shapes", dest="contract_compare_shapes", default=None, metavar="FILE",
                    help="diff this run's response shapes against the snapshot FILE and report drift")
    group.addoption("--drift", dest="contract_drift", choices=("fail", "warn"), default="fail",
                    help="with --compare-shapes: fail the run on drift (default) or only warn")
    group.addoption("--no-control", dest="contract_no_control", action="store_true", default=False,
                    help="do not use a /_mock control plane even where one answers")
    group.addoption("--allow-reset", dest="contract_allow_reset", action="store_true", default=False,
                    help="let the run reset a running emulator that holds state (and move its clock)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_control: needs the emulator's /_mock control plane (clock, scenarios)")
    config.addinivalue_line("markers", "writes: changes state at the target; skipped on a read-only target")
    try:
        config.stash[TARGET_CONFIG] = config_from(_options(config))
    except TargetError as exc:
        raise pytest.UsageError(f"mock-halo contract: {exc}") from None
    shapes = config.getoption("contract_record_shapes") or config.getoption("contract_compare_shapes")
    if shapes and getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        raise pytest.UsageError("mock-halo contract: --record-shapes/--compare-shapes need one process (drop -n)")


def _options(config: pytest.Config) -> dict[str, object]:
    names = [dest for _, dest, _ in OPTIONS] + ["allow_writes", "no_control", "allow_reset"]
    return {name: config.getoption(f"contract_{name}") for name in names}


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    opened = Target.open(request.config.stash[TARGET_CONFIG])
    if request.config.getoption("contract_record_shapes") or request.config.getoption("contract_compare_shapes"):
        opened.recorder = request.config.stash.setdefault(RECORDER, ShapeRecorder())
        request.config.stash[SOURCE] = opened.describe()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(autouse=True)
def _contract_capabilities(request: pytest.FixtureRequest) -> None:
    """Skip, with a reason, what this target cannot do."""
    needs_control = request.node.get_closest_marker("needs_control") is not None
    writes = request.node.get_closest_marker("writes") is not None
    if not (needs_control or writes):
        return
    target: Target = request.getfixturevalue("target")
    if needs_control and not target.has_control:
        pytest.skip(f"needs a /_mock control plane; the {target.kind} target at {target.base_url} has none")
    if writes and target.read_only:
        pytest.skip(f"writes to the target; the {target.kind} target is read-only (pass --allow-writes to allow)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the shape snapshot and/or diff it against the one given (drift, scope 6)."""
    config = session.config
    record, against = config.getoption("contract_record_shapes"), config.getoption("contract_compare_shapes")
    if not (record or against) or hasattr(config, "workerinput"):
        return
    recorder = config.stash.get(RECORDER, None) or ShapeRecorder()
    source = {k: v for k, v in config.stash.get(SOURCE, {}).items() if k in ("kind", "base_url", "api")}
    if record:
        from mock_halo import __version__

        recorder.write(record, {**source, "mockHalo": __version__})
        lines = [f"response shapes of {len(recorder.entries)} operation/status pair(s) written to {record}"]
    else:
        lines = []
    if against:
        try:
            report = compare(load(against), recorder.snapshot(source))
        except (OSError, ValueError) as exc:
            lines.append(f"shape drift: cannot read the snapshot: {exc}")
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        else:
            lines += report.lines()
            if report.compared == 0:
                lines.append("shape drift: nothing in common with the snapshot was observed, so nothing was compared")
            if not report.ok or report.compared == 0:
                if config.getoption("contract_drift") == "fail":
                    lines.append("shape drift FAILS the run (--drift warn only reports it)")
                    if session.exitstatus == pytest.ExitCode.OK:
                        session.exitstatus = pytest.ExitCode.TESTS_FAILED
                else:
                    lines.append("shape drift reported as a warning (--drift warn)")
    config.stash[DRIFT_LINES] = lines
    if config.pluginmanager.get_plugin("terminalreporter") is None:
        for line in lines:
            print(line)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(DRIFT_LINES, [])
    if lines:
        terminalreporter.section("mock-halo contract: response shapes")
        for line in lines:
            terminalreporter.write_line(line)
