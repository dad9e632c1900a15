"""Scenario rules on the FHIR surface, applied in front of the FHIR handlers.

An ASGI middleware so the FHIR handlers (``mock_halo/api/fhir.py``) need not
know about rules. It engages only for ``.../fhir/R4/...`` paths while rules or
site latency exist, matches on site, FHIR resource type and headers (the body
is not read), and answers a rule's HTTP error itself: an ``OperationOutcome``
for 4xx (as Halo's FHIR engine does), the general envelope for 5xx. It runs
before authentication, so a rule fires whatever the token.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from mock_halo import errors
from mock_halo.api.common import JSONBody, error_response
from mock_halo.cloud import TOKEN_APIS, HaloCloud
from mock_halo.journal import FIRED_KEY
from mock_halo.scenarios import RequestFacts

_FHIR_PATH = re.compile(rf"^/(?:{'|'.join(TOKEN_APIS)})/sites/([^/]+)/fhir/R4/([A-Za-z]+)")


class FhirScenarioMiddleware:
    def __init__(self, app, cloud: HaloCloud) -> None:
        self.app = app
        self.cloud = cloud

    async def __call__(self, scope, receive, send) -> None:
        emulator = self.cloud.emulator
        if scope["type"] != "http" or "/fhir/" not in scope["path"] or not (len(emulator.scenarios) or emulator.site_latency_ms):
            await self.app(scope, receive, send)
            return
        match = _FHIR_PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        facts = RequestFacts(surface="fhir", site=match.group(1).lower(), headers=request.headers, fhir_resource=match.group(2))
        try:
            await self.cloud.screening.screen(facts, scope.setdefault(FIRED_KEY, []))
        except errors.HaloError as exc:
            if exc.status < 500:
                response = JSONBody(errors.operation_outcome(exc.message), status_code=exc.status, headers=exc.headers)
            else:
                response = error_response(exc, emulator.settings.gateway_style)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
