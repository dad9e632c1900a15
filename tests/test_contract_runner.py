"""The contract runner: target selection, budget, capability detection, the CLI, JUnit, drift."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY
from mock_halo.contract import runner
from mock_halo.contract.drift import ShapeRecorder, compare, load
from mock_halo.contract.target import (
    DEFAULT_HALO_BUDGET,
    Budget,
    BudgetExhausted,
    Target,
    TargetConfig,
    TargetError,
    config_from,
)
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
SITE = DEFAULT_SITE_IDS[0]


@pytest.fixture
def halo_settings():
    """The plugin's halo_server fixture, with the small practice the tests use."""
    return make_settings()


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Any ASGI app on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``mock-halo contract ...`` in a subprocess (a pytest session of its own)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MOCK_HALO_CONTRACT", "HALO_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "mock_halo", "contract", *args],
        capture_output=True, text=True, timeout=180, cwd=ROOT, env={**base, **(env or {})},
    )


# -- target selection -----------------------------------------------------------------------------
def test_the_default_target_is_the_in_process_emulator() -> None:
    config = config_from({}, env={})
    assert config.kind == "inprocess" and config.base_url is None and not config.allow_writes


def test_a_url_target_comes_from_the_flag_or_the_environment() -> None:
    assert config_from({"target": "http://127.0.0.1:9000/"}, env={}).base_url == "http://127.0.0.1:9000"
    from_env = config_from({}, env={"MOCK_HALO_CONTRACT_TARGET": "http://h:1", "MOCK_HALO_CONTRACT_BUDGET": "7"})
    assert (from_env.kind, from_env.base_url, from_env.budget) == ("url", "http://h:1", 7)
    # A flag wins over the environment.
    assert config_from({"target": "inprocess"}, env={"MOCK_HALO_CONTRACT_TARGET": "http://h:1"}).kind == "inprocess"


def test_a_halo_target_needs_url_key_site_and_device() -> None:
    with pytest.raises(TargetError, match="HALO_SUBSCRIPTION_KEY.*HALO_SITE_ID.*HALO_DEVICE_ID"):
        config_from({"target": "halo", "halo_base_url": "https://api.stage.haloconnect.io"}, env={})
    with pytest.raises(TargetError, match="base URL"):
        config_from({"target": "halo"}, env={"HALO_SUBSCRIPTION_KEY": "k", "HALO_SITE_ID": SITE, "HALO_DEVICE_ID": "d"})
    env = {"HALO_BASE_URL": "https://api.stage.haloconnect.io", "HALO_SUBSCRIPTION_KEY": "k", "HALO_SITE_ID": SITE,
           "HALO_DEVICE_ID": "d", "MOCK_HALO_CONTRACT_ALLOW_WRITES": "1"}
    config = config_from({"target": "halo"}, env=env)
    assert (config.kind, config.subscription_key, config.site_id, config.device_id, config.allow_writes) == ("halo", "k", SITE, "d", True)


def test_an_integrator_target_needs_only_url_key_and_site() -> None:
    env = {"HALO_BASE_URL": "https://api.stage.haloconnect.io", "HALO_SUBSCRIPTION_KEY": "k", "HALO_SITE_ID": SITE}
    config = config_from({"target": "halo", "api": "integrator"}, env=env)
    assert (config.api, config.device_id) == ("integrator", None)
    with pytest.raises(TargetError, match="HALO_DEVICE_ID"):
        config_from({"target": "halo", "api": "desktop"}, env=env)
    target = Target(config)
    assert target.auth_headers() == {"Ocp-Apim-Subscription-Key": "k"}
    assert target.path("/queries/immediate") == f"/integrator/sites/{SITE}/queries/immediate"
    assert target.token_path() == f"/desktop/sites/{SITE}" and target.grant_type.endswith("desktop-token")


@pytest.mark.parametrize("options", [{"target": "ftp://x"}, {"budget": "many"}, {"budget": "-1"}, {"api": "partner"}])
def test_bad_target_options_are_usage_errors(options) -> None:
    with pytest.raises(TargetError):
        config_from(options, env={})


def test_a_halo_target_is_read_only_with_a_small_budget_on_the_desktop_api() -> None:
    config = TargetConfig(kind="halo", base_url="https://x", subscription_key="k", site_id=SITE, device_id="d")
    target = Target(config)
    assert (target.read_only, target.budget.total, target.api) == (True, DEFAULT_HALO_BUDGET, "desktop")
    config.allow_writes = True
    assert Target(config).read_only is False
    assert Target(TargetConfig()).budget.unlimited and Target(TargetConfig()).api == "device"


# -- budget ------------------------------------------------------------------------------------------
def test_budget_runs_out_with_a_skip() -> None:
    budget = Budget(2)
    budget.spend()
    budget.spend()
    assert budget.remaining == 0
    with pytest.raises(BudgetExhausted) as caught:
        budget.spend()
    # pytest reports it as a skip, not a failure.
    assert isinstance(caught.value, pytest.skip.Exception)
    assert "2 of 2" in str(caught.value)


def test_every_request_spends_budget_but_control_calls_are_free() -> None:
    with Target.open(TargetConfig(budget=3)) as target:
        assert target.has_control
        target.control().advance(1)  # free
        token = target.token()  # 1
        target.client().get(target.path("/fhir/R4/metadata"), headers={"Authorization": f"Bearer {token}", "DeviceId": target.device_id})  # 2
        assert target.token() == token  # cached: free
        target.client().get(target.path("/fhir/R4/metadata"))  # 3
        assert target.budget.remaining == 0
        with pytest.raises(BudgetExhausted):
            target.client().get(target.path("/fhir/R4/metadata"))


def test_a_cached_token_is_renewed_once_the_virtual_clock_passes_its_expiry() -> None:
    with Target.open(TargetConfig()) as target:
        first = target.token()
        expires_in = target.token_request().json()["expires_in"]
        target.control().advance(expires_in - 10)  # inside the renewal margin
        second = target.token()
        assert second != first
        response = target.client().get(target.path("/fhir/R4/metadata"), headers=target.auth_headers())
        assert response.status_code == 200, response.text


def test_the_in_process_targets_tokens_raise_no_warning() -> None:
    """Its fixed JWT secret is long enough for HS256 (RFC 7518 3.2): PyJWT warned on every token issued
    and read with a shorter one, hundreds of lines under each ``mock-halo contract`` run."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with Target.open(TargetConfig()) as target:
            response = target.client().get(target.path("/fhir/R4/metadata"), headers=target.auth_headers())
            assert response.status_code == 200, response.text


# -- capability detection -------------------------------------------------------------------------------
def test_a_running_emulator_has_a_control_plane(halo_server) -> None:
    with Target.open(TargetConfig(kind="url", base_url=halo_server.base_url)) as target:
        assert target.has_control and target.control_info["sites"]
        assert target.control().clock().frozen
        assert target.client().get(target.path("/fhir/R4/metadata"), headers=target.auth_headers()).status_code == 200
    with Target.open(TargetConfig(kind="url", base_url=halo_server.base_url, no_control=True)) as target:
        assert not target.has_control and target.control() is None


def test_a_server_without_a_control_plane_is_detected_as_such() -> None:
    async def hello(request):
        return JSONResponse({"hello": "world"})

    with serve(Starlette(routes=[Route("/", hello)])) as base_url:
        with Target.open(TargetConfig(kind="url", base_url=base_url)) as target:
            assert not target.has_control
            assert "404" in target.describe()["control_plane_detail"]


def test_a_halo_target_is_never_probed_for_a_control_plane() -> None:
    from mock_halo.app import create_app
    from mock_halo.emulator import Emulator

    emulator = Emulator(make_settings())
    inner = create_app(emulator=emulator)
    paths: list[str] = []

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            paths.append(scope["path"])
        await inner(scope, receive, send)

    try:
        with serve(recording) as base_url:
            with Target.open(TargetConfig(kind="url", base_url=base_url)) as target:
                assert target.has_control
            assert paths == ["/_mock/info"]
            config = TargetConfig(kind="halo", base_url=base_url, subscription_key=DEFAULT_SUBSCRIPTION_KEY, site_id=SITE, device_id="ci")
            with Target.open(config) as target:
                assert not target.has_control and target.read_only
                response = target.client().get(target.path("/fhir/R4/metadata"), headers=target.auth_headers())
                assert response.status_code == 200, response.text
                assert target.budget.used == 2  # the token and the metadata
            assert paths[1:] == ["/integrator/token", f"/desktop/sites/{SITE}/fhir/R4/metadata"]
    finally:
        emulator.close()


# -- the CLI ------------------------------------------------------------------------------------------------
def test_cli_rejects_bad_options_and_unreachable_targets(capsys) -> None:
    assert runner.main(["--target", "halo"]) == 2
    assert "needs a base URL" in capsys.readouterr().err
    with serve(Starlette()) as base_url:
        pass  # now nothing listens there
    assert runner.main(["--target", base_url]) == 2
    assert "cannot reach" in capsys.readouterr().err


def test_cli_runs_the_suite_in_process_with_progress_and_junit(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = run_cli("--junitxml", str(report), "--budget", "6", "--api", "desktop", "-k", "test_basics and (token or immediate)")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "target inprocess" in out and "control plane   yes" in out and "request budget  6" in out
    assert "api prefix      /desktop" in out
    assert "PASS  test_basics.py::test_token_is_issued_for_the_subscription_key" in out
    # The budget ran out part-way: later tests skip, none fails.
    assert "request budget exhausted" in out
    assert "6 request(s) made of a budget of 6" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("name") == "mock-halo-contract"
    assert int(suite.get("failures")) == 0 and int(suite.get("errors")) == 0
    assert int(suite.get("skipped")) >= 1 and int(suite.get("tests")) > int(suite.get("skipped"))


@pytest.mark.parametrize("api, selection, expected", [
    # The in-process suite of this test run covers /device; the desktop operations (their own
    # operationIds and links) get the same stateless and stateful schemathesis run here, once.
    ("desktop", "basics or schemathesis", ()),
    # The Integrator API's operations (the /device twins and batch status, streams, sites,
    # pairing) too, with the key alone, and its own checks.
    ("integrator", "basics or integrator or schemathesis",
     ("test_integrator.py::test_an_async_query_is_found_by_batch_status_and_its_page_streams",
      "test_basics.py::test_a_token_stops_working_once_it_expires")),
])
def test_cli_runs_the_schemathesis_part_on_each_prefix(api, selection, expected) -> None:
    result = run_cli("--api", api, "-k", selection)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"api prefix      /{api}" in out
    for name in ("test_the_contract_covers_the_target_api", "test_target_honours_the_contract",
                 "test_links_drive_the_stateful_phase"):
        assert f"PASS  test_schemathesis.py::{name}" in out, out
    for name in expected:
        assert f"PASS  {name}" in out, out
    assert "FAIL" not in out and "SKIP" not in out, out


def test_cli_against_the_emulator_posing_as_halo(halo_server) -> None:
    result = run_cli(
        "--target", "halo", "-k", "test_basics and (token or fhir)",
        env={"HALO_BASE_URL": halo_server.base_url, "HALO_SUBSCRIPTION_KEY": DEFAULT_SUBSCRIPTION_KEY,
             "HALO_SITE_ID": SITE, "HALO_DEVICE_ID": "ci-device"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "target halo" in out and "read-only       yes" in out and "control plane   no" in out
    assert f"request budget  {DEFAULT_HALO_BUDGET}" in out and "/desktop" in out
    assert "SKIP  test_basics.py::test_a_token_stops_working_once_it_expires" in out
    assert "FAIL" not in out
    # The requests went to the server, through the Desktop API, with the device id given.
    assert halo_server.control.journal(path=f"/desktop/sites/{SITE}/fhir/R4/metadata")


# -- packaging ------------------------------------------------------------------------------------------------
def test_the_suite_ships_in_the_wheel_and_the_runner_finds_it_there(tmp_path: Path, monkeypatch) -> None:
    import tomllib

    from mock_halo import resources

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["contracts"] == "mock_halo/_data/contracts"
    assert any(dep.startswith("pytest") for dep in project["project"]["optional-dependencies"]["contract"])
    assert "contracts" in project["tool"]["pytest"]["ini_options"]["testpaths"]
    # In a checkout: the top-level folder; installed: the packaged copy wins.
    assert runner.contracts_dir() == ROOT / "contracts"
    packaged = tmp_path / "mock_halo" / "_data" / "contracts"
    packaged.mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE", tmp_path / "mock_halo")
    assert runner.contracts_dir() == packaged
