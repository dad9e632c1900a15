"""The console in a real headless browser: Debian's chromium through its chromedriver, driven
by selenium, against an emulator served on a loopback port. A few flows, each bounded by
explicit waits (at most 15 s a step); the clock is moved, never slept on.

Where chromium cannot be had these skip, saying why; the test command sets
``MOCK_HALO_REQUIRE_BROWSER=1`` where it could install it (root with apt, as in CI), and
then a missing browser fails instead.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import OTHER_SITE, SITE, make_settings

from mock_halo.config import DEFAULT_SUBSCRIPTION_KEY
from mock_halo.console.browser import BrowserMissing, chrome
from mock_halo.emulator import Emulator
from mock_halo.live import LiveServer

WAIT_S = 15


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        driver = chrome(1280, 900)
    except BrowserMissing as exc:
        if os.environ.get("MOCK_HALO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the test command installed a browser, yet: {exc}")
        pytest.skip(f"no headless browser: {exc}")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    emulator = Emulator(make_settings())
    with LiveServer(emulator) as live:
        yield live
    emulator.close()


@pytest.fixture
def api(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        http.post("/_mock/reset").raise_for_status()
        yield http


def wait(browser, condition, message: str):
    """Until ``condition`` holds; a live part replaced while it was being read is read again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_S, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: condition(b), message)


def css(browser, selector: str) -> list[Any]:
    return browser.find_elements("css selector", selector)


def click(browser, selector: str) -> None:
    """Click the first match; a live part replaced between finding and clicking is found again."""
    wait(browser, lambda b: css(b, selector)[0].click() or True, f"to click {selector}")


def fill(browser, selector: str, text: str) -> None:
    """Type into the first match, found again if a live part replaced it; once focused, the console leaves
    the part it sits in alone (it never replaces a field someone is typing in)."""
    def typed(b) -> bool:
        field = css(b, selector)[0]
        field.click()
        field.clear()
        field.send_keys(text)
        return True
    wait(browser, typed, f"to type into {selector}")


def choose(browser, selector: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    wait(browser, lambda b: Select(css(b, selector)[0]).select_by_value(value) or True, f"to choose {value}")


def text_of(browser, selector: str) -> str:
    """The rendered text of the first match, read in one step (a live part may replace it at any time)."""
    return browser.execute_script("const found = document.querySelector(arguments[0]);"
                                  "return found ? found.innerText.trim() : '';", selector)


def submit_async(api: httpx.Client, sql: str) -> str:
    token = api.post("/integrator/token", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
                     data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "browser",
                           "site_id": SITE}).json()["access_token"]
    response = api.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": sql}},
                        headers={"Authorization": f"Bearer {token}", "DeviceId": "browser"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_watch_a_query_walk_its_statuses_and_read_its_result(browser, server, api):
    query_id = submit_async(api, "SELECT TOP 12 InternalID, Surname FROM BPS_Patients ORDER BY InternalID")
    browser.get(f"{server.base_url}/_mock/ui/queries/{query_id}")
    assert text_of(browser, ".status") == "initialising"
    seen = ["initialising"]
    # The page is live: each move of the clock shows up without a reload, phase by phase.
    for step in ("0.9s", "0.2s", "0.5s", "1s", "1m"):
        api.post("/_mock/clock/advance", json={"duration": step}).raise_for_status()
        expected = _status(api, query_id)
        wait(browser, lambda b: text_of(b, ".status") == expected, f"the page to show {expected}")
        if expected != seen[-1]:
            seen.append(expected)
    assert seen[0] == "initialising" and seen[-1] == "successful" and len(seen) >= 3
    phases = [el.get_attribute("title").split()[0] for el in css(browser, ".timeline.large .phase")]
    assert phases == ["initialising", "queued", "executing", "uploading"]
    css(browser, 'a[href$="/pages/1"]')[0].click()
    wait(browser, lambda b: "page 1" in b.title, "the result page")
    cells = [row.find_elements("css selector", "td")[1].text for row in css(browser, "table.rows tbody tr")]
    assert len(cells) == 12 and all(cells)


def _status(api: httpx.Client, query_id: str) -> str:
    info = api.get("/_mock/info").json()
    key = info["integrators"][0]["subscriptionKey"]
    token = api.post("/integrator/token", headers={"Ocp-Apim-Subscription-Key": key},
                     data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "browser",
                           "site_id": SITE}).json()["access_token"]
    return api.get(f"/device/sites/{SITE}/queries/{query_id}",
                   headers={"Authorization": f"Bearer {token}", "DeviceId": "browser"}).json()["status"]


def test_switches_for_sites_and_the_clock(browser, server, api):
    browser.get(f"{server.base_url}/_mock/ui")
    choose(browser, f'select[data-api="PUT /_mock/sites/{OTHER_SITE}/availability"]', "unreachable")
    wait(browser, lambda b: text_of(b, "#notice") == "Done.", "the change to be made")
    sites = {s["id"]: s for s in api.get("/_mock/sites").json()["sites"]}
    assert sites[OTHER_SITE]["availability"] == "unreachable"
    fill(browser, f'tr[data-site="{SITE}"] input[name="latencyMs"]', "350")
    click(browser, f'tr[data-site="{SITE}"] form button')
    wait(browser, lambda b: text_of(b, "#notice") == "Latency set.", "the latency to be set")
    assert api.get("/_mock/sites").json()["sites"][0]["latencyMs"] == 350
    before = api.get("/_mock/clock").json()["now"]
    fill(browser, 'input[name="duration"]', "2h")
    click(browser, 'form[data-api="POST /_mock/clock/advance"] button')
    wait(browser, lambda b: api.get("/_mock/clock").json()["now"] != before, "the clock to move")
    now = api.get("/_mock/clock").json()["now"]
    wait(browser, lambda b: text_of(b, "#clock").startswith(now), "the header clock to follow")
    fill(browser, 'input[name="speed"]', "2000000")
    click(browser, 'form[data-api="POST /_mock/clock/speed"] button')
    wait(browser, lambda b: "speed must be" in text_of(b, "#notice"), "the control plane's refusal, said")
    assert "failed" in css(browser, "#notice")[0].get_attribute("class")


def test_scenario_rules_added_counted_and_deleted(browser, server, api):
    browser.get(f"{server.base_url}/_mock/ui/scenarios")
    fill(browser, "textarea[data-json]",
         '{"id": "slow-fhir", "match": {"surface": "immediate", "sql": "Appointments"}, "outcome": {"error": 503}}')
    click(browser, "#add-rule button")
    wait(browser, lambda b: css(b, 'tr[data-rule="slow-fhir"]'), "the new rule's row")
    token = api.post("/integrator/token", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
                     data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "b", "site_id": SITE}).json()["access_token"]
    refused = api.post(f"/device/sites/{SITE}/queries/immediate", json={"command": {"text": "SELECT TOP 1 * FROM BPS_Appointments"}},
                       headers={"Authorization": f"Bearer {token}", "DeviceId": "b"})
    assert refused.status_code == 503
    # The counters are live: the refused request shows up without a reload.
    wait(browser, lambda b: [c.text for c in css(b, 'tr[data-rule="slow-fhir"] td.num')] == ["1", "1"], "the counters")
    fill(browser, "textarea[data-json]", "{not json")
    click(browser, "#add-rule button")
    wait(browser, lambda b: "not JSON" in text_of(b, "#notice"), "the bad rule to be refused")
    click(browser, 'button[data-api="DELETE /_mock/scenarios/slow-fhir"]')
    wait(browser, lambda b: not css(b, 'tr[data-rule="slow-fhir"]'), "the rule's row to go")
    assert api.get("/_mock/scenarios").json()["rules"] == []


def test_journal_filter_and_api_docs(browser, server, api):
    submit_async(api, "SELECT 1 AS one")
    browser.get(f"{server.base_url}/_mock/ui/journal")
    field = css(browser, 'form.filters input[name="path"]')[0]
    field.send_keys("/queries/async")
    field.submit()
    wait(browser, lambda b: "path=%2Fqueries%2Fasync" in b.current_url, "the filtered journal")
    paths = [el.text.split("\n")[0] for el in css(browser, "#journal td.path")]
    assert paths == [f"/device/sites/{SITE}/queries/async"]
    browser.get(f"{server.base_url}/docs")
    wait(browser, lambda b: len(css(b, ".opblock")) > 10, "Swagger UI to draw Halo's operations")
    assert any("/integrator/token" in el.text for el in css(browser, ".opblock-summary-path"))
    browser.get(f"{server.base_url}/docs?urls.primaryName=mock-halo%20control%20plane%20(%2F_mock)")
    wait(browser, lambda b: any("/_mock/clock/advance" in el.text for el in css(b, ".opblock-summary-path")),
         "the control plane's document")


def test_screenshots_command_writes_the_main_pages(tmp_path):
    from mock_halo.console.screenshots import PAGES, main

    try:
        chrome(320, 200).quit()
    except BrowserMissing as exc:
        if os.environ.get("MOCK_HALO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the test command installed a browser, yet: {exc}")
        pytest.skip(f"no headless browser: {exc}")
    assert main([str(tmp_path), "--width", "1024", "--height", "700"]) == 0
    for name in PAGES:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (1024, 700) and len(data) > 20_000, name
