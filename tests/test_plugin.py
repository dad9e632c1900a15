"""The pytest plugin, exercised by running a small test file with pytester."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent

#: What a user's test module looks like (the README shows the first test).
USER_TESTS = '''
import httpx
from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY

SITE = DEFAULT_SITE_IDS[0]


def device_headers(client):
    response = client.post(
        "/integrator/token",
        data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "dev-1", "site_id": SITE},
        headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
    )
    return {"Authorization": "Bearer " + response.json()["access_token"], "DeviceId": "dev-1"}


def test_expired_in_queue_is_reported(halo_client, halo_clock, halo_scenarios, halo_control):
    halo_scenarios.add({"surface": "async", "sql": "FROM BPS_Patients"}, status="expiredInQueue")
    headers = device_headers(halo_client)
    created = halo_client.post(
        f"/device/sites/{SITE}/queries/async",
        json={"command": {"text": "SELECT TOP 10 * FROM BPS_Patients"}, "maxTimeInQueue": 60000},
        headers=headers,
    ).json()
    halo_clock.advance("5m")
    polled = halo_client.get(f"/device/sites/{SITE}/queries/{created['id']}", headers=headers).json()
    assert polled["status"] == "expiredInQueue"
    submissions = halo_control.journal(surface="async")
    assert len(submissions) == 1 and submissions[0]["scenarios"] == ["rule-1"]


def test_each_test_starts_clean(halo_control, halo_emulator):
    assert halo_control.scenarios() == []
    assert halo_control.journal() == []
    assert halo_control.clock().now == "2026-01-04T23:00:00.000Z"
    assert halo_emulator.clock.frozen


def test_live_server_for_other_clients(halo_server):
    assert httpx.get(halo_server.base_url + "/_mock/health").json()["status"] == "ok"
    halo_server.control.advance("5m")
    assert halo_server.control.clock().now == "2026-01-04T23:05:00.000Z"
    headers = device_headers(httpx.Client(base_url=halo_server.base_url))
    response = httpx.post(
        f"{halo_server.base_url}/device/sites/{SITE}/queries/immediate",
        json={"command": {"text": "SELECT 1 AS one /* mock-halo: error=429 retryAfter=2 */"}},
        headers=headers,
    )
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
'''


def _plugin_args() -> list[str]:
    """Load the plugin explicitly when mock-halo is not installed (no entry point yet)."""
    names = {ep.name for ep in entry_points(group="pytest11")}
    return [] if "mock_halo" in names else ["-p", "mock_halo.pytest_plugin"]


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_user=USER_TESTS)
    # Overriding halo_settings is how a user picks the emulator's settings.
    pytester.makeconftest(
        "import pytest\nfrom mock_halo.config import load_settings\n\n"
        "@pytest.fixture\ndef halo_settings():\n"
        "    return load_settings(env={}, overrides={'clock': 'virtual', 'patients': 40})\n"
    )
    return pytester


def test_plugin_fixtures_work_in_a_users_test_file(user_project: pytest.Pytester):
    result = user_project.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_plugin_is_safe_under_xdist(user_project: pytest.Pytester):
    pytest.importorskip("xdist")
    result = user_project.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=3)


def test_a_failing_user_assertion_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(
        test_wrong="def test_wrong(halo_clock):\n    halo_clock.advance('1m')\n    assert halo_clock.now() == '2026-01-04T23:00:00.000Z'\n"
    )
    result = pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)


def test_declares_the_pytest11_entry_point():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"mock_halo": "mock_halo.pytest_plugin"}


def test_loading_the_plugin_imports_neither_httpx_nor_the_emulator():
    """Installed, the plugin loads into every pytest session: it must stay cheap and need no extras."""
    import subprocess
    import sys

    code = "import sys, mock_halo.pytest_plugin; print(sorted(m for m in ('httpx', 'mock_halo.app', 'starlette') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "[]"
