"""The error catalogue: every error the emulator returns is built here.

Halo answers errors in three shapes (halo-facts 10.1):

* the general envelope ``{"error": {"status", "statusText", "message"}}``;
* a query record with ``status: executionFailed`` and ``errorDetails`` (built by
  the query model, using :func:`error_details` from here);
* a FHIR ``OperationOutcome`` (:func:`operation_outcome`).

Gateway failures (subscription key, JWT) come from Azure API Management in
front of Halo. Halo's spec renders them in the general envelope; real APIM
answers ``{"statusCode", "message"}``. ``gateway_style`` picks one (default
"halo", the documented shape).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

MISSING_KEY_MESSAGE = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
INVALID_KEY_MESSAGE = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
NOT_FOUND_MESSAGE = "The server cannot find the requested resource."
GONE_MESSAGE = "Access to the target resource is permanently no longer available at the origin server."
SITE_OFFLINE_503_MESSAGE = (
    "Site could not be contacted, please try again later or contact a system administrator."
)
TIMEOUT_504_MESSAGE = "Query took more than 30 seconds to return a result."
RESULT_TOO_LARGE_MESSAGE = (
    "Query was executed successfully but an error occurred preparing it to be uploaded, "
    "results were too large. Immediate query results beyond message size limit ({limit})"
)

GATEWAY_STYLES = ("halo", "apim")


def status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def general_error(status: int, message: str) -> dict[str, Any]:
    """Halo's general error envelope."""
    return {"error": {"status": status, "statusText": status_text(status), "message": message}}


def error_details(error_type: str, code: int, message: str) -> dict[str, Any]:
    """The ``errorDetails`` object of a failed query (errorType http|mssql|fbsql|haloLink)."""
    return {"errorType": error_type, "errorCode": code, "errorMessage": message}


def operation_outcome(
    message: str, *, code: str = "exception", severity: str = "error", dotnet_code: str | None = None
) -> dict[str, Any]:
    """A FHIR OperationOutcome in the shape Halo's FHIR engine uses."""
    issue: dict[str, Any] = {"severity": severity, "code": code}
    details: dict[str, Any] = {"text": message}
    if dotnet_code is not None:
        details["coding"] = [
            {"system": "http://hl7.org/fhir/dotnet-api-operation-outcome", "code": dotnet_code}
        ]
    issue["details"] = details
    return {"resourceType": "OperationOutcome", "issue": [issue]}


class HaloError(Exception):
    """An error answered in the general envelope (or APIM's, for gateway errors)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        gateway: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.gateway = gateway

    def body(self, gateway_style: str = "halo") -> dict[str, Any]:
        if self.gateway and gateway_style == "apim":
            return {"statusCode": self.status, "message": self.message}
        return general_error(self.status, self.message)


class QueryFailed(HaloError):
    """An immediate query that failed: answered with its own record (``status:
    executionFailed`` with ``errorDetails``; halo-facts 5.3) instead of an envelope.

    ``record`` is the sealed query record (its ``body`` holds the rendered JSON);
    the status is 400 for a SQL error and 413 for a result over the size limit.
    """

    def __init__(self, status: int, record: Any) -> None:
        super().__init__(status, "The query failed; see its errorDetails.")
        self.record = record

    def body(self, gateway_style: str = "halo") -> dict[str, Any]:
        return self.record.render()


# -- the catalogue ---------------------------------------------------------
# Functions rather than constants so each call site reads as what happened.


def bad_request(message: str) -> HaloError:
    return HaloError(400, message)


def missing_subscription_key() -> HaloError:
    return HaloError(401, MISSING_KEY_MESSAGE, gateway=True)


def invalid_subscription_key() -> HaloError:
    return HaloError(401, INVALID_KEY_MESSAGE, gateway=True)


def invalid_token(reason: str) -> HaloError:
    """401 for a missing, malformed, forged or expired bearer token.

    Halo's text is "Invalid token"; the reason after the colon says which check
    failed, because an integrator debugging auth needs to know.
    """
    return HaloError(401, f"Invalid token: {reason}", gateway=True)


def forbidden(message: str) -> HaloError:
    return HaloError(403, message)


def not_found(message: str = NOT_FOUND_MESSAGE) -> HaloError:
    return HaloError(404, message)


def method_not_allowed(method: str, path: str) -> HaloError:
    return HaloError(405, f"Method {method} is not allowed on {path}.")


def gone() -> HaloError:
    return HaloError(410, GONE_MESSAGE)


def payload_too_large(limit_bytes: int) -> HaloError:
    return HaloError(413, f"Request body is larger than the limit of {limit_bytes} bytes.")


def unsupported_media_type(got: str | None, expected: str) -> HaloError:
    shown = got or "none"
    return HaloError(415, f"Unsupported media type '{shown}'; this endpoint accepts {expected}.")


def too_many_requests(retry_after_s: int) -> HaloError:
    return HaloError(
        429,
        f"Rate limit is exceeded. Try again in {retry_after_s} seconds.",
        headers={"Retry-After": str(retry_after_s)},
        gateway=True,
    )


def internal_error(message: str = "An unexpected error occurred in the emulator.") -> HaloError:
    return HaloError(500, message)


def site_offline() -> HaloError:
    return HaloError(503, SITE_OFFLINE_503_MESSAGE)


def gateway_timeout(message: str = TIMEOUT_504_MESSAGE) -> HaloError:
    return HaloError(504, message)


def format_size_limit(limit_bytes: int) -> str:
    """Halo writes the 8 MB limit as "8mb"."""
    if limit_bytes % (1024 * 1024) == 0:
        return f"{limit_bytes // (1024 * 1024)}mb"
    if limit_bytes % 1024 == 0:
        return f"{limit_bytes // 1024}kb"
    return f"{limit_bytes}b"
