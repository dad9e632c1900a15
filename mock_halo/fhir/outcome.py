"""FHIR errors, answered as ``OperationOutcome`` (halo-facts 10.1)."""

from __future__ import annotations

from typing import Any

from mock_halo.errors import operation_outcome

#: The "unhandled exception" code of the .NET FHIR SDK's outcome code system,
#: as in Halo's documented OperationOutcome example.
DOTNET_EXCEPTION = "5003"


class FhirError(Exception):
    """An error the FHIR engine reports as an OperationOutcome."""

    def __init__(self, status: int, message: str, *, code: str = "invalid", severity: str = "error",
                 dotnet_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.severity = severity
        self.dotnet_code = dotnet_code

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.message, code=self.code, severity=self.severity, dotnet_code=self.dotnet_code)


def invalid(message: str) -> FhirError:
    """400: a malformed parameter value (date, prefix, number, reference)."""
    return FhirError(400, message, code="invalid")


def unknown_parameter(resource: str, name: str, known: list[str]) -> FhirError:
    listed = ", ".join(sorted(known))
    return FhirError(
        400,
        f"Unknown search parameter \"{name}\" for resource type \"{resource}\". Valid search parameters for this "
        f"search are: [{listed}]",
        code="not-supported",
    )


def unknown_resource_type(name: str) -> FhirError:
    return FhirError(404, f"Unable to parse Resource URL: unknown resource type \"{name}\"", code="not-supported")


def unknown_id(resource: str, resource_id: str) -> FhirError:
    return FhirError(404, f"Resource {resource}/{resource_id} is not known", code="not-found")


def not_supported(message: str, status: int = 400) -> FhirError:
    return FhirError(status, message, code="not-supported")


def internal(message: str) -> FhirError:
    return FhirError(500, message, code="exception", severity="fatal", dotnet_code=DOTNET_EXCEPTION)
