"""The emulator scenarios' setup: discovery from /_mock/info, the device token, validation.

A small stub of the emulator's HTTP surface stands in for mock-halo, so these
tests describe what the harness expects of ``/_mock/info``, ``/integrator/token``
and the immediate endpoint, whatever state the emulator is in.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package

from bench.load import LoadTool  # noqa: E402
from bench.registry import RunContext, RunOptions, ScenarioFailure, SetupContext, Skip, all_scenarios  # noqa: E402
from bench.scenarios.emulator import DEVICE_ID, candidate_logins, emulator_launch, immediate_select  # noqa: E402
from bench.servers import LaunchSpec, ServerProcess  # noqa: E402
from bench.testing import serve_in_thread  # noqa: E402

PAIRED = "b0586976-33f4-4d47-bc77-821ee9f45e34"
ZEDMED = "48af2f5a-2ef4-4819-9307-59dd310071fc"
UNPAIRED = "2eeb48a9-a330-4de5-8774-4ea28ada742d"
KEY = "4fd6ae9a6c57a3f59d5eabf1cede969e"

INFO = {
    "version": "0.1.0",
    "sites": [
        {"id": UNPAIRED, "name": "Unpaired", "pmsType": "BestPractice", "availability": "online"},
        {"id": ZEDMED, "name": "Zed", "pmsType": "Zedmed", "availability": "online"},
        {"id": PAIRED, "name": "South", "pmsType": "BestPractice", "availability": "online"},
    ],
    "integrators": [{"id": "i1", "name": "Mock", "sites": [ZEDMED, PAIRED], "subscriptionKey": KEY,
                     "subscriptionKeys": [KEY, "other"]}],
}


def rows_body(rows: list[dict[str, Any]], status: str = "successful") -> dict[str, Any]:
    data = base64.b64encode(json.dumps(rows).encode()).decode()
    return {"status": status, "mode": "immediate", "result": {"rows": len(rows), "data": data}}


class StubHalo:
    """Just enough of mock-halo for the setup step; ``mode`` picks a misbehaviour."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.queries: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        async def info(request: Request) -> Response:
            if self.mode == "no-info":
                return JSONResponse({"error": {"status": 404}}, status_code=404)
            return JSONResponse(INFO)

        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in urllib.parse.parse_qs((await request.body()).decode()).items()}
            if request.headers.get("ocp-apim-subscription-key") != KEY or form["site_id"] != PAIRED:
                return JSONResponse({"error": {"status": 403}}, status_code=403)
            assert form["grant_type"] == "urn:halo-connect:oauth:device-token"
            return JSONResponse({"access_token": f"tok-{form['device_id']}", "token_type": "Bearer",
                                 "expires_in": 3600})

        async def immediate(request: Request) -> Response:
            assert request.headers["authorization"] == f"Bearer tok-{DEVICE_ID}"
            assert request.headers["deviceid"] == DEVICE_ID
            command = (await request.json())["command"]
            self.queries.append(command)
            if self.mode == "placeholder":
                return JSONResponse({"error": {"status": 501}}, status_code=501)
            if self.mode == "sql-error":
                return JSONResponse(rows_body([], "executionFailed"), status_code=400)
            if "ORDER BY InternalID" in command["text"]:
                return JSONResponse(rows_body([{"InternalID": 7}]))
            found = command["parameters"][0]["value"] == "7" and self.mode != "no-row"
            return JSONResponse(rows_body([{"Firstname": "Ann", "Surname": "Lee"}] if found else []))

        return Starlette(routes=[
            Route("/_mock/info", info),
            Route("/integrator/token", token, methods=["POST"]),
            Route("/device/sites/{site}/queries/immediate", immediate, methods=["POST"]),
        ])


@pytest.fixture(scope="module")
def stub_server() -> Iterator[tuple[StubHalo, int]]:
    stub = StubHalo()
    with serve_in_thread(stub.app()) as port:
        yield stub, port


@pytest.fixture
def setup(stub_server: tuple[StubHalo, int]) -> Iterator[tuple[StubHalo, SetupContext]]:
    stub, port = stub_server
    stub.mode = "ok"
    stub.queries.clear()
    server = ServerProcess(LaunchSpec("stub", ()), port=port)  # never started: the stub already listens
    run = RunContext(RunOptions(), LoadTool("python", "test"), log=lambda line: None)
    yield stub, SetupContext(server, run)
    server.close()


def test_candidates_are_paired_sites_with_the_right_pms_first() -> None:
    assert candidate_logins(INFO) == [(PAIRED, KEY), (ZEDMED, KEY)]


def test_candidates_accept_a_list_of_keys_and_site_objects() -> None:
    info = {"sites": [{"id": PAIRED, "pmsType": "BestPractice"}],
            "integrators": [{"subscriptionKeys": [KEY], "sites": [{"id": PAIRED}]}]}
    assert candidate_logins(info) == [(PAIRED, KEY)]


def test_candidates_skip_integrators_without_a_key() -> None:
    assert candidate_logins({"sites": [], "integrators": [{"id": "x", "sites": [PAIRED]}]}) == []


def test_setup_builds_the_immediate_select_request(setup: tuple[StubHalo, SetupContext]) -> None:
    stub, ctx = setup
    request = immediate_select(ctx)
    assert request.method == "POST"
    assert request.path == f"/device/sites/{PAIRED}/queries/immediate"
    assert request.header("Authorization") == f"Bearer tok-{DEVICE_ID}"
    assert request.header("DeviceId") == DEVICE_ID
    assert request.header("Content-Type") == "application/json"
    assert json.loads(request.body) == {"command": {
        "text": "SELECT TOP 1 Firstname, Surname FROM BPS_Patients WHERE InternalID = @id",
        "parameters": [{"name": "@id", "type": "Int", "direction": "input", "value": "7"}],
    }}
    assert ctx.details["site_id"] == PAIRED and ctx.details["patient_id"] == "7"


def test_setup_fails_loudly_on_a_failed_query(setup: tuple[StubHalo, SetupContext]) -> None:
    stub, ctx = setup
    stub.mode = "sql-error"
    with pytest.raises(ScenarioFailure, match="400"):
        immediate_select(ctx)


def test_setup_fails_loudly_when_the_patient_is_not_found(setup: tuple[StubHalo, SetupContext]) -> None:
    stub, ctx = setup
    stub.mode = "no-row"
    with pytest.raises(ScenarioFailure, match="no row"):
        immediate_select(ctx)


def test_setup_skips_a_placeholder_endpoint(setup: tuple[StubHalo, SetupContext]) -> None:
    stub, ctx = setup
    stub.mode = "placeholder"
    with pytest.raises(Skip, match="501"):
        immediate_select(ctx)


def test_setup_skips_without_the_info_endpoint(setup: tuple[StubHalo, SetupContext]) -> None:
    stub, ctx = setup
    stub.mode = "no-info"
    with pytest.raises(Skip, match="/_mock/info"):
        immediate_select(ctx)


def test_launch_mode_picks_cli_or_factory() -> None:
    def launch(mode: str) -> LaunchSpec:
        return emulator_launch(RunContext(RunOptions(launch=mode), LoadTool("python", "t")))  # type: ignore[arg-type]

    assert launch("cli").argv[1:4] == ("-m", "mock_halo", "serve")
    factory = launch("factory")
    assert "mock_halo.app:create_app" in factory.argv and "--factory" in factory.argv
    for spec in (launch("cli"), factory):
        assert spec.scrub_env_prefixes == ("MOCK_HALO_",)
        assert spec.unavailable("ImportError: cannot import name 'SqlCommand' from 'mock_halo.sql'")
        assert not spec.unavailable("Address already in use")


def test_builtin_scenarios_are_registered() -> None:
    scenarios = all_scenarios()
    assert {"immediate-select", "startup", "app-create-reset", "baseline", "webhook-deliveries"} <= set(scenarios)
    assert not scenarios["baseline"].default


def test_children_get_the_repo_a_bytecode_cache_and_no_emulator_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.servers import PYCACHE_DIR, REPO_ROOT, child_env

    monkeypatch.setenv("MOCK_HALO_PORT", "1")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = child_env(("MOCK_HALO_",), {"MOCK_HALO_LOG_LEVEL": "warning"})
    assert "MOCK_HALO_PORT" not in env and env["MOCK_HALO_LOG_LEVEL"] == "warning"
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"] == str(PYCACHE_DIR)
    assert env["PYTHONPATH"].split(":")[0] == str(REPO_ROOT)


def test_the_webhook_receiver_counts_posts_and_stamps_the_last() -> None:
    import time

    from bench.net import http_request
    from bench.scenarios.webhooks import receiver_launch

    with ServerProcess(receiver_launch()) as receiver:
        receiver.wait_ready("/")
        assert http_request(receiver.port, "GET", "/count").json() == {"received": 0, "last": 0.0}
        before = time.monotonic()
        for _ in range(3):
            reply = http_request(receiver.port, "POST", "/halo/async", {"Content-Type": "application/json"}, b'{"id":"x"}')
            assert reply.status == 204
        body = http_request(receiver.port, "GET", "/count").json()
        assert body["received"] == 3 and before <= body["last"] <= time.monotonic()
