"""wrk support of the benchmark harness: report parsing and the generated Lua script.

The report samples below are real ``wrk --latency`` output captured on this
machine (wrk 4.1.0) against the bare baseline app.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package

from bench.model import RequestSpec  # noqa: E402
from bench.wrk import WrkError, find_wrk, lua_script, lua_string, parse_duration_ms, parse_output, run_wrk, wrk_command  # noqa: E402

GET_SAMPLE = """\
Running 2s test @ http://127.0.0.1:18765/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.75ms  457.03us   6.39ms   95.54%
    Req/Sec    23.37k     1.53k   25.76k    85.00%
  Latency Distribution
     50%    2.67ms
     75%    2.79ms
     90%    2.95ms
     99%    5.71ms
  46480 requests in 2.01s, 6.96MB read
Requests/sec:  23176.30
Transfer/sec:      3.47MB
"""

NON_2XX_SAMPLE = """\
Running 1s test @ http://127.0.0.1:18765/x
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.01ms  276.98us   3.28ms   88.08%
    Req/Sec    15.90k     0.99k   16.61k    80.00%
  Latency Distribution
     50%    0.91ms
     75%    0.95ms
     90%    1.39ms
     99%    1.93ms
  15828 requests in 1.00s, 2.37MB read
  Non-2xx or 3xx responses: 15828
Requests/sec:  15801.26
Transfer/sec:      2.37MB
"""

SOCKET_ERRORS_SAMPLE = """\
Running 3s test @ http://127.0.0.1:18766/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.34ms  254.37us   4.42ms   95.02%
    Req/Sec    21.86k     7.27k   24.56k    90.91%
  Latency Distribution
     50%    1.28ms
     75%    1.32ms
     90%    1.40ms
     99%    2.60ms
  23907 requests in 3.00s, 3.58MB read
  Socket errors: connect 0, read 32, write 42369, timeout 31
Requests/sec:   7961.86
Transfer/sec:      1.19MB
"""

MICROSECONDS_SAMPLE = """\
Running 1s test @ http://127.0.0.1:18765/
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    98.79us   72.52us   2.14ms   99.08%
    Req/Sec    10.43k     1.15k   11.46k    81.82%
  Latency Distribution
     50%   85.00us
     75%  101.00us
     90%  130.00us
     99%  165.00us
  11386 requests in 1.10s, 1.70MB read
Requests/sec:  10350.77
Transfer/sec:      1.55MB
"""


def test_parses_a_clean_report() -> None:
    result = parse_output(GET_SAMPLE)
    assert result.tool == "wrk"
    assert result.requests == 46480
    assert result.duration_s == pytest.approx(2.01)
    assert result.rps == pytest.approx(23176.30)
    assert result.p50_ms == pytest.approx(2.67)
    assert result.p99_ms == pytest.approx(5.71)
    assert (result.non_2xx, result.socket_errors, result.errors) == (0, 0, 0)


def test_counts_non_2xx_responses_as_errors() -> None:
    result = parse_output(NON_2XX_SAMPLE)
    assert result.non_2xx == 15828
    assert result.errors == 15828
    assert result.p50_ms == pytest.approx(0.91)


def test_sums_every_kind_of_socket_error() -> None:
    result = parse_output(SOCKET_ERRORS_SAMPLE)
    assert result.socket_errors == 32 + 42369 + 31
    assert result.non_2xx == 0
    assert result.rps == pytest.approx(7961.86)


def test_reads_microsecond_percentiles() -> None:
    result = parse_output(MICROSECONDS_SAMPLE)
    assert result.p50_ms == pytest.approx(0.085)
    assert result.p99_ms == pytest.approx(0.165)
    assert result.duration_s == pytest.approx(1.10)


@pytest.mark.parametrize(
    ("text", "ms"), [("85.00us", 0.085), ("2.67ms", 2.67), ("1.02s", 1020.0), ("1.50m", 90_000.0)]
)
def test_duration_units(text: str, ms: float) -> None:
    assert parse_duration_ms(text) == pytest.approx(ms)


def test_report_without_latency_distribution_is_refused() -> None:
    without = "\n".join(line for line in GET_SAMPLE.splitlines() if "%" not in line or "Stdev" in line)
    with pytest.raises(WrkError, match="latency distribution"):
        parse_output(without)


def test_error_output_is_refused() -> None:
    with pytest.raises(WrkError):
        parse_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_lua_string_escapes_quotes_backslashes_controls_and_utf8() -> None:
    assert lua_string("plain text") == '"plain text"'
    assert lua_string('a"b\\c') == '"a\\034b\\092c"'
    assert lua_string("tab\there\r\n") == '"tab\\009here\\013\\010"'
    assert lua_string("é") == '"\\195\\169"'  # the UTF-8 bytes, one escape each
    assert lua_string(b"\x00\xff") == '"\\000\\255"'


def test_lua_script_sets_method_path_body_and_headers() -> None:
    request = RequestSpec.json("POST", "/device/sites/abc/queries/immediate", {"command": {"text": "SELECT 1"}},
                               {"Authorization": "Bearer t.o.k", "DeviceId": "bench-device"})
    script = lua_script(request)
    assert 'wrk.method = "POST"' in script
    assert 'wrk.path = "/device/sites/abc/queries/immediate"' in script
    assert 'wrk.body = "{\\034command\\034:{\\034text\\034:\\034SELECT 1\\034}}"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    assert 'wrk.headers["Authorization"] = "Bearer t.o.k"' in script
    assert 'wrk.headers["DeviceId"] = "bench-device"' in script


def test_lua_script_for_a_get_has_no_body() -> None:
    script = lua_script(RequestSpec("GET", "/_mock/health"))
    assert "wrk.body = nil" in script
    assert "wrk.headers" not in script


def test_wrk_command_rounds_to_whole_seconds_and_asks_for_latency(tmp_path: Path) -> None:
    command = wrk_command("/usr/bin/wrk", "http://127.0.0.1:9/x", tmp_path / "s.lua", duration_s=0.4,
                          connections=8)
    assert command[:4] == ["/usr/bin/wrk", "-t1", "-c8", "-d1s"]
    assert "--latency" in command
    assert command[-3:] == ["-s", str(tmp_path / "s.lua"), "http://127.0.0.1:9/x"]


def test_run_wrk_refuses_non_loopback_hosts() -> None:
    from bench.net import NotLoopbackError

    with pytest.raises(NotLoopbackError):
        run_wrk("/usr/bin/wrk", "192.0.2.1", 80, RequestSpec(), duration_s=1, connections=1)


@pytest.mark.skipif(find_wrk() is None, reason="wrk is not installed")
def test_wrk_sends_exactly_the_scripted_request() -> None:
    """Run the generated script through real wrk; the server sees the exact bytes and headers."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bench.testing import serve_in_thread

    seen: list[tuple[str, str, bytes, dict[str, str]]] = []

    async def record(request: Request) -> JSONResponse:
        seen.append((request.method, request.url.path, await request.body(), dict(request.headers)))
        return JSONResponse({"ok": True}, status_code=200 if len(seen) % 2 else 404)

    body = '{"text": "SELECT \\"é\\" -- tab\t"}'.encode()  # quotes, backslashes, a tab, UTF-8
    request = RequestSpec("POST", "/some/path", (("Content-Type", "application/json"), ("DeviceId", "bench-device")),
                          body)
    app = Starlette(routes=[Route("/{p:path}", record, methods=["POST"])])
    executable = find_wrk()
    assert executable is not None
    with serve_in_thread(app) as port:
        result = run_wrk(executable, "127.0.0.1", port, request, duration_s=1, connections=2)
    assert seen and result.requests > 0
    method, path, sent_body, headers = seen[0]
    assert (method, path, sent_body) == ("POST", "/some/path", request.body)
    assert headers["deviceid"] == "bench-device"
    assert headers["content-type"] == "application/json"
    assert result.non_2xx > 0  # every other answer was a 404
