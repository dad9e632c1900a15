"""Interactive API docs at ``/docs``: Swagger UI over ``/openapi.json`` (the emulated Halo API)
and ``/_mock/openapi.json`` (the control plane).

Swagger UI's files come from the ``flask-swagger-ui`` package (a dependency: its ``dist``
folder is Swagger UI 5, which reads OpenAPI 3.1; Flask itself is never imported). The page
and the script that starts Swagger UI are our own. ``/_mock/openapi.json`` answers loopback
and admin-token callers only, as the rest of the control plane.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from mock_halo import errors

ASSETS = {"swagger-ui.css": "text/css; charset=utf-8", "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8"}
HEADERS = {
    # Swagger UI draws with inline styles and data: images; scripts are ours and its bundle only.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API docs · mock-halo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<script src="/docs/assets/swagger-ui-bundle.js" defer></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js" defer></script>
<script src="/_mock/ui/static/docs.js" defer></script></head>
<body><p style="font:14px system-ui, sans-serif; margin: 10px 20px">The emulated Halo Cloud API and the emulator's own control plane
(<a href="/_mock/ui">console</a>). Requests made here go to this emulator.</p>
<div id="swagger-ui"></div></body></html>
"""


@lru_cache(maxsize=1)
def assets_dir() -> Path | None:
    """Swagger UI's ``dist`` folder inside the installed package, found without importing it."""
    spec = importlib.util.find_spec("flask_swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "dist"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


async def page(request: Request) -> Response:
    if assets_dir() is None:
        return HTMLResponse(
            "<!doctype html><title>API docs</title><p>Swagger UI's files are missing: install the flask-swagger-ui "
            'package (a dependency of mock-halo). The documents themselves: <a href="/openapi.json">/openapi.json</a>, '
            '<a href="/_mock/openapi.json">/_mock/openapi.json</a>.</p>', status_code=503, headers=HEADERS)
    return HTMLResponse(PAGE, headers=HEADERS)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    folder = assets_dir()
    if name not in ASSETS or folder is None:
        raise errors.not_found()
    return FileResponse(folder / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})


def routes() -> list[BaseRoute]:
    return [Route("/docs", page, methods=["GET"]), Route("/docs/assets/{name}", asset, methods=["GET"])]
