"""Fuzzing a real ``serve`` process: hostile SQL text and arbitrary request bodies never get a 5xx
(other than Halo's documented 504 for a query past its time limit) and never take the process down.

Bounded for CI: a few hundred requests over loopback, derandomized, a few seconds. The strategies
lean on what broke the emulator before: deep nesting (sqlglot's parser died at ~6,000 nested
subqueries), LIKE patterns with many ``%`` and a class (a backtracking regex hung for days),
results far past the size limit (an 8-million-row cross join took 19.5 GB), JSON nested deeper
than orjson writes, and dates and durations at the edges of their types.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import DEVICE, KEY, SITE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def server():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_HALO_")}
    env.update(MOCK_HALO_PATIENTS="30")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_halo", "serve", "--port", "0", "--clock", "virtual", "--log-level", "critical"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    port = None
    deadline = time.monotonic() + 60
    while port is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if match := re.search(r"listening\s+http://[\d.]+:(\d+)", line):
            port = int(match.group(1))
    assert port, "the emulator did not start"
    client = Client(port)
    status, body = client.send("POST", f"/integrator/token?subscription-key={KEY}",
                               f"grant_type=urn:halo-connect:oauth:device-token&device_id={DEVICE}&site_id={SITE}",
                               "application/x-www-form-urlencoded")
    assert status == 200, body
    client.headers = {"Authorization": f"Bearer {json.loads(body)['access_token']}", "DeviceId": DEVICE}
    yield proc, client
    assert proc.poll() is None, "the emulator died:\n" + (proc.stdout.read() if proc.stdout else "")
    assert client.send("GET", "/_mock/health")[0] == 200
    proc.terminate()
    proc.wait(timeout=10)


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.headers: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def send(self, method: str, path: str, body: bytes | str | None = None,
             media: str = "application/json") -> tuple[int, str]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = media
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (ConnectionError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise


def assert_handled(status: int, body: str, what: object) -> None:
    if status == 504 and "Query took more than 30 seconds" in body:
        return  # Halo's documented answer for a query past the time limit
    assert status < 500, f"{status} for {what!r}: {body[:300]}"


# -- SQL text ---------------------------------------------------------------------------------------
def _nested(depth: int) -> str:
    return "SELECT * FROM " + "(SELECT * FROM " * depth + "BPS_Patients" + ") AS t" * depth


SQL_PARTS = st.one_of(
    st.sampled_from(["SELECT", "TOP 3", "*", "FROM", "BPS_Patients", "WHERE", "Surname", "LIKE", "'%a%'", "=",
                     "(", ")", "NOT", "-", "CASE WHEN 1=1 THEN", "END", "BEGIN", "1", "N'é'", "@x", ",", "'",
                     "CROSS JOIN BPS_Patients", "ORDER BY 1", "GROUP BY", "UNION ALL", "DATEADD(year, 9999, GETDATE())",
                     "CAST('1e999' AS float)", "REPLICATE('ab', 100000)", "CONVERT(datetime, '9999-12-31')", ";"]),
    st.integers(0, 12000).map(lambda n: "(" * n),
    st.integers(1, 300).map(lambda n: "'" + "%a" * n + "%[b]'"),
)
HOSTILE_SQL = st.one_of(
    st.lists(SQL_PARTS, min_size=1, max_size=12).map(" ".join),
    st.integers(1, 8000).map(_nested),
    st.integers(1, 300).map(lambda n: "SELECT CASE WHEN REPLICATE('a', 200) LIKE '" + "%a" * n + "%[b]' THEN 1 END AS x"),
    st.integers(1, 6).map(lambda n: "SELECT a.Firstname FROM BPS_Patients a" + " CROSS JOIN BPS_Patients" * n),
    st.integers(1, 5000).map(lambda n: "SELECT " + " + ".join(["1"] * n) + " AS n"),
    st.integers(1, 3000).map(lambda n: "SELECT 1 AS x WHERE " + "NOT " * n + "1 = 1"),
    st.text(max_size=200),
)


@FUZZ
@given(sql=HOSTILE_SQL, mode=st.sampled_from(["immediate", "async"]))
@example(sql=_nested(10_000), mode="immediate")  # the SIGSEGV of issue 14
@example(sql="SELECT CASE WHEN REPLICATE('a', 200) LIKE '%a%a%a%a%a%a%a%a%[b]' THEN 1 END AS x", mode="immediate")
@example(sql="SELECT a.Firstname, b.Surname FROM BPS_Patients a CROSS JOIN BPS_Patients b CROSS JOIN BPS_Patients c "
             "CROSS JOIN BPS_Patients d CROSS JOIN BPS_Patients e", mode="async")
@example(sql="SELECT 1 AS x /* mock-halo: latency=2912439d */", mode="immediate")
def test_hostile_sql_gets_an_answer(server, sql, mode):
    _, client = server
    status, body = client.send("POST", f"/device/sites/{SITE}/queries/{mode}", json.dumps({"command": {"text": sql}}))
    assert_handled(status, body, sql[:200])


# -- request bodies ----------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
KEYS = st.sampled_from(["command", "text", "parameters", "name", "type", "value", "direction", "executionMode",
                        "maxTimeInQueue", "catalogue", "frequency", "duration", "registeredQueryType",
                        "registerCommand", "resourceType", "match", "outcome", "latency", "time", "seconds"])
BODIES = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.dictionaries(KEYS, JSON_VALUES, max_size=6).map(json.dumps),
    st.integers(1, 5000).map(lambda n: '{"command":{"text":"SELECT 1","x":' + "[" * n + "]" * n + "}}"),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)
PATHS = st.sampled_from([
    f"/device/sites/{SITE}/queries/immediate", f"/device/sites/{SITE}/queries/async",
    f"/device/sites/{SITE}/queries/registered", f"/device/sites/{SITE}/fhir/R4/Patient",
    f"/device/sites/{SITE}/fhir/R4/Patient/_search", "/_mock/scenarios", "/_mock/clock/set",
    "/_mock/clock/advance", f"/_mock/sites/{SITE}/latency", "/_mock/seed",
])


@FUZZ
@given(path=PATHS, body=BODIES)
@example(path=f"/device/sites/{SITE}/queries/immediate", body='{"command":{"text":"SELECT 1","x":' + '{"a":' * 300 + "1" + "}" * 300 + "}}")
@example(path="/_mock/clock/set", body='{"time": "9999-12-31T23:59:59-01:00"}')
def test_arbitrary_bodies_get_an_answer(server, path, body):
    _, client = server
    media = "application/x-www-form-urlencoded" if path.endswith("_search") else "application/json"
    status, text = client.send("POST", path, body, media)
    assert_handled(status, text, (path, body[:200]))
    if path.startswith("/_mock"):
        client.send("DELETE", "/_mock/scenarios")


@FUZZ
@example(query=("date", "ge0001-01-01"))
@example(query=("date", "le9999-12-31T23:59:59"))
@given(query=st.one_of(
    st.tuples(st.sampled_from(["date", "birthdate", "_count", "family", "_getpagesoffset", "identifier", "start"]),
              st.text(max_size=40)),
    st.tuples(st.just("date"), st.sampled_from(["", "ge", "le", "ap", "sa", "eb"]).flatmap(
        lambda p: st.dates().map(lambda d: p + d.isoformat()))),
))
def test_fhir_searches_get_an_answer(server, query):
    _, client = server
    from urllib.parse import urlencode

    status, text = client.send("GET", f"/device/sites/{SITE}/fhir/R4/Appointment?{urlencode([query])}")
    assert_handled(status, text, query)
