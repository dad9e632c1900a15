"""Soak: a real ``serve`` process under a steady mixed load keeps its memory flat once its caps fill.

Bounded: loopback only, a few thousand requests (seconds), small caps so the
warm-up fills them. The issue this guards: under 19 clients for 10 minutes RSS
grew from 98 MB to 1.85 GB and kept growing, because the store kept every query.
Each async result is padded to ~120 KB so that, without the caps, the measured
rounds alone would keep ~100 MB more (the test fails then); resets happen in the
warm-up only, since a reset empties the store and would hide that growth.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DEVICE, KEY, SITE

WARMUP_ROUNDS = 500
MEASURED_ROUNDS = 800
#: A 30-row async result of about 120 KB.
PADDED = "SELECT TOP 30 *, REPLICATE('x', 4000) AS Pad FROM BPS_Patients"


def _rss_kb(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers: dict[str, str] = {}

    def call(self, method: str, path: str, body: object = None, form: str | None = None) -> tuple[int, dict]:
        headers = dict(self.headers)
        data = None
        if form is not None:
            data, headers["Content-Type"] = form, "application/x-www-form-urlencoded"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw and raw[:1] in b"{[" else {})

    def login(self) -> None:
        self.headers = {}
        status, body = self.call("POST", f"/integrator/token?subscription-key={KEY}", form=(
            f"grant_type=urn:halo-connect:oauth:device-token&device_id={DEVICE}&site_id={SITE}"))
        assert status == 200, body
        self.headers = {"Authorization": f"Bearer {body['access_token']}", "DeviceId": DEVICE}


@pytest.fixture
def server():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_HALO_")}
    env.update(MOCK_HALO_PATIENTS="60", MOCK_HALO_MAX_QUERIES="400", MOCK_HALO_MAX_RESULT_BYTES=str(4 << 20),
               MOCK_HALO_JOURNAL_CAPACITY="500")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_halo", "serve", "--port", "0", "--clock", "virtual", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    port = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and port is None:
        line = proc.stdout.readline()
        match = re.search(r"listening\s+http://[\d.]+:(\d+)", line)
        port = int(match.group(1)) if match else None
        if not line:
            break
    try:
        assert port, "the emulator did not start"
        yield proc, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _round(client: Client, i: int, pending: list[str]) -> None:
    base = f"/device/sites/{SITE}"
    status, _ = client.call("POST", f"{base}/queries/immediate",
                            {"command": {"text": f"SELECT TOP {10 + i % 20} * FROM BPS_Patients WHERE InternalID > {i % 7}"}})
    assert status == 200
    status, created = client.call("POST", f"{base}/queries/async", {"command": {"text": PADDED}})
    assert status == 201
    pending.append(created["id"])
    status, _ = client.call("GET", f"{base}/fhir/R4/Patient?family={'abcdefgh'[i % 8]}&_count=5")
    assert status == 200
    if i % 10 == 9:
        client.call("POST", "/_mock/clock/advance", {"seconds": 20})
        for query_id in pending:
            status, body = client.call("GET", f"{base}/queries/{query_id}")
            assert status in (200, 404)
            if body.get("status") == "successful":
                assert client.call("GET", f"{base}/queries/{query_id}/results/1")[0] in (200, 404, 410)
        pending.clear()
    if i % 25 == 24:  # a fresh token now and then (tokens must not accumulate either)
        client.login()
    if i < WARMUP_ROUNDS - 300 and i % 100 == 99:  # the last 300 warm-up rounds fill the caps
        assert client.call("POST", "/_mock/reset")[0] == 200


def test_rss_stays_flat_under_a_steady_mixed_load(server):
    proc, port = server
    client = Client(port)
    client.login()
    pending: list[str] = []
    for i in range(WARMUP_ROUNDS):
        _round(client, i, pending)
    warm = _rss_kb(proc.pid)
    peak = warm
    for i in range(WARMUP_ROUNDS, WARMUP_ROUNDS + MEASURED_ROUNDS):
        _round(client, i, pending)
        if i % 50 == 0:
            peak = max(peak, _rss_kb(proc.pid))
    final = _rss_kb(proc.pid)
    print(f"soak RSS: {warm} kB after warm-up, peak {peak} kB, final {final} kB")
    assert max(peak, final) <= warm * 1.10, f"RSS grew from {warm} kB after warm-up to {peak} kB (final {final} kB)"
