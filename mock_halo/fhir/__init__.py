"""The FHIR R4 facade: practice rows <-> FHIR resources, search, bundles, metadata.

No Starlette here: :class:`mock_halo.fhir.service.FhirService` takes a parsed
request (path, parameters) and answers ``(status, body)``; ``mock_halo.api.fhir``
does the HTTP. Every read goes through the site's SQL engine, so FHIR always
agrees with what SQL passthrough sees (including writes made through SQL).
"""

from mock_halo.fhir.outcome import FhirError
from mock_halo.fhir.service import FhirService

__all__ = ["FhirError", "FhirService"]
