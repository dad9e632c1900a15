"""Scenario rules on surfaces recognised by path: FHIR, and status polls and result pages.

An ASGI middleware so the handlers (``mock_halo/api/fhir.py``, ``sql.py``)
need not know about rules. It engages only while rules or site latency exist,
for ``.../fhir/R4/...`` (surface ``fhir``: site, FHIR resource type and
headers) and for ``GET .../queries/{id}`` and ``.../queries/{id}/results/{n}``, the
Integrator API's ``.../results/{n}/stream`` and ``POST .../queries/status``
(surface ``query``, reached only by rules that name it: a gateway's 429 or a
503 can meet any call, not just a submission). The body is never read. A
rule's HTTP error is answered here, before authentication, as Halo's gateway
would: on FHIR an ``OperationOutcome`` for 4xx and the general envelope for
5xx; on polls and pages the general envelope. A poll or page download that
the rules let through is answered on arrival and held back for its latency.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from mock_halo import errors
from mock_halo.api.common import error_response
from mock_halo.api.fhir import error_answer_type, fhir_response
from mock_halo.cloud import API_FAMILIES, HaloCloud
from mock_halo.journal import FIRED_KEY
from mock_halo.scenarios import RequestFacts

_APIS = "|".join(API_FAMILIES)
_FHIR_PATH = re.compile(rf"^/(?:{_APIS})/sites/([^/]+)/fhir/R4/([A-Za-z]+)")
#: Status polls (one query, or the Integrator API's batch) and page downloads (plain or streamed).
_QUERY_PATH = re.compile(
    rf"^/(?:{_APIS})/sites/([^/]+)/queries/(?!(?:immediate|async|registered)/?$)[^/]+(?:/results/[^/]+(?:/stream)?)?/?$")
_BATCH_STATUS_PATH = re.compile(r"^/integrator/sites/([^/]+)/queries/status/?$")


class PathScenarioMiddleware:
    def __init__(self, app, cloud: HaloCloud) -> None:
        self.app = app
        self.cloud = cloud

    async def __call__(self, scope, receive, send) -> None:
        emulator = self.cloud.emulator
        if scope["type"] != "http" or not (len(emulator.scenarios) or emulator.site_latency_ms):
            await self.app(scope, receive, send)
            return
        facts = _facts(scope)
        if facts is None:
            await self.app(scope, receive, send)
            return
        # A poll or page download is answered on arrival (the gateway checked its
        # token when it came in) and the answer is held back for its latency.
        held: list[dict] = []

        async def hold(message: dict) -> None:
            held.append(message)

        answer = self.app(scope, receive, hold) if facts.surface == "query" else None
        try:
            await self.cloud.screening.screen(facts, scope.setdefault(FIRED_KEY, []), after=answer)
        except errors.HaloError as exc:
            if answer is not None:
                answer.close()
            if facts.surface == "fhir" and exc.status < 500:
                response = fhir_response(errors.operation_outcome(exc.message), exc.status,
                                         error_answer_type(Request(scope)), exc.headers)
            else:
                response = error_response(exc, emulator.settings.gateway_style)
            await response(scope, receive, send)
            return
        if answer is None:
            await self.app(scope, receive, send)
        for message in held:
            await send(message)


def _facts(scope) -> RequestFacts | None:
    """The rule facts of a FHIR request, a status poll or a page download (None for anything else)."""
    path = scope["path"]
    if "/fhir/" in path:
        match = _FHIR_PATH.match(path)
        if match is not None:
            return RequestFacts(surface="fhir", site=match.group(1).lower(), headers=Request(scope).headers,
                                fhir_resource=match.group(2))
    elif "/queries/" in path:
        method = scope["method"]
        match = (_QUERY_PATH.match(path) if method == "GET"
                 else _BATCH_STATUS_PATH.match(path) if method == "POST" else None)
        if match is not None:
            return RequestFacts(surface="query", site=match.group(1).lower(), headers=Request(scope).headers)
    return None
