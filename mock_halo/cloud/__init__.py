"""Halo Cloud's operations over the emulator's state: one domain call per Halo operation.

:class:`HaloCloud` has one ``async`` method per operation of Halo's APIs, named
after its operationId (``create_immediate_query``, ``get_query``,
``get_fhir_query``, ``obtain_token``...). Every API family (device, desktop,
integrator) calls the same methods: the HTTP layer reads the request's
:class:`Credentials`, asks :meth:`HaloCloud.admit` (or ``authenticate`` for
site-less operations) for the :class:`Caller`, validates the body, makes ONE
operation call and renders what it returns. Access rules, site availability,
scenario rules and query ownership live here; failures are the error
catalogue's (``mock_halo.errors``, ``mock_halo.fhir.FhirError``). No Starlette.
"""

from __future__ import annotations

from mock_halo.cloud.access import (
    API_FAMILIES, DESKTOP, DEVICE, INTEGRATOR, SERVED_APIS, TOKEN_APIS, Caller, Credentials,
)
from mock_halo.cloud.fhir import FhirOperations
from mock_halo.cloud.queries import QueryOperations
from mock_halo.cloud.sites import SiteOperations
from mock_halo.cloud.tokens import TokenOperations


class HaloCloud(QueryOperations, FhirOperations, TokenOperations, SiteOperations):
    """Every Halo operation, over one emulator."""

    def admit(self, credentials: Credentials, site_id: str) -> Caller:
        """The caller of a site-scoped operation (see :class:`~mock_halo.cloud.access.Access`)."""
        return self.access.admit(credentials, site_id)

    def authenticate(self, credentials: Credentials) -> Caller:
        """The caller of a site-less operation, known by its subscription key."""
        return self.access.authenticate(credentials)


__all__ = ["API_FAMILIES", "DESKTOP", "DEVICE", "INTEGRATOR", "SERVED_APIS", "TOKEN_APIS", "Caller", "Credentials", "HaloCloud"]
