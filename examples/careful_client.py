"""A careful Halo client: the same job as naive_client.py, following Halo's guidance.

It renews its device token before it expires, retries only 408/429/5xx with
exponential backoff (honouring Retry-After), fixes nothing by retrying a 4xx, polls
every 2 s backing off to 30 s, stops at a terminal status, resubmits only a query
that ended without running (initialisationFailed*, expiredInQueue), waits for
every result page to be cached and downloads each promptly. A query may wait 10
minutes in the site's queue. It gives up with
HaloUnavailable rather than loop for ever. Time comes from `sleep` and `clock`,
so a test can run it on the emulator's virtual clock.

Run it against a running emulator: python examples/careful_client.py http://127.0.0.1:8080
"""

from __future__ import annotations

import base64
import json
import sys
import time

import httpx

SQL = "SELECT InternalID, Firstname, Surname FROM BPS_Patients ORDER BY InternalID"
GRANT = "urn:halo-connect:oauth:desktop-token"
RETRYABLE = {408, 429, 500, 502, 503, 504}
RESUBMIT = {"initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable", "initialisationFailedCacheError",
            "expiredInQueue"}
TERMINAL = RESUBMIT | {"successful", "executionFailed", "uploadFailed"}


class HaloUnavailable(Exception):
    """Halo could not answer this time; the caller may try again later."""


class CarefulClient:
    def __init__(self, http: httpx.Client, site_id: str, subscription_key: str, sleep=time.sleep, clock=time.monotonic):
        self.http, self.site_id, self.key, self.sleep, self.clock = http, site_id, subscription_key, sleep, clock
        self.token, self.expires, self.device = "", 0.0, "careful-app"

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs) -> httpx.Response:
        delay = 1.0
        for attempt in range(6):
            headers = self.auth() if auth else {"Ocp-Apim-Subscription-Key": self.key}
            response = self.http.request(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and auth and attempt == 0:
                self.expires = 0.0  # renew once, then try again
                continue
            if response.status_code not in RETRYABLE:
                return response
            wait = float(response.headers.get("Retry-After", 0)) if response.status_code == 429 else 0.0
            self.sleep(max(wait, delay))
            delay = min(delay * 2, 60.0)
        raise HaloUnavailable(f"{method} {path}: {response.status_code} after {attempt + 1} attempts")

    def auth(self) -> dict[str, str]:
        if self.clock() > self.expires - 30:  # renew 30 s early
            form = {"grant_type": GRANT, "device_id": self.device, "site_id": self.site_id}
            response = self.call("POST", "/integrator/token", auth=False, data=form)
            if response.status_code != 200:
                raise HaloUnavailable(f"no token: {response.status_code} {response.text}")
            body = response.json()
            self.token, self.expires = body["access_token"], self.clock() + body["expires_in"]
        return {"Authorization": f"Bearer {self.token}", "DeviceId": self.device}

    def query(self, sql: str, deadline_s: float = 3600.0) -> list[dict]:
        base, give_up = f"/desktop/sites/{self.site_id}/queries", self.clock() + deadline_s
        for _ in range(3):
            created = self.call("POST", f"{base}/async", json={"command": {"text": sql}, "maxTimeInQueue": 600_000})
            if created.status_code != 201:
                raise HaloUnavailable(f"submission refused: {created.status_code} {created.text}")
            query, interval = created.json(), 2.0
            while query["status"] not in TERMINAL or not self.all_cached(query):
                if self.clock() > give_up:
                    raise HaloUnavailable(f"query {query['id']} still {query['status']} at the deadline")
                self.sleep(interval)
                interval = min(interval * 1.5, 30.0)
                polled = self.call("GET", f"{base}/{query['id']}")
                if polled.status_code != 200:
                    raise HaloUnavailable(f"status of {query['id']}: {polled.status_code}")
                query = polled.json()
            if query["status"] == "successful":
                return self.pages(f"{base}/{query['id']}", query["result"]["pages"])
            if query["status"] not in RESUBMIT:
                raise HaloUnavailable(f"query {query['id']} ended {query['status']}: {query.get('errorDetails')}")
        raise HaloUnavailable("the site did not take the query")

    @staticmethod
    def all_cached(query: dict) -> bool:
        return query["status"] != "successful" or all(p["status"] == "cached" for p in query["result"]["pages"])

    def pages(self, path: str, pages: list[dict]) -> list[dict]:
        rows: list[dict] = []
        for page in pages:
            response = self.call("GET", f"{path}/results/{page['pageNumber']}")
            if response.status_code != 200:
                raise HaloUnavailable(f"page {page['pageNumber']}: {response.status_code}")
            rows += json.loads(base64.b64decode(response.json()["data"]))
        return rows


def fetch_patients(http: httpx.Client, *, site_id: str, subscription_key: str, sleep=time.sleep, clock=time.monotonic):
    return CarefulClient(http, site_id, subscription_key, sleep, clock).query(SQL)


if __name__ == "__main__":
    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    with httpx.Client(base_url=base_url) as client:
        info = client.get("/_mock/info").json()
        patients = fetch_patients(client, site_id=info["sites"][0]["id"], subscription_key=info["integrators"][0]["subscriptionKey"])
    print(f"{len(patients)} patients")
