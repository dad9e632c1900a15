"""State that survives a restart when asked: ``serve --state FILE`` and ``POST /_mock/snapshot``."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import DEVICE, KEY, SITE, Halo, make_settings
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.emulator import Emulator
from mock_halo.snapshot import SnapshotError, load, save


def _rows(response) -> list[dict]:
    return json.loads(base64.b64decode(response.json()["result"]["data"]))


def test_a_snapshot_restores_data_finished_queries_rules_and_the_clock(tmp_path: Path):
    path = tmp_path / "state.zip"
    first = Emulator(make_settings(state_file=str(path), jwt_secret="a-secret-kept-across-the-restart-32b"))
    with TestClient(create_app(emulator=first)) as client:
        halo = Halo(client)
        token = halo.token()
        headers = halo.headers(token)
        assert halo.immediate("UPDATE PATIENTS SET SURNAME = 'Persisted' WHERE INTERNALID = 1", token=token,
                              executionMode="nonQuery").status_code == 200
        immediate = halo.immediate("SELECT SURNAME FROM PATIENTS WHERE INTERNALID = 1", token=token).json()
        created = client.post(f"/device/sites/{SITE}/queries/async", headers=headers,
                              json={"command": {"text": "SELECT TOP 3 Firstname FROM BPS_Patients ORDER BY InternalID"}})
        client.post("/_mock/clock/advance", json={"duration": "2m"})
        finished = client.get(f"/device/sites/{SITE}/queries/{created.json()['id']}", headers=headers).json()
        page = client.get(f"/device/sites/{SITE}/queries/{created.json()['id']}/results/1", headers=headers).json()
        client.post("/_mock/scenarios", json={"match": {"sql": "never-matches"}, "outcome": {"error": 500}})
        client.put(f"/_mock/sites/{SITE}/latency", json={"latency": "250ms"})
        written = client.post("/_mock/snapshot").json()
        assert written["queries"] == 3 and written["path"] == str(path)
        clock = client.get("/_mock/clock").json()["now"]
        next_id = halo.immediate("SELECT 1 AS x", token=token).json()["id"]  # after the snapshot: not kept

    second = Emulator(make_settings(state_file=str(path), jwt_secret="a-secret-kept-across-the-restart-32b"))
    second.warm()
    load(second, path)
    with TestClient(create_app(emulator=second)) as client:
        halo = Halo(client)
        assert client.get("/_mock/clock").json()["now"] == clock
        # Ids go on from where they were: the restarted emulator draws the id the first run drew next.
        assert halo.immediate("SELECT 1 AS x", token=token).json()["id"] == next_id
        assert _rows(halo.immediate("SELECT SURNAME FROM PATIENTS WHERE INTERNALID = 1", token=token)) == [
            {"SURNAME": "Persisted"}]
        assert client.get(f"/device/sites/{SITE}/queries/{immediate['id']}", headers=headers).json() == immediate
        assert client.get(f"/device/sites/{SITE}/queries/{finished['id']}", headers=headers).json() == finished
        assert client.get(f"/device/sites/{SITE}/queries/{finished['id']}/results/1", headers=headers).json() == page
        rules = client.get("/_mock/scenarios").json()["rules"]
        assert [r["match"]["sql"] for r in rules] == ["never-matches"]
        assert client.post("/_mock/scenarios", json={"match": {}, "outcome": {"latency": "1s"}}).json()["id"] == "rule-2"
        assert client.get("/_mock/sites").json()["sites"][0]["latencyMs"] == 250
        # Retention still runs: 24 h after completion the restored pages answer 410.
        client.post("/_mock/clock/advance", json={"duration": "25h"})
        token = halo.token()
        assert client.get(f"/device/sites/{SITE}/queries/{finished['id']}/results/1",
                          headers=halo.headers(token)).status_code == 410
        # A reset still goes back to the fixtures, not to the snapshot.
        client.post("/_mock/reset")
        assert _rows(halo.immediate("SELECT SURNAME FROM PATIENTS WHERE INTERNALID = 1", token=token)) != [
            {"SURNAME": "Persisted"}]


def test_snapshot_without_a_state_file_is_a_409(client):
    response = client.post("/_mock/snapshot")
    assert response.status_code == 409 and "--state" in response.json()["error"]["message"]


def test_a_state_file_for_other_sites_is_refused(tmp_path: Path):
    path = tmp_path / "state.zip"
    save(Emulator(make_settings()), path)
    other = Emulator(make_settings())
    other.sites.pop(SITE)
    with pytest.raises(SnapshotError, match="not configured here"):
        load(other, path)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(SnapshotError, match="not a mock-halo state file"):
        load(Emulator(make_settings()), tmp_path / "junk.zip")


def _serve(path: Path) -> tuple[subprocess.Popen, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_HALO_")}
    env.update(MOCK_HALO_PATIENTS="30", MOCK_HALO_JWT_SECRET="a-secret-kept-across-the-restart-32b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_halo", "serve", "--port", "0", "--clock", "virtual", "--state", str(path),
         "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if match := re.search(r"listening\s+http://[\d.]+:(\d+)", line):
            return proc, int(match.group(1))
        if not line:
            break
    proc.kill()
    raise AssertionError("the emulator did not start")


def _post(port: int, path: str, body: dict, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                     headers={**headers, "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_serve_state_survives_a_restart(tmp_path: Path):
    path = tmp_path / "state.zip"
    proc, port = _serve(path)
    try:
        form = f"grant_type=urn:halo-connect:oauth:device-token&device_id={DEVICE}&site_id={SITE}".encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/integrator/token", data=form,
                                         headers={"Ocp-Apim-Subscription-Key": KEY})
        with urllib.request.urlopen(request, timeout=30) as response:
            token = json.loads(response.read())["access_token"]
        headers = {"Authorization": f"Bearer {token}", "DeviceId": DEVICE}
        _post(port, f"/device/sites/{SITE}/queries/immediate", {"command": {
            "text": "UPDATE PATIENTS SET SURNAME = 'Restarted' WHERE INTERNALID = 2", "executionMode": "nonQuery"}},
            headers)
    finally:
        proc.send_signal(signal.SIGINT)  # a graceful stop writes the state file
        output, _ = proc.communicate(timeout=30)
    assert path.is_file(), output
    proc, port = _serve(path)
    try:
        body = _post(port, f"/device/sites/{SITE}/queries/immediate",
                     {"command": {"text": "SELECT SURNAME FROM PATIENTS WHERE INTERNALID = 2"}}, headers)
        assert json.loads(base64.b64decode(body["result"]["data"])) == [{"SURNAME": "Restarted"}]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
