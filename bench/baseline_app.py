"""The bare baseline: a Starlette app with one small JSON endpoint.

Every throughput scenario is measured as a ratio against this app, served by
uvicorn with exactly the subject's settings. It answers *any* path, so the
load generator can send the scenario's request unchanged (same method, path,
headers and body); a POST parses its JSON body so the baseline pays for the
body the subject also has to read.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def _answer(request: Request) -> Response:
    """Return a small JSON document; read and parse a JSON body when there is one."""
    if request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        try:
            json.loads(body or b"null")
        except ValueError:
            return JSONResponse({"status": "badRequest"}, status_code=400)
    return JSONResponse({"status": "successful", "rows": 1})


def create_app() -> Starlette:
    """A fresh bare app (used as ``uvicorn bench.baseline_app:create_app --factory``)."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", _answer, methods=methods)])
