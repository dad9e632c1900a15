"""What a request's path says: the site it names and the surface of the Halo API it reaches.

Shared by the journal (its ``site`` and ``surface`` filters and fields) and the request log.
"""

from __future__ import annotations

import re

_SITE_PATH = re.compile(r"^/(?:device|desktop|integrator)/sites/([^/]+)(/.*)?$")
_SITE_STATUS_PATH = re.compile(r"^/integrator/sites/[^/]+/?$")


def surface_of(path: str) -> str | None:
    """token / immediate / async / registered / fhir / query (status and pages) / sites / pairing, or None."""
    if path == "/integrator/token":
        return "token"
    if path in ("/integrator/pair-site", "/integrator/pairSite"):
        return "pairing"
    if path == "/integrator/sites" or _SITE_STATUS_PATH.match(path):
        return "sites"
    match = _SITE_PATH.match(path)
    if match is None:
        return None
    rest = match.group(2) or ""
    if rest.startswith("/fhir/"):
        return "fhir"
    if rest.startswith("/queries/registered"):
        return "registered"
    if rest == "/queries/immediate":
        return "immediate"
    if rest == "/queries/async":
        return "async"
    return "query" if rest.startswith("/queries/") else None


def site_of(path: str) -> str | None:
    match = _SITE_PATH.match(path)
    return match.group(1).lower() if match else None
