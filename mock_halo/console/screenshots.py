"""``python -m mock_halo.console.screenshots [DIR]``: PNGs of the console's main pages, for the README.

Starts an emulator (virtual clock, defaults) on a free loopback port, gives it a newcomer's
first minutes of traffic (:func:`demo`: immediate and async queries, one caught mid-way, a
scenario rule that fired, a site offline, webhook deliveries to a local receiver), then
opens each page in headless chromium (:mod:`mock_halo.console.browser`) and saves it.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mock_halo.http_client import httpx

DEFAULT_DIR = "docs/screenshots"
#: file name -> console path ({query}: the demo's first async query, finished, with its result pages).
PAGES = {
    "overview.png": "/_mock/ui",
    "queries.png": "/_mock/ui/queries",
    "query.png": "/_mock/ui/queries/{query}",
    "journal.png": "/_mock/ui/journal",
    "scenarios.png": "/_mock/ui/scenarios",
    "webhooks.png": "/_mock/ui/webhooks",
    "docs.png": "/docs",
}


@contextmanager
def receiver() -> Iterator[str]:
    """A webhook receiver on a free loopback port that accepts everything (204); yields its URL."""

    class Accept(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/halo/{{source}}"
    finally:
        server.shutdown()
        server.server_close()


def demo(base: str, hook_url: str | None = None) -> dict[str, str]:
    """Traffic through the Halo API and the control plane; returns ids worth showing (``query``)."""
    with httpx.Client(base_url=base, timeout=30) as http:
        info = http.get("/_mock/info").json()
        integrator = info["integrators"][0]
        sites = [s["id"] for s in info["sites"]]
        site = sites[0]
        if hook_url:
            http.put(f"/_mock/webhooks/config/{integrator['id']}", json={"url": hook_url, "secret": "demo"}).raise_for_status()
        token = http.post("/integrator/token", headers={"Ocp-Apim-Subscription-Key": integrator["subscriptionKey"]},
                          data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "front-desk",
                                "site_id": site}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "DeviceId": "front-desk"}
        queries = f"/device/sites/{site}/queries"
        http.post("/_mock/scenarios", json={"id": "busy-appointments", "match": {"surface": "immediate", "sql": "BPS_Appointments", "count": 2},
                                            "outcome": {"error": 429, "retryAfter": 5}}).raise_for_status()
        for sql in ("SELECT TOP 5 InternalID, Firstname, Surname, DOB FROM BPS_Patients ORDER BY InternalID",
                    "SELECT TOP 3 * FROM BPS_Appointments", "SELECT TOP 3 * FROM BPS_Appointments",
                    "SELECT COUNT(*) AS patients FROM BPS_Patients"):
            http.post(f"{queries}/immediate", headers=headers, json={"command": {"text": sql}})
        done = [http.post(f"{queries}/async", headers=headers, json={"command": {"text": sql}}).json()["id"]
                for sql in ("SELECT * FROM BPS_Patients", "SELECT TOP 50 InternalID, Surname FROM BPS_Patients")]
        http.post("/_mock/clock/advance", json={"seconds": 90}).raise_for_status()
        for query_id in done:
            http.get(f"{queries}/{query_id}", headers=headers)
        # One caught on its way: submitted last, shown before the clock moves again.
        http.post(f"{queries}/async", headers=headers,
                  json={"command": {"text": "SELECT InternalID, Surname, Firstname FROM BPS_Patients"}}).raise_for_status()
        http.post("/_mock/clock/advance", json={"seconds": 1.5}).raise_for_status()
        if len(sites) > 1:
            http.put(f"/_mock/sites/{sites[1]}/availability", json={"availability": "offline"}).raise_for_status()
        http.post("/_mock/webhooks/flush", json={"timeout": 10})
        return {"query": done[0], "site": site}


def take(out_dir: Path, width: int = 1280, height: int = 900) -> list[Path]:
    """Serve a demo emulator and write one PNG per page of :data:`PAGES` into ``out_dir``."""
    from mock_halo.config import load_settings
    from mock_halo.console.browser import chrome
    from mock_halo.emulator import Emulator
    from mock_halo.live import LiveServer

    out_dir.mkdir(parents=True, exist_ok=True)
    browser = chrome(width, height)
    written = []
    try:
        with receiver() as hook, LiveServer(Emulator(load_settings(env={}, overrides={"clock": "virtual"}))) as server:
            ids = demo(server.base_url, hook)
            for name, path in PAGES.items():
                browser.get(server.base_url + path.format(**ids))
                _settle(browser, docs=path == "/docs")
                target = out_dir / name
                browser.save_screenshot(str(target))
                written.append(target)
    finally:
        browser.quit()
    return written


def _settle(browser: Any, docs: bool) -> None:
    """Wait until the page has drawn (Swagger UI draws after loading the document)."""
    from selenium.webdriver.support.ui import WebDriverWait

    if docs:
        WebDriverWait(browser, 30).until(lambda b: b.find_elements("css selector", ".opblock"))
    else:
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_halo.console.screenshots",
                                     description="Write PNG screenshots of the console's main pages (needs chromium, chromedriver and selenium).")
    parser.add_argument("out_dir", nargs="?", default=DEFAULT_DIR, help=f"where to write them (default {DEFAULT_DIR})")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    from mock_halo.console.browser import BrowserMissing

    try:
        written = take(Path(args.out_dir), args.width, args.height)
    except BrowserMissing as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
