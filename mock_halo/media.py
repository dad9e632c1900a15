"""The media types Halo's APIs take and answer."""

from __future__ import annotations

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
FHIR_JSON = "application/fhir+json"


def is_json_type(kind: str | None) -> bool:
    """``application/json`` or any ``application/*+json`` (e.g. ``application/fhir+json``)."""
    return kind == JSON or (kind is not None and kind.startswith("application/") and kind.endswith("+json"))
