"""FHIR R4 facade handlers: ``GET .../fhir/R4/{fhirParameters}`` and ``POST .../{resource}/_search``."""

from __future__ import annotations

from starlette.requests import Request

from mock_halo import errors
from mock_halo.api.common import JSONBody, device_caller
from mock_halo.api.sql import prefix_of


async def get_fhir(request: Request) -> JSONBody:
    device_caller(request, prefix_of(request))
    raise errors.not_implemented("The FHIR R4 facade")


async def post_fhir_search(request: Request) -> JSONBody:
    device_caller(request, prefix_of(request))
    raise errors.not_implemented("The FHIR R4 facade")
