"""The web console at /_mock/ui and the API docs at /docs, through HTTP (the browser tests
in test_console_browser.py click through the same pages in chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import OTHER_SITE, SITE, Halo, assert_general_error, make_settings
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.emulator import Emulator

ADMIN = "console-admin-token"
PAGES = ("/_mock/ui", "/_mock/ui/queries", "/_mock/ui/journal", "/_mock/ui/scenarios", "/_mock/ui/webhooks")


def submit_async(halo: Halo, sql: str = "SELECT TOP 30 InternalID, Surname FROM BPS_Patients", site: str = SITE) -> str:
    response = halo.client.post(f"/device/sites/{site}/queries/async", json={"command": {"text": sql}},
                                headers=halo.headers(halo.token(site)))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rows_of(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr data-[a-z]+=\"([^\"]+)\"", body)


# -- pages ---------------------------------------------------------------------------------------
def test_every_page_is_html_from_the_server_with_its_own_script_and_nothing_else(client, halo):
    halo.immediate("SELECT TOP 1 InternalID FROM BPS_Patients")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert html.startswith("<!doctype html>") and "</html>" in html
        assert re.findall(r'<script src="([^"]+)"', html) == ["/_mock/ui/static/console.js"]
        assert "<script>" not in html  # no inline script: the policy below forbids it
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert 'aria-current="page"' in html
    script = client.get("/_mock/ui/static/console.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "data-live" in script.text and "fetch(" in script.text
    assert client.get("/_mock/ui/static/console.css").headers["content-type"].startswith("text/css")
    assert_general_error(client.get("/_mock/ui/static/../app.py"), 404)
    assert_general_error(client.get("/_mock/ui/static/secrets.txt"), 404)


def test_overview_shows_sites_with_their_switches_and_the_clock(client, emulator):
    client.put(f"/_mock/sites/{OTHER_SITE}/availability", json={"availability": "offline"})
    client.put(f"/_mock/sites/{SITE}/latency", json={"latencyMs": 250})
    html = client.get("/_mock/ui").text
    assert rows_of(html, "sites") == [s.id for s in emulator.settings.sites]
    other = html.split(f'data-site="{OTHER_SITE}"', 1)[1].split("</tr>", 1)[0]
    assert f'data-api="PUT /_mock/sites/{OTHER_SITE}/availability"' in other
    assert '<option value="offline" selected>' in other
    assert 'name="latencyMs" type="number" min="0" value="250"' in html.split(f'data-site="{SITE}"', 1)[1].split("</tr>", 1)[0]
    clock = client.get("/_mock/clock").json()
    assert clock["now"] in html and "frozen" in html
    for action in ("POST /_mock/clock/advance", "POST /_mock/clock/freeze", "POST /_mock/clock/real",
                   "POST /_mock/clock/speed", "POST /_mock/clock/set", "POST /_mock/reset"):
        assert f'data-api="{action}"' in html


def test_query_list_draws_each_lifecycle_from_its_status_timing(client, halo):
    immediate = halo.immediate("SELECT TOP 2 InternalID FROM BPS_Patients").json()["id"]
    waiting = submit_async(halo)
    html = client.get("/_mock/ui/queries").text
    assert rows_of(html, "queries") == [waiting, immediate]  # newest first
    row = html.split(f'data-query="{waiting}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'class="phase (\w+)', row) == ["initialising"] and "open" in row  # still going
    client.post("/_mock/clock/advance", json={"seconds": 120})
    html = client.get("/_mock/ui/queries").text
    row = html.split(f'data-query="{waiting}"', 1)[1].split("</tr>", 1)[0]
    status = client.get(f"/device/sites/{SITE}/queries/{waiting}", headers=halo.headers(halo.token())).json()
    assert re.findall(r'class="phase (\w+)', row) == sorted(status["statusTiming"], key=lambda p: status["statusTiming"][p]["startTime"])
    assert '<span class="status ok">successful</span>' in row and " open" not in row
    widths = [float(w) for w in re.findall(r"flex-grow:([\d.]+)", row)]
    assert len(widths) == 4 and sum(widths) > 0


def test_query_list_filters_and_its_live_part(client, halo):
    first = halo.immediate("SELECT 1 AS one").json()["id"]
    other = halo.immediate("SELECT 1 AS one", site=OTHER_SITE).json()["id"]
    waiting = submit_async(halo)
    assert rows_of(client.get("/_mock/ui/queries", params={"mode": "async"}).text, "queries") == [waiting]
    assert rows_of(client.get("/_mock/ui/queries", params={"site": OTHER_SITE}).text, "queries") == [other]
    assert rows_of(client.get("/_mock/ui/queries", params={"status": "successful"}).text, "queries") == [other, first]
    assert rows_of(client.get("/_mock/ui/queries", params={"status": "initialising"}).text, "queries") == [waiting]
    page = client.get("/_mock/ui/queries", params={"mode": "async"}).text
    assert 'data-live="/_mock/ui/queries?mode=async&amp;partial=1"' in page
    part = client.get("/_mock/ui/queries", params={"mode": "async", "partial": 1})
    assert part.status_code == 200 and "<html" not in part.text and rows_of(part.text, "queries") == [waiting]
    assert_general_error(client.get("/_mock/ui/queries", params={"status": "done"}), 400, "status must be one of")
    assert_general_error(client.get("/_mock/ui/queries", params={"site": "nowhere"}), 400, "site must be one of")


def test_query_list_shows_the_newest_hundred(client, halo, emulator):
    token = halo.token()
    for _ in range(105):
        client.post(f"/device/sites/{SITE}/queries/immediate", json={"command": {"text": "SELECT 1 AS one"}},
                    headers=halo.headers(token))
    html = client.get("/_mock/ui/queries").text
    shown = rows_of(html, "queries")
    newest = [r.id for r in reversed(emulator.queries.records())][:100]
    assert shown == newest and "the newest 100 of 105" in html


def test_a_running_query_page_is_live_until_its_status_is_final(client, halo):
    query_id = submit_async(halo)
    page = client.get(f"/_mock/ui/queries/{query_id}").text
    assert f'data-live="/_mock/ui/queries/{query_id}?partial=1"' in page
    assert "initialising" in page and "X-Console-Final" not in client.get(f"/_mock/ui/queries/{query_id}?partial=1").headers
    client.post("/_mock/clock/advance", json={"seconds": 120})
    part = client.get(f"/_mock/ui/queries/{query_id}?partial=1")
    assert part.headers["x-console-final"] == "1" and "successful" in part.text
    page = client.get(f"/_mock/ui/queries/{query_id}").text
    assert "data-live" not in page.split("<main>", 1)[1]
    for phase in ("initialising", "queued", "executing", "uploading"):
        assert f"<td>{phase}</td>" in page  # the phase table under the timeline
    assert f'href="/_mock/ui/queries/{query_id}/pages/1"' in page
    assert f'href="/_mock/ui/journal?path={query_id}"' in page


def test_result_pages_show_their_rows(client, halo):
    expected = halo.rows("SELECT TOP 30 InternalID, Surname FROM BPS_Patients")
    query_id = submit_async(halo)
    waiting = client.get(f"/_mock/ui/queries/{query_id}/pages/1")
    assert waiting.status_code == 404 and "has no results to download" in waiting.text
    client.post("/_mock/clock/advance", json={"seconds": 120})
    page = client.get(f"/_mock/ui/queries/{query_id}/pages/1")
    assert page.status_code == 200
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", page.text)
    assert [(int(i), s) for i, s in cells] == [(r["InternalID"], r["Surname"]) for r in expected]
    missing = client.get(f"/_mock/ui/queries/{query_id}/pages/9")
    assert missing.status_code == 404 and "the result has 1 page(s)" in missing.text
    immediate = halo.immediate("SELECT TOP 3 InternalID, Surname FROM BPS_Patients").json()["id"]
    detail = client.get(f"/_mock/ui/queries/{immediate}").text
    assert "Result: 3 rows" in detail and len(re.findall(r"<tr><td>\d+</td>", detail)) == 3
    assert client.get(f"/_mock/ui/queries/{immediate}/pages/1").status_code == 404
    gone = client.get("/_mock/ui/queries/00000000-0000-4000-8000-000000000000")
    assert gone.status_code == 404 and "No stored query has the id" in gone.text


def test_journal_page_filters_newest_first(client, halo):
    client.post("/_mock/scenarios", json={"id": "busy", "match": {"surface": "immediate", "sql": "Appointments"},
                                          "outcome": {"error": 429, "retryAfter": 5}})
    halo.immediate("SELECT TOP 1 * FROM BPS_Appointments")
    halo.immediate("SELECT 1 AS one")
    entries = client.get("/_mock/journal").json()["entries"]
    html = client.get("/_mock/ui/journal").text
    assert rows_of(html, "journal") == [str(e["id"]) for e in reversed(entries)]
    refused = client.get("/_mock/ui/journal", params={"status": "429"}).text
    (only,) = rows_of(refused, "journal")
    row = refused.split(f'data-entry="{only}"', 1)[1].split("</tr>", 1)[0]
    assert "busy" in row and ">429<" in row and ">5<" in row
    assert len(rows_of(client.get("/_mock/ui/journal", params={"surface": "token"}).text, "journal")) == 2
    assert_general_error(client.get("/_mock/ui/journal", params={"status": "many"}), 400, "status")
    assert_general_error(client.get("/_mock/ui/journal", params={"surface": "moon"}), 400, "surface")


def test_what_the_console_shows_is_escaped(client, halo):
    client.post("/_mock/scenarios", json={"id": "x", "match": {"sql": "<script>alert(1)</script>"}, "outcome": {"error": 503}})
    halo.immediate("SELECT '<img src=x onerror=alert(1)>' AS evil")
    for path in ("/_mock/ui/scenarios", "/_mock/ui/journal", "/_mock/ui/queries"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/_mock/ui/scenarios").text


def test_scenario_rules_with_their_counters_and_delete_buttons(client, halo):
    client.post("/_mock/scenarios", json={"id": "busy", "match": {"surface": "immediate", "sql": "Appointments"},
                                          "outcome": {"error": 429}})
    halo.immediate("SELECT TOP 1 * FROM BPS_Appointments")
    halo.immediate("SELECT TOP 1 * FROM BPS_Appointments")
    html = client.get("/_mock/ui/scenarios").text
    assert 'data-api="POST /_mock/scenarios"' in html and "data-json" in html
    row = html.split('data-rule="busy"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "2"]
    assert 'data-api="DELETE /_mock/scenarios/busy"' in row


def test_webhooks_page_lists_deliveries(client, halo):
    from mock_halo.pytest_plugin import WebhookReceiver

    receiver = WebhookReceiver()
    try:
        integrator = client.get("/_mock/info").json()["integrators"][0]["id"]
        client.put(f"/_mock/webhooks/config/{integrator}", json={"url": receiver.url, "secret": "s"})
        query_id = submit_async(halo)
        client.post("/_mock/clock/advance", json={"seconds": 120})
        assert client.post("/_mock/webhooks/flush", json={"timeout": 10}).json()["settled"]
        html = client.get("/_mock/ui/webhooks").text
    finally:
        receiver.close()
    (delivery,) = client.get("/_mock/webhooks").json()["deliveries"]
    row = html.split(f'data-delivery="{delivery["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert query_id[:8] in row and "delivered" in row and ">200<" in row
    assert f'data-api="POST /_mock/webhooks/{delivery["id"]}/redeliver"' in row
    assert receiver.url in html


def test_reading_the_console_changes_nothing(client, halo):
    query_id = submit_async(halo)
    before = client.get("/_mock/info").json()["state"]
    for path in (*PAGES, f"/_mock/ui/queries/{query_id}", "/docs"):
        assert client.get(path).status_code == 200
    assert client.get("/_mock/info").json()["state"] == before
    assert all("/_mock" not in e["path"] and "/docs" not in e["path"] for e in client.get("/_mock/journal").json()["entries"])


# -- access --------------------------------------------------------------------------------------
@pytest.fixture
def remote_with_token() -> Iterator[TestClient]:
    emulator = Emulator(make_settings(admin_token=ADMIN))
    with TestClient(create_app(emulator=emulator), client=("203.0.113.9", 50000), follow_redirects=False) as remote:
        yield remote
    emulator.close()


def test_loopback_pages_carry_no_token(client):
    assert "mock-halo-admin-token" not in client.get("/_mock/ui").text


def test_elsewhere_the_console_is_closed_without_an_admin_token(emulator):
    with TestClient(create_app(emulator=emulator), client=("203.0.113.9", 50000)) as remote:
        for path in (*PAGES, "/_mock/ui?token=anything"):
            assert_general_error(remote.get(path), 403, "loopback callers only", "MOCK_HALO_ADMIN_TOKEN")


def test_the_admin_token_opens_the_console_once_through_the_url(remote_with_token):
    remote = remote_with_token
    assert_general_error(remote.get("/_mock/ui/queries"), 401, "/_mock/ui?token=")
    assert_general_error(remote.get("/_mock/ui?token=wrong"), 401, "not the admin token")
    signed_in = remote.get("/_mock/ui/queries", params={"token": ADMIN, "mode": "async"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/_mock/ui/queries?mode=async"
    cookie = signed_in.headers["set-cookie"]
    assert f"mock_halo_admin={ADMIN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/_mock/ui" in cookie
    page = remote.get("/_mock/ui/queries?mode=async")  # the client keeps the cookie
    assert page.status_code == 200
    assert f'<meta name="mock-halo-admin-token" content="{ADMIN}">' in page.text  # for the script's /_mock calls
    assert remote.get("/_mock/clock", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    remote.cookies.clear()
    assert remote.get("/_mock/ui", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    remote.cookies.set("mock_halo_admin", "guess")
    assert remote.get("/_mock/ui").status_code == 401
    remote.cookies.set("mock_halo_admin", ADMIN)
    assert remote.get("/_mock/ui").status_code == 200
    assert remote.get("/_mock/clock").status_code == 401  # the API takes the header only


# -- /docs ---------------------------------------------------------------------------------------
def test_docs_page_serves_swagger_ui_for_both_documents(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts == ["/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui-standalone-preset.js", "/_mock/ui/static/docs.js"]
    for src in scripts[:2] + ["/docs/assets/swagger-ui.css"]:
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 10_000, src
    starter = client.get("/_mock/ui/static/docs.js").text
    assert '"/openapi.json"' in starter and '"/_mock/openapi.json"' in starter
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert client.get("/_mock/openapi.json").status_code == 200
    assert_general_error(client.get("/docs/assets/index.html"), 404)
    assert [e["path"] for e in client.get("/_mock/journal").json()["entries"]] == ["/openapi.json"]  # /docs is no Halo request
