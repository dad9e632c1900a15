"""A minimal webhook receiver for the ``webhook-deliveries`` scenario (its own process).

``python -m bench.webhook_receiver --host 127.0.0.1 --port P``: answers every
``POST`` with ``204`` (keep-alive) and counts them; ``GET /count`` answers
``{"received": N, "last": T}`` (T: ``time.monotonic()`` of the latest POST,
comparable across processes on Linux); any other ``GET`` answers 200. Raw asyncio on
uvloop, so the receiver costs as little as possible next to the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench.net import require_loopback


class Counter:
    def __init__(self) -> None:
        self.received = 0
        self.last = 0.0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, path = lines[0].split(b" ")[:2]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                if method == b"POST":
                    self.received += 1
                    self.last = time.monotonic()
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                else:
                    body = json.dumps({"received": self.received, "last": self.last}).encode() if path == b"/count" else b"ok"
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


async def serve(host: str, port: int) -> None:
    counter = Counter()
    server = await asyncio.start_server(counter.handle, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    require_loopback(args.host)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.host, args.port))
    else:
        uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
