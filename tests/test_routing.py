"""The app's router (:class:`~mock_halo.routing.IndexedRouter`) tries only the routes a path's literal
segments allow, and answers every request exactly as Starlette's router over all routes does: the
same route, the same 405, trailing-slash redirect or 404."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.routing import IndexedRouter

APP_ROUTES = create_app().router.routes
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def echo(route: Route):
    async def endpoint(request):
        return PlainTextResponse(f"{route.path} {sorted(route.methods or ())} {dict(request.path_params)}")
    return endpoint


def twin(router_class: type[Router]) -> TestClient:
    """An app with the emulator's route table (every route answers which one it is) on ``router_class``."""
    routes = [Route(r.path, echo(r), methods=sorted(r.methods or ())) for r in APP_ROUTES]
    app = Starlette()
    app.router = router_class(routes)
    return TestClient(app, follow_redirects=False)


PLAIN, INDEXED = twin(Router), twin(IndexedRouter)
SEGMENTS = sorted({s for r in APP_ROUTES for s in r.path.split("/") if s and "{" not in s}) + ["12", "x", "Patient"]


@st.composite
def paths(draw) -> str:
    route = draw(st.sampled_from(APP_ROUTES))
    parts = []
    for segment in route.path.split("/")[1:]:
        if "{" in segment or draw(st.integers(0, 9)) == 0:
            segment = draw(st.sampled_from(SEGMENTS))
            if draw(st.booleans()) and route.path.endswith("anypath}"):
                segment += "/" + draw(st.sampled_from(SEGMENTS))
        parts.append(segment)
    if draw(st.integers(0, 5)) == 0:
        parts = parts[:draw(st.integers(0, len(parts)))]
    return "/" + "/".join(parts) + draw(st.sampled_from(["", "", "/", "//"]))


@settings(max_examples=400, deadline=None)
@given(paths(), st.sampled_from(METHODS))
def test_the_indexed_router_answers_as_starlettes_router_does(path, method):
    plain, indexed = PLAIN.request(method, path), INDEXED.request(method, path)
    assert (indexed.status_code, indexed.text, indexed.headers.get("location")) == \
        (plain.status_code, plain.text, plain.headers.get("location")), path


def test_a_fhir_read_is_matched_against_a_few_routes_only():
    router = IndexedRouter(APP_ROUTES)
    narrowed = router._narrow("/device/sites/abc/fhir/R4/Patient")
    assert len(APP_ROUTES) > 90 and len(narrowed.routes) <= 3
    assert any(re.search(r"fhir/R4/\{fhirParameters", r.path) for r in narrowed.routes)
