"""Patient ``$summary``: an IPS-style document Bundle (Composition first, then the resources it cites).

Sections: problems (Condition), allergies (AllergyIntolerance), medications
(MedicationStatement) and immunizations (Immunization), each with its LOINC code;
a section with nothing to cite carries ``emptyReason`` "nilknown".
"""

from __future__ import annotations

from typing import Any

from mock_halo.fhir.params import parse_pairs
from mock_halo.fhir.query import Engine
from mock_halo.fhir.search import MAX_COUNT, read_one, search
from mock_halo.fhir.spec import Context, ResourceSpec

LOINC = "http://loinc.org"
IPS_PROFILE = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips"
#: (resource type, section title, LOINC code, LOINC display)
SECTIONS = (
    ("Condition", "Problems", "11450-4", "Problem list - Reported"),
    ("AllergyIntolerance", "Allergies and Intolerances", "48765-2", "Allergies and adverse reactions Document"),
    ("MedicationStatement", "Medication Summary", "10160-0", "History of Medication use Narrative"),
    ("Immunization", "Immunizations", "11369-6", "History of Immunization Narrative"),
)


def _section(title: str, code: str, display: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    section: dict[str, Any] = {"title": title, "code": {"coding": [{"system": LOINC, "code": code, "display": display}]}}
    if resources:
        section["entry"] = [{"reference": f"{r['resourceType']}/{r['id']}"} for r in resources]
    else:
        section["emptyReason"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                                              "code": "nilknown", "display": "Nil Known"}]}
    return section


def patient_summary(engine: Engine, registry: dict[str, ResourceSpec], patient_id: str, ctx: Context, *,
                    base: str, bundle_id: str, timestamp: str) -> dict[str, Any]:
    """The document Bundle of one patient (404 via ``read_one`` for an unknown id)."""
    patient = read_one(engine, registry["Patient"], patient_id, ctx)
    cited: list[dict[str, Any]] = []
    sections = []
    for resource_type, title, code, display in SECTIONS:
        pairs = parse_pairs([("patient", patient_id), ("_count", str(MAX_COUNT))])
        found = [match.resource() for match in search(engine, registry[resource_type], pairs, ctx, registry).matches]
        cited.extend(found)
        sections.append(_section(title, code, display, found))
    composition = {
        "resourceType": "Composition",
        "id": bundle_id,
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": timestamp,
        "author": [{"reference": "Organization/1"}],
        "title": f"Patient Summary as of {timestamp[:10]}",
        "custodian": {"reference": "Organization/1"},
        "section": sections,
    }
    entries = [composition, patient, *cited]
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [IPS_PROFILE]},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        "type": "document",
        "timestamp": timestamp,
        "entry": [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r} for r in entries],
    }
