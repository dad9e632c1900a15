"""The delivery HTTP client against receivers that answer in every legal (and some illegal) way."""

from __future__ import annotations

import asyncio

import pytest

from mock_halo.webhooks.http import HttpClient

ANSWERS = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "/chunked": b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "/trailers": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Checksum: 1\r\n\r\n",
    "/continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    "/close": b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nbusy",
    "/garbage": b"SMTP ready\r\n\r\n",
    "/hangup": b"",
}


async def serve(seen: list[tuple[str, bytes]], connections: list[int]):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                path = lines[0].split(" ")[1].split("?")[0]
                length = next(int(h.split(":")[1]) for h in lines if h.lower().startswith("content-length"))
                seen.append((path, head + await reader.readexactly(length)))
                answer = ANSWERS[path]
                if not answer:
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer or path == "/garbage":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_answers_of_every_shape_and_connection_reuse():
    seen: list[tuple[str, bytes]] = []
    connections: list[int] = []

    async def scenario():
        server = await serve(seen, connections)
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        client = HttpClient()
        results = {}
        for path in ["/length", "/chunked", "/trailers", "/continue", "/length", "/close", "/garbage", "/hangup"]:
            results.setdefault(path, []).append(await client.post(base + path + "?a=1", [("X-Halo-Id", "abc")], b'{"x":1}', 2.0))
        await client.close()
        server.close()
        await server.wait_closed()
        return results

    results = asyncio.run(scenario())
    assert [(r.status, r.response) for r in results["/length"]] == [(200, "hello"), (200, "hello")]
    assert (results["/chunked"][0].status, results["/chunked"][0].response) == (202, "hello world")
    assert results["/trailers"][0].status == 200 and results["/continue"][0].status == 204
    assert (results["/close"][0].status, results["/close"][0].response) == (503, "busy")
    assert results["/garbage"][0].status is None and "not an HTTP status line" in results["/garbage"][0].error
    assert results["/hangup"][0].status is None and "closed the connection" in results["/hangup"][0].error
    # One kept-alive connection served the first six (/close ended it); /garbage and /hangup took one each.
    assert len(connections) == 3
    path, raw = seen[0]
    assert raw.startswith(b"POST /length?a=1 HTTP/1.1\r\n") and b"\r\nX-Halo-Id: abc\r\n" in raw
    assert b"\r\nContent-Type: application/json\r\n" in raw and raw.endswith(b'\r\n\r\n{"x":1}')


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/", "http://no-such-host.invalid/"])
def test_unreachable_receivers_give_an_error_not_an_exception(url):
    result = asyncio.run(HttpClient().post(url, [], b"{}", 2.0))
    assert result.status is None and result.error
