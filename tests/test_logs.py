"""Readable logs from ``mock-halo serve``: one line per Halo API request (method, path, status,
ms, site, surface, the rules that fired), control-plane actions, text or JSON lines, --quiet."""

from __future__ import annotations

import json
import re

import httpx
from live_server import ServeProcess

from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY
from mock_halo.pytest_plugin import WebhookReceiver

SITE = DEFAULT_SITE_IDS[0]
INTEGRATOR = "ab05feaf-3cdf-46e0-847e-23cd219cb59f"  # the default integrator, whose key the token uses


def traffic(base: str) -> None:
    """A rule, a token, an immediate query the rule answers with 429, and one it lets through."""
    httpx.post(f"{base}/_mock/scenarios", json={"id": "busy", "match": {"surface": "immediate", "sql": "Appointments"},
                                                "outcome": {"error": 429, "retryAfter": 5}}).raise_for_status()
    token = httpx.post(f"{base}/integrator/token", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
                       data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "logs",
                             "site_id": SITE}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "DeviceId": "logs"}
    url = f"{base}/device/sites/{SITE}/queries/immediate"
    assert httpx.post(url, headers=headers, json={"command": {"text": "SELECT TOP 1 * FROM BPS_Appointments"}}).status_code == 429
    assert httpx.post(url, headers=headers, json={"command": {"text": "SELECT 1 AS one"}}).status_code == 200
    httpx.get(f"{base}/_mock/clock")  # reads are not logged


def test_serve_logs_one_readable_line_per_request_and_control_actions():
    with ServeProcess() as server:
        start = len(server.lines)
        traffic(server.base_url)
        refused = server.wait_for(r"POST /device/sites/\S+/queries/immediate 429 [\d.]+ms site=b0586976 immediate rules=busy",
                                  start=start)
        assert refused
        server.wait_for(r"POST /device/sites/\S+/queries/immediate 200 [\d.]+ms site=b0586976 immediate$", start=start)
        server.wait_for(r"POST /integrator/token 200 [\d.]+ms token$", start=start)
        server.wait_for(r'control POST /_mock/scenarios 201 [\d.]+ms .*"id":"busy"', start=start)
        assert "/_mock/clock " not in server.output and "Started server process" not in server.output


def test_json_lines_carry_the_same_facts():
    with ServeProcess("--log-format", "json") as server:
        start = len(server.lines)
        traffic(server.base_url)
        server.wait_for(r'"status":200,.*"surface":"immediate"', start=start)  # the last request
        records = [json.loads(line) for line in server.lines[start:] if line.startswith("{")]
    refused = next(r for r in records if r.get("status") == 429)
    assert refused["logger"] == "mock_halo.requests" and refused["kind"] == "request"
    assert (refused["method"], refused["site"], refused["surface"], refused["rules"]) == ("POST", SITE, "immediate", ["busy"])
    assert isinstance(refused["ms"], float) and refused["time"].endswith("Z")
    assert any(r["kind"] == "control" and r["path"] == "/_mock/scenarios" for r in records)


def test_quiet_silences_the_banner_and_the_request_log():
    with _quiet() as server:
        traffic(server.base_url)
        httpx.get(f"{server.base_url}/_mock/health")
        out = server.output
        assert "POST" not in out and "mock-halo" not in out


class _QuietServer:
    def __init__(self, port: int, proc) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.proc = proc

    @property
    def output(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return out


def _quiet():
    """``serve --quiet`` prints nothing, so readiness is polled, not read from a banner."""
    import contextlib
    import socket
    import subprocess
    import sys
    import time

    @contextlib.contextmanager
    def run():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "mock_halo", "serve", "--quiet", "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and proc.poll() is None, "serve --quiet did not start"
                    time.sleep(0.1)
            yield _QuietServer(port, proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return run()


def test_webhook_deliveries_are_logged_as_they_are_attempted():
    """A refused attempt (503, retried) and the delivered one after it, each a line of its own."""
    receiver = WebhookReceiver()
    receiver.respond(503)
    try:
        with ServeProcess("--clock", "virtual") as server:
            base = server.base_url
            start = len(server.lines)
            httpx.put(f"{base}/_mock/webhooks/config/{INTEGRATOR}",
                      json={"url": receiver.url + "/{source}", "secret": "s3cret"}).raise_for_status()
            token = httpx.post(f"{base}/integrator/token", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
                               data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "logs",
                                     "site_id": SITE}).json()["access_token"]
            submitted = httpx.post(f"{base}/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 1 AS one"}},
                                   headers={"Authorization": f"Bearer {token}", "DeviceId": "logs"})
            assert submitted.status_code == 201, submitted.text
            query_id = submitted.json()["id"]
            for _ in range(2):  # the query completes, then the retry falls due
                httpx.post(f"{base}/_mock/clock/advance", json={"seconds": 120}).raise_for_status()
                httpx.post(f"{base}/_mock/webhooks/flush", json={"timeout": 10}).raise_for_status()
            url = re.escape(receiver.url + "/async")
            server.wait_for(rf"webhook async -> {url} 503 [\d.]+ms attempt 1 retry query={query_id}", start=start)
            server.wait_for(rf"webhook async -> {url} 200 [\d.]+ms attempt 2 delivered query={query_id}", start=start)
    finally:
        receiver.close()
    assert len(receiver.deliveries) == 2


def test_the_line_writer_keeps_request_order_and_reads_site_and_surface_from_the_path():
    """A request queues its facts and the writer's thread formats them (so a request pays for an
    append): the lines still say the site and surface, in order with other records, in both formats."""
    import io
    import logging

    from mock_halo.logs import LineWriter, log_control, log_request

    for fmt in ("text", "json"):
        out = io.StringIO()
        writer = LineWriter(out, fmt, interval=60)
        root = logging.getLogger("mock_halo")
        level, propagate = root.level, root.propagate
        root.addHandler(writer)
        root.setLevel(logging.INFO)
        try:
            import mock_halo.logs as logs

            previous, logs._WRITER = logs._WRITER, writer
            log_request("POST", f"/device/sites/{SITE.upper()}/queries/immediate", 429, 0.0031, rules=["busy"])
            log_control("POST", "/_mock/reset", 200, 0.001, b"")
            log_request("GET", "/integrator/sites", 200, 0.0004)
            writer.flush()
        finally:
            logs._WRITER = previous
            root.removeHandler(writer)
            root.setLevel(level)
            root.propagate = propagate
            writer.close()
        lines = out.getvalue().splitlines()
        assert len(lines) == 3, lines
        if fmt == "text":
            assert lines[0].endswith(f"POST /device/sites/{SITE.upper()}/queries/immediate 429 3.1ms site={SITE[:8]} immediate rules=busy")
            assert "control POST /_mock/reset 200" in lines[1]
            assert lines[2].endswith("GET /integrator/sites 200 0.4ms sites")
        else:
            first, second, third = (json.loads(line) for line in lines)
            assert (first["site"], first["surface"], first["rules"], first["status"]) == (SITE, "immediate", ["busy"], 429)
            assert second["kind"] == "control"
            assert (third["site"], third["surface"]) == (None, "sites")


def test_the_line_writer_reads_a_repeated_path_as_it_read_it_first(monkeypatch):
    """What a path names is remembered per writer (a bounded cache that starts again when full): lines
    for repeated, alternating and new paths say what reading each path afresh says."""
    import io
    import time

    import mock_halo.logs as logs
    from mock_halo.logs import FROM_PATH, LineWriter, _where

    monkeypatch.setattr(logs, "PATH_CACHE_SIZE", 3)
    writer = LineWriter(io.StringIO(), "text", interval=60)
    try:
        paths = [f"/device/sites/{SITE}/queries/immediate", "/integrator/sites",
                 f"/integrator/sites/{SITE}/queries/0b8a5e3c-1111-4222-8333-444455556666",
                 f"/desktop/sites/{SITE}/fhir/R4/Patient", "/integrator/pair-site"]
        for path in paths * 3 + paths[::-1]:
            site, surface = _where(path, FROM_PATH, FROM_PATH)
            line = writer._line((time.time(), "GET", path, 200, 0.001, FROM_PATH, FROM_PATH, ()))
            expected = logs.request_line("GET", path, 200, 1.0, site, surface, ())
            assert line.endswith(" " + expected), (line, expected)
            assert len(writer._paths) <= 3
        given = writer._line((time.time(), "GET", paths[0], 200, 0.001, "other-site", FROM_PATH, ()))
        assert " site=other-si immediate" in given  # a site given is kept, the surface still read
    finally:
        writer.close()
