"""FHIR operations (halo-facts 13): read (``GET …/fhir/R4/{fhirParameters}``), search
(``POST …/{resource}/_search``), create and update (Patient).

The site must be reachable (503/504 in the general envelope, as for SQL);
everything the FHIR engine itself rejects, the body of a ``_search`` or a write
included, is raised as :class:`~mock_halo.fhir.FhirError` (an OperationOutcome).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from mock_halo.cloud.access import Caller
from mock_halo.cloud.base import Operations
from mock_halo.fhir import FhirError, FhirService
from mock_halo.media import FORM, is_json_type



class FhirOperations(Operations):
    async def get_fhir_query(self, caller: Caller, base_url: str, path: str,
                             pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """A FHIR read, search or operation by relative URL (``Patient/12``, ``Patient?given=x``, ``metadata``)."""
        service, deadline = await self._service(caller, base_url)
        return await self.sites.read_now(
            caller.site, lambda engine: replace(service, engine_factory=engine).get(path, pairs), deadline)

    async def post_fhir_search(self, caller: Caller, base_url: str, resource: str, media_type: str | None,
                               body: bytes, query_pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """``POST {resource}/_search``: the form body's parameters after the URL's."""
        service, deadline = await self._service(caller, base_url)
        if media_type not in (FORM, None) and body.strip():
            raise FhirError(415, f"Unsupported media type '{media_type}'; _search accepts {FORM}", code="not-supported")
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise FhirError(400, "The form body is not valid UTF-8", code="invalid") from None
        pairs = query_pairs + form
        return await self.sites.read_now(
            caller.site, lambda engine: replace(service, engine_factory=engine).search(resource, pairs), deadline)

    async def create_fhir_resource(self, caller: Caller, base_url: str, resource: str, media_type: str | None,
                                   body: bytes) -> dict[str, Any]:
        """``POST {resource}``: the created resource (Patient only)."""
        service, deadline = await self._service(caller, base_url)
        _json_body(media_type)
        return await self.sites.run_now(caller.site, lambda: service.create(resource, body), deadline)

    async def update_fhir_resource(self, caller: Caller, base_url: str, resource: str, resource_id: str,
                                   media_type: str | None, body: bytes) -> dict[str, Any]:
        """``PUT {resource}/{id}``: the updated resource (Patient only)."""
        service, deadline = await self._service(caller, base_url)
        _json_body(media_type)
        return await self.sites.run_now(caller.site, lambda: service.update(resource, resource_id, body), deadline)

    async def _service(self, caller: Caller, base_url: str) -> tuple[FhirService, float]:
        """The site's FHIR engine for this request (run it on the site's thread) and the
        request's deadline."""
        site = caller.site
        assert site is not None
        deadline = self.sites.deadline()
        now = await self.sites.ready(site.id, deadline)
        emulator = self.emulator
        service = FhirService(
            site_id=site.id,
            halo_link_version=site.config.halo_link_version,
            base_url=base_url,
            now=now,
            engine_factory=lambda: emulator.working_engine(site),
            new_id=emulator.ids.uuid,
        )
        return service, deadline


def _json_body(media_type: str | None) -> None:
    """A create/update body is JSON (``application/fhir+json`` or ``application/json``), or 415."""
    if media_type is not None and not is_json_type(media_type):
        raise FhirError(415, f"Unsupported media type '{media_type}'; use application/fhir+json", code="not-supported")
