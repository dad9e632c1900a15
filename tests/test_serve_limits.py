"""A real ``serve`` process under an address-space limit, with slow and silent clients.

The process gets 2 GiB of address space (``RLIMIT_AS``): a 13-million-row cross join must come
back as Halo's 413 (immediate) or ``uploadFailed`` (async), read only up to the limit and encoded a
chunk at a time, where it once grew to 19.5 GB and the JSON encoder failed; the peak RSS it adds
stays within twice the async limit (the result's JSON, not its rows as Python tuples too). A connection that
never finishes its request head is closed after ``request_timeout_s`` (1 s here), and a body that
stalls as long gets a 408.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import resource
import socket
import subprocess
import sys
import time

import pytest
from conftest import DEVICE, KEY, SITE

ADDRESS_SPACE = 2 << 30
ASYNC_LIMIT = 64 << 20
CROSS = ("SELECT a.Firstname, b.Surname, c.InternalID FROM BPS_Patients a CROSS JOIN BPS_Patients b "
         "CROSS JOIN BPS_Patients c CROSS JOIN BPS_Patients d")


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture(scope="module")
def server():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_HALO_")}
    env.update(MOCK_HALO_PATIENTS="60", MOCK_HALO_REQUEST_TIMEOUT="1", MOCK_HALO_ASYNC_RESULT_LIMIT=str(ASYNC_LIMIT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_halo", "serve", "--port", "0", "--clock", "virtual", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, preexec_fn=_limit_address_space,
    )
    port = None
    deadline = time.monotonic() + 60
    while port is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if match := re.search(r"listening\s+http://[\d.]+:(\d+)", line):
            port = int(match.group(1))
    try:
        assert port, "the emulator did not start"
        yield proc, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _call(port: int, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
          form: str | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = dict(headers or {})
    data = None
    if form is not None:
        data, headers["Content-Type"] = form, "application/x-www-form-urlencoded"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body), "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw) if raw else {}


def _device(port: int) -> dict[str, str]:
    status, body = _call(port, "POST", f"/integrator/token?subscription-key={KEY}",
                         form=f"grant_type=urn:halo-connect:oauth:device-token&device_id={DEVICE}&site_id={SITE}")
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}", "DeviceId": DEVICE}


def _peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1)) * 1024


def test_huge_results_under_an_address_space_limit_are_413_and_upload_failed(server):
    proc, port = server
    headers = _device(port)
    before = _peak_rss(proc.pid)
    status, body = _call(port, "POST", f"/device/sites/{SITE}/queries/immediate", {"command": {"text": CROSS}}, headers)
    assert status == 413 and body["errorDetails"]["errorCode"] == 413
    status, created = _call(port, "POST", f"/device/sites/{SITE}/queries/async", {"command": {"text": CROSS}}, headers)
    assert status == 201
    assert _call(port, "POST", "/_mock/clock/advance", {"duration": "10m"})[0] == 200
    status, body = _call(port, "GET", f"/device/sites/{SITE}/queries/{created['id']}", headers=headers)
    assert body["status"] == "uploadFailed" and body["errorDetails"]["errorCode"] == 413
    grown = _peak_rss(proc.pid) - before
    assert grown < 2 * ASYNC_LIMIT, f"reading the result up to its {ASYNC_LIMIT >> 20} MB limit took {grown >> 20} MB"
    assert proc.poll() is None
    assert _call(port, "GET", "/_mock/health")[0] == 200


def test_a_silent_connection_is_closed_after_the_request_timeout(server):
    _, port = server
    with socket.create_connection(("127.0.0.1", port), timeout=30) as silent:
        silent.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        assert silent.recv(100) == b""  # closed by the server, not by our timeout
    with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
        assert idle.recv(100) == b""  # nothing sent at all


def test_a_stalled_body_gets_408(server):
    _, port = server
    with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
        slow.sendall(b"POST /_mock/scenarios HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"match\":")
        answer = slow.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_a_body_that_keeps_arriving_is_read_however_long_it_takes(server):
    _, port = server
    body = b'{"match": {"surface": "immediate", "sql": "no statement says this"}, "outcome": {"error": 429}}'
    with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
        slow.sendall(b"POST /_mock/scenarios HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        for start in range(0, len(body), 30):  # each part within the 1 s timeout, the whole over it
            slow.sendall(body[start:start + 30])
            time.sleep(0.45)
        answer = slow.recv(4096)
    assert not answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
