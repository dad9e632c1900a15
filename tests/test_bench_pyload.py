"""The Python fallback load generator, against a real uvicorn server in the test process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package

from bench.model import RequestSpec  # noqa: E402
from bench.net import NotLoopbackError, free_port, require_loopback  # noqa: E402
from bench.pyload import encode_request, percentile, run_python_load  # noqa: E402
from bench.testing import serve_in_thread  # noqa: E402


class Recorder:
    """Counts requests per path and keeps the bodies it was sent."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}
        self.bodies: list[bytes] = []

    def app(self) -> Starlette:
        async def ok(request: Request) -> Response:
            self._seen(request, await request.body())
            return JSONResponse({"status": "successful"})

        async def missing(request: Request) -> Response:
            self._seen(request, await request.body())
            return JSONResponse({"error": "nope"}, status_code=404)

        async def chunked(request: Request) -> Response:
            self._seen(request, b"")

            async def parts() -> Iterator[bytes]:  # type: ignore[misc]
                for part in (b"[", b"1,2", b"]"):
                    yield part

            return StreamingResponse(parts(), media_type="application/json")

        async def closing(request: Request) -> Response:
            self._seen(request, b"")
            return JSONResponse({"bye": True}, headers={"Connection": "close"})

        return Starlette(routes=[
            Route("/ok", ok, methods=["GET", "POST"]),
            Route("/missing", missing, methods=["GET"]),
            Route("/chunked", chunked, methods=["GET"]),
            Route("/closing", closing, methods=["GET"]),
        ])

    def _seen(self, request: Request, body: bytes) -> None:
        self.count[request.url.path] = self.count.get(request.url.path, 0) + 1
        self.bodies.append(body)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, Recorder]]:
    recorder = Recorder()
    with serve_in_thread(recorder.app()) as port:
        yield port, recorder


def test_stops_at_the_request_budget_with_every_answer_counted(server: tuple[int, Recorder]) -> None:
    port, recorder = server
    before = recorder.count.get("/ok", 0)
    result = run_python_load("127.0.0.1", port, RequestSpec("GET", "/ok"), duration_s=60, connections=8,
                             max_requests=200)
    assert result.tool == "python"
    assert result.requests == 200
    assert recorder.count["/ok"] - before == 200
    assert result.errors == 0
    assert result.rps > 0
    assert 0 < result.p50_ms <= result.p99_ms


def test_posts_the_exact_body(server: tuple[int, Recorder]) -> None:
    port, recorder = server
    request = RequestSpec.json("POST", "/ok", {"command": {"text": "SELECT TOP 1 é"}})
    recorder.bodies.clear()
    result = run_python_load("127.0.0.1", port, request, duration_s=60, connections=4, max_requests=50)
    assert result.requests == 50 and result.errors == 0
    assert set(recorder.bodies) == {request.body}


def test_counts_4xx_answers_as_non_2xx(server: tuple[int, Recorder]) -> None:
    port, _ = server
    result = run_python_load("127.0.0.1", port, RequestSpec("GET", "/missing"), duration_s=60, connections=4,
                             max_requests=40)
    assert result.requests == 40
    assert result.non_2xx == 40
    assert result.socket_errors == 0


def test_reads_chunked_bodies_on_a_kept_alive_connection(server: tuple[int, Recorder]) -> None:
    port, recorder = server
    before = recorder.count.get("/chunked", 0)
    result = run_python_load("127.0.0.1", port, RequestSpec("GET", "/chunked"), duration_s=60, connections=1,
                             max_requests=30)
    assert (result.requests, result.errors) == (30, 0)
    assert recorder.count["/chunked"] - before == 30


def test_reconnects_when_the_server_closes_the_connection(server: tuple[int, Recorder]) -> None:
    port, _ = server
    result = run_python_load("127.0.0.1", port, RequestSpec("GET", "/closing"), duration_s=60, connections=2,
                             max_requests=20)
    assert (result.requests, result.errors) == (20, 0)


def test_is_bounded_in_time_when_nothing_listens() -> None:
    port = free_port()  # nothing listens here: every attempt is a connect error
    result = run_python_load("127.0.0.1", port, RequestSpec(), duration_s=0.2, connections=2, max_requests=500)
    assert result.requests == 0
    assert 0 < result.socket_errors <= 500


@pytest.mark.parametrize("host", ["10.0.0.1", "192.0.2.7", "example.com", "0.0.0.0", "::"])
def test_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(NotLoopbackError):
        run_python_load(host, 80, RequestSpec(), duration_s=1, connections=1, max_requests=1)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
def test_accepts_loopback_hosts(host: str) -> None:
    assert require_loopback(host) == host


def test_encode_request_adds_host_and_content_length() -> None:
    raw = encode_request(RequestSpec.json("POST", "/p", {"a": 1}, {"DeviceId": "d"}), "127.0.0.1", 8080)
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /p HTTP/1.1"
    assert b"Host: 127.0.0.1:8080" in lines
    assert b"Content-Length: 7" in lines
    assert b"Content-Type: application/json" in lines
    assert b"DeviceId: d" in lines
    assert body == b'{"a":1}'


def test_encode_request_of_a_get_has_no_content_length() -> None:
    raw = encode_request(RequestSpec("GET", "/x"), "127.0.0.1", 1)
    assert raw == b"GET /x HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n"


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
