"""The media types Halo's APIs take and answer."""

from __future__ import annotations

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
FHIR_JSON = "application/fhir+json"


def is_json_type(kind: str | None) -> bool:
    """``application/json`` or any ``application/*+json`` (e.g. ``application/fhir+json``)."""
    return kind == JSON or (kind is not None and kind.startswith("application/") and kind.endswith("+json"))


# -- FHIR answers (halo-facts 13.1) -------------------------------------------------------------
#: What FHIR answers carry when the client states no preference (no Accept, ``*/*``): the media
#: type Halo's documents give them. A client that asks for ``application/fhir+json`` gets it.
FHIR_DEFAULT = JSON
#: ``_format`` values meaning JSON (FHIR R4 http.html#mime); ``json`` means the default type.
_JSON_FORMATS = {"json": FHIR_DEFAULT, JSON: JSON, FHIR_JSON: FHIR_JSON}
_WILDCARDS = ("*/*", "application/*")


class NotAcceptable(ValueError):
    """A ``_format`` naming a format the FHIR facade does not serve (XML, Turtle, ...)."""


def fhir_answer_type(accept: str | None, format_: str | None = None) -> str:
    """The media type of a FHIR answer: ``_format`` decides when given (FHIR's rule), else the
    best JSON type the ``Accept`` header allows, else :data:`FHIR_DEFAULT` (an Accept naming
    nothing served is disregarded, as RFC 9110 permits: the answer is JSON either way). An
    empty ``_format`` is no ``_format``."""
    if format_ is not None and format_.strip():
        # An unencoded "+" in a query string arrives as a space ("application/fhir json").
        wanted = format_.split(";", 1)[0].strip().lower().replace(" ", "+")
        try:
            return _JSON_FORMATS[wanted]
        except KeyError:
            raise NotAcceptable(format_) from None
    if not accept:
        return FHIR_DEFAULT
    best, best_q = FHIR_DEFAULT, 0.0
    for item in accept.split(","):
        kind, *params = item.split(";")
        kind = kind.strip().lower()
        if kind in _WILDCARDS:
            candidate = FHIR_DEFAULT
        elif kind in (JSON, FHIR_JSON):
            candidate = kind
        else:
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = candidate, q
    return best


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
