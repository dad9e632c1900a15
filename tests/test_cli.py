"""The mock-halo command: a real `serve` on a free port, `decode`, `config-example`."""

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from mock_halo.cli import banner, main
from mock_halo.config import DEFAULT_SUBSCRIPTION_KEY, load_settings


def run_cli(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "mock_halo", *args], input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def server():
    """`mock-halo serve --port 0` as a subprocess; yields (base_url, banner_text)."""
    env = {**os.environ, "MOCK_HALO_PATIENTS": "40"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_halo", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    lines = []
    deadline = time.monotonic() + 30
    base = None
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"listening\s+(http://\S+)", line)
            if match:
                base = match.group(1)
            if "API docs:" in line:  # the banner's last line
                break
        assert base, "no banner within 30 s:\n" + "".join(lines)
        yield base, "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def http(method, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_prints_a_usable_banner_and_answers_the_readme_flow(server):
    base, text = server
    assert DEFAULT_SUBSCRIPTION_KEY in text
    settings = load_settings(env={})
    for site in settings.sites:
        assert site.id in text
    assert "curl" in text
    status, health = http("GET", f"{base}/_mock/health")
    assert (status, health["status"]) == (200, "ok")
    site = settings.sites[0].id
    form = f"grant_type=urn:halo-connect:oauth:device-token&device_id=cli-test&site_id={site}".encode()
    status, token = http("POST", f"{base}/integrator/token", form,
                         {"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY,
                          "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    body = json.dumps({"command": {"text": "SELECT TOP 5 Firstname, Surname FROM BPS_Patients"}}).encode()
    status, result = http("POST", f"{base}/device/sites/{site}/queries/immediate", body,
                          {"Authorization": f"Bearer {token['access_token']}", "DeviceId": "cli-test",
                           "Content-Type": "application/json"})
    assert status == 200
    decoded = run_cli("decode", stdin=json.dumps(result))
    assert decoded.returncode == 0
    rows = json.loads(decoded.stdout)
    assert len(rows) == 5 and set(rows[0]) == {"Firstname", "Surname"}
    # The banner's console and docs addresses answer pages.
    for url in re.search(r"Console: (\S+)\s+API docs: (\S+)", text).groups():
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")


def test_banner_names_port_key_and_sites():
    settings = load_settings(env={})
    text = banner(settings, 8123, 0.5)
    assert "http://127.0.0.1:8123" in text
    assert "NOT paired" in text
    assert text.count("BestPractice") == 3


def test_decode_prints_rows_or_the_error(capsys, monkeypatch):
    import io

    data = base64.b64encode(json.dumps([{"a": 1}]).encode()).decode()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"result": {"data": data}})))
    assert main(["decode"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"a": 1}]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"error": {"status": 401}})))
    assert main(["decode"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("not json"))
    assert main(["decode"]) == 2


def test_config_example_round_trips(tmp_path):
    result = run_cli("config-example")
    assert result.returncode == 0
    path = tmp_path / "c.toml"
    path.write_text(result.stdout)
    assert load_settings(path, env={}).sites[0].name == "Halo Clinic South"


def test_serve_refuses_bad_configuration(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("port = 'x'")
    result = run_cli("serve", "--config", str(path))
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "port" in result.stderr


def test_a_practice_written_by_fixtures_is_served_from_its_file(tmp_path):
    from conftest import Halo
    from starlette.testclient import TestClient

    from mock_halo.app import create_app

    out = tmp_path / "big.sqlite"
    result = run_cli("fixtures", "--patients", "300", "--seed", "9", "--out", str(out))
    assert result.returncode == 0, result.stderr
    config = tmp_path / "halo.toml"
    config.write_text(f'clock = "virtual"\n[[sites]]\nname = "Big"\ndata = {{ BPSPatients = "{out.name}" }}\n')
    settings = load_settings(config, env={})
    with TestClient(create_app(settings)) as client:
        halo = Halo(client)
        site = settings.sites[0].id
        response = halo.immediate("SELECT COUNT(*) AS n FROM PATIENTS", site=site)
        assert response.status_code == 200, response.text
        rows = json.loads(base64.b64decode(response.json()["result"]["data"]))
        assert rows == [{"n": 300}]


def test_an_unknown_serve_option_shows_the_serve_usage():
    result = run_cli("serve", "--bogus")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: mock-halo serve") and "mock-halo serve: error: unrecognized arguments: --bogus" in result.stderr


def test_options_without_a_subcommand_are_serves():
    result = run_cli("--port", "-1")
    assert result.returncode == 2 and "configuration error" in result.stderr and "port" in result.stderr


def test_fixtures_out_dash_writes_to_standard_output(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mock_halo", "fixtures", "--patients", "3", "--format", "tsql",
                             "--out", "-", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "INSERT INTO dbo.PATIENTS" in result.stdout and "to standard output" in result.stderr
    assert not (tmp_path / "-").exists()
    binary = subprocess.run([sys.executable, "-m", "mock_halo", "fixtures", "--patients", "3", "--out", "-", "--quiet"],
                            cwd=tmp_path, capture_output=True, timeout=60)
    assert binary.returncode == 0 and binary.stdout.startswith(b"SQLite format 3\x00")
    assert not (tmp_path / "-").exists()


def test_a_port_in_use_is_said_plainly_before_starting(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in result.stderr
    assert "Errno" not in result.stderr and "startup" not in result.stderr.lower() and not result.stdout
