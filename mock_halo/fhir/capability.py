"""The CapabilityStatement at ``metadata``: exactly what this facade supports (halo-facts 13.1).

Built from the resource specs only; it never touches the practice database.
"""

from __future__ import annotations

from typing import Any

from mock_halo.fhir.search import CONTROL
from mock_halo.fhir.spec import ResourceSpec

SOFTWARE_NAME = "BP/Halo FHIR Server"
PUBLISHER = "Halo Connect Pty Ltd"


def _resource(spec: ResourceSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": spec.type}
    if spec.profile:
        entry["profile"] = spec.profile
    if spec.supported_profiles:
        entry["supportedProfile"] = list(spec.supported_profiles)
    if spec.documentation:
        entry["documentation"] = spec.documentation
    entry["interaction"] = [{"code": code} for code in spec.interactions]
    entry["versioning"] = "no-version"
    entry["readHistory"] = False
    entry["updateCreate"] = False
    if spec.includes:
        entry["searchInclude"] = sorted(spec.includes)
    if spec.revincludes:
        entry["searchRevInclude"] = sorted(spec.revincludes)
    entry["searchParam"] = [
        {"name": p.name, "type": p.type, "documentation": p.documentation} for p in spec.params.values()
    ]
    if spec.operations:
        entry["operation"] = [{"name": name, "definition": definition} for name, definition in spec.operations]
    return entry


def capability_statement(*, site_id: str, halo_link_version: str, date: str,
                         specs: list[ResourceSpec]) -> dict[str, Any]:
    """The instance CapabilityStatement of one site's FHIR engine."""
    version = f"{halo_link_version}.0"
    return {
        "resourceType": "CapabilityStatement",
        "id": site_id,
        "version": version,
        "name": "RestServer",
        "status": "active",
        "date": date,
        "publisher": PUBLISHER,
        "contact": [{"telecom": [{"system": "url", "value": "https://haloconnect.io"},
                                 {"system": "email", "value": "support@haloconnect.io"}]}],
        "copyright": "All Rights Reserved",
        "kind": "instance",
        "software": {"name": SOFTWARE_NAME, "version": f"{halo_link_version}+mock-halo"},
        "implementation": {"description": "Halo FHIR Server", "url": "https://haloconnect.io"},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/json"],
        "rest": [{
            "mode": "server",
            "documentation": "Facade over the practice's Bp Premier database; read-only except Patient create/update. "
                             "Result parameters on every search: " + ", ".join(c for c in CONTROL if c not in ("_format", "_pretty")),
            "resource": [_resource(spec) for spec in specs],
        }],
    }
