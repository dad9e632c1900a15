"""A naive Halo client: a first integration as it is often written (and what the checks catch).

It reads every patient through an async query on the Desktop API. It works on a good
day; on a bad one it retries every error (4xx too) at once, ignores Retry-After,
polls twice a second and for ever when a query fails, never renews its token, and
skips result pages that are not uploaded yet. See tests/test_example_clients.py.

Run it against a running emulator: python examples/naive_client.py http://127.0.0.1:8080
"""

from __future__ import annotations

import base64
import json
import sys
import time

import httpx

SQL = "SELECT InternalID, Firstname, Surname FROM BPS_Patients ORDER BY InternalID"
GRANT = "urn:halo-connect:oauth:desktop-token"


def fetch_patients(http: httpx.Client, *, site_id: str, subscription_key: str, sleep=time.sleep) -> list[dict]:
    form = {"grant_type": GRANT, "device_id": "naive-app", "site_id": site_id}
    token = http.post("/integrator/token", data=form, headers={"Ocp-Apim-Subscription-Key": subscription_key}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "DeviceId": "naive-app"}
    base = f"/desktop/sites/{site_id}/queries"

    def call(method: str, path: str, **kwargs) -> httpx.Response:
        for _ in range(3):  # three quick tries of anything that failed
            response = http.request(method, path, headers=headers, **kwargs)
            if response.status_code < 400:
                return response
        response.raise_for_status()
        return response

    query = call("POST", f"{base}/async", json={"command": {"text": SQL}}).json()
    while query["status"] != "successful":
        sleep(0.5)
        query = call("GET", f"{base}/{query['id']}").json()
    rows: list[dict] = []
    for page in query["result"]["pages"]:
        response = http.get(f"{base}/{query['id']}/results/{page['pageNumber']}", headers=headers)
        if response.status_code == 200:
            rows += json.loads(base64.b64decode(response.json()["data"]))
    return rows


if __name__ == "__main__":
    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    with httpx.Client(base_url=base_url) as client:
        info = client.get("/_mock/info").json()
        patients = fetch_patients(client, site_id=info["sites"][0]["id"], subscription_key=info["integrators"][0]["subscriptionKey"])
    print(f"{len(patients)} patients")
