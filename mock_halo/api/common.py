"""What every Halo API handler shares: credentials off the wire, the caller from the
domain, body reading, and JSON responses.

A handler of a Halo operation is declared with :func:`operation` and reads the
same way whatever API it arrives through: it receives the admitted
:class:`~mock_halo.cloud.Caller`, parses and validates the request, makes ONE
call on :class:`~mock_halo.cloud.HaloCloud` and renders what it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.auth import SUBSCRIPTION_KEY_HEADER, SUBSCRIPTION_KEY_QUERY
from mock_halo.cloud import Caller, Credentials, HaloCloud
from mock_halo.emulator import Emulator
from mock_halo.journal import FIRED_KEY
from mock_halo.limits import JsonTooDeep, load_json
from mock_halo.media import FORM, JSON, is_json_type
from mock_halo.stalls import watch_on

__all__ = ["FORM", "JSON", "JSONBody", "api_of", "cloud_of", "credentials", "emulator_of", "error_response",
           "is_json_type", "json_object", "media_type", "operation", "read_body", "read_json_object"]

Handler = Callable[[Request, Caller], Awaitable[Response]]
SUBSCRIPTION_KEY_QUERY_BYTES = SUBSCRIPTION_KEY_QUERY.encode()
SUBSCRIPTION_KEY_HEADER_BYTES = SUBSCRIPTION_KEY_HEADER.lower().encode("latin-1")


class JSONBody(Response):
    """A JSON response serialised with orjson (the hot path renders a lot of JSON);
    ``bytes`` content is JSON already rendered (a stored body) and goes out as is."""

    media_type = JSON

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content)


def emulator_of(request: Request) -> Emulator:
    return request.app.state.emulator


def cloud_of(request: Request) -> HaloCloud:
    return request.app.cloud  # a plain attribute: Starlette's ``state`` is slower on the hot path


def api_of(request: Request) -> str:
    """The API family a request arrived through: the first segment of its path."""
    return request.scope["path"].split("/", 2)[1]


def credentials(request: Request) -> Credentials:
    """What the request presents to prove who it is (checked by the domain, not here)."""
    scope = request.scope
    # One pass over the raw headers (ASGI names them in lower case) for the three that prove
    # who calls, instead of a scan of them all for each; the first of a repeated header counts,
    # as with Starlette's Headers.
    key = authorization = device_id = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == b"deviceid":
            if device_id is None:
                device_id = value.decode("latin-1")
        elif name == SUBSCRIPTION_KEY_HEADER_BYTES and key is None:
            key = value.decode("latin-1")
    if key is None and SUBSCRIPTION_KEY_QUERY_BYTES in scope["query_string"]:
        key = request.query_params.get(SUBSCRIPTION_KEY_QUERY)
    return Credentials(
        api=api_of(request),
        subscription_key=key,
        authorization=authorization,
        device_id=device_id,
        headers=request.headers,
        fired=scope.setdefault(FIRED_KEY, []),
    )


def operation(handler: Handler | None = None, *, site: bool = True) -> Any:
    """Declare the handler of a Halo operation: it is called with the request and the
    caller the domain admitted (to the path's ``siteId``; with ``site=False`` known by
    its subscription key alone). Credentials are judged before the body is read, as
    Halo's gateway does."""

    def declare(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            cloud = cloud_of(request)
            presented = credentials(request)
            if site:
                caller = cloud.admit(presented, request.path_params["siteId"])
            else:
                caller = cloud.authenticate(presented)
            return await handler(request, caller)

        return endpoint

    return declare(handler) if handler is not None else declare


def error_response(exc: errors.HaloError, gateway_style: str) -> Response:
    if isinstance(exc, errors.QueryFailed):
        # A failed immediate query answers with its own record.
        return Response(exc.record.body, status_code=exc.status, media_type=JSON, headers=exc.headers)
    return JSONBody(exc.body(gateway_style), status_code=exc.status, headers=exc.headers)


def media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower()


def _cancel(task: asyncio.Task) -> None:
    task.cancel()


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) anything over ``limit`` bytes without reading it all; 408 when it
    stops arriving for ``request_timeout_s`` (a slow client holds no connection forever; ``serving.py``
    does the same for the request head), judged by the loop's :class:`~mock_halo.stalls.StallWatch`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise errors.payload_too_large(limit)
        except ValueError:
            raise errors.bad_request("The Content-Length header is not a number.") from None
    timeout = emulator_of(request).settings.request_timeout_s
    loop = asyncio.get_running_loop()
    task = asyncio.current_task(loop)
    watch = watch_on(loop, "body", _cancel) if task is not None else None
    entry = watch.start(task, timeout) if watch is not None else None
    receive = request.receive
    chunks: list[bytes] = []
    received = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise errors.payload_too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
            if entry is not None:
                watch.progress(entry)
    except asyncio.CancelledError:
        if entry is None or not entry[2]:
            raise
        task.uncancel()  # the watch's cancel, not the server's: the client was too slow
        raise errors.HaloError(408, f"The request body did not arrive within {timeout} seconds.") from None
    finally:
        if watch is not None:
            watch.stop(task)
    # One turn of the event loop before the handler's work, as asyncio.wait_for gave: without it, under
    # a load whose connections come and go, the p99 rose from about 20 ms to 100-145 ms in every round
    # after the first (wrk, rounds of 64 new connections on one server; throughput also 3% lower).
    # What is known: uvloop accepts one new connection per turn of its loop (strace shows one accept4
    # per turn), and a turn runs every request that is ready, so a round's 64 connections are accepted
    # over hundreds of milliseconds; with this yield each request spans two shorter turns and the gaps
    # between accepts were about half as long. Inside the app, no request took over 10 ms and no
    # connection waited over 30 ms between its requests, so the rest of the tail is outside the app.
    await asyncio.sleep(0)
    body = request._body = b"".join(chunks)  # what Request.body() and .stream() give from now on
    return body


async def read_json_object(request: Request, limit: int) -> tuple[dict[str, Any], bytes]:
    """A JSON object body (415 for another media type, 400 for none, bad JSON or a non-object)."""
    kind = media_type(request)
    raw = await read_body(request, limit)
    # No body at all is a missing body (400), not one of an unsupported type: Halo's query
    # operations document no 415.
    if not is_json_type(kind) and (kind is not None or raw):
        raise errors.unsupported_media_type(kind, JSON)
    if not raw.strip():
        raise errors.bad_request("The request body is empty; a JSON object is required.")
    return json_object(raw), raw


def json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object body: 400 for bad JSON, a body nested too deeply, or a non-object."""
    try:
        body = load_json(raw)
    except JsonTooDeep as exc:
        raise errors.bad_request(f"The request body is not acceptable: {exc}.") from None
    except orjson.JSONDecodeError as exc:
        raise errors.bad_request(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    return body
