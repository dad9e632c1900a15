"""Patient $summary: an IPS-style document Bundle agreeing with the per-type searches."""

from __future__ import annotations

import pytest
from fhir_support import Fhir, assert_outcome


@pytest.fixture
def fhir(halo) -> Fhir:
    return Fhir(halo)


def test_summary_is_a_document_with_every_section_resource(fhir, halo):
    patient_id = halo.rows("SELECT TOP 1 INTERNALID FROM PASTHISTORY WHERE RECORDSTATUS = 1 ORDER BY INTERNALID")[0]["INTERNALID"]
    body = fhir.ok(f"Patient/{patient_id}/$summary")
    assert body["type"] == "document" and body["timestamp"] and body["identifier"]["value"].startswith("urn:uuid:")
    composition, patient = body["entry"][0]["resource"], body["entry"][1]["resource"]
    assert composition["resourceType"] == "Composition" and composition["subject"]["reference"] == f"Patient/{patient_id}"
    assert patient == fhir.ok(f"Patient/{patient_id}")
    in_bundle = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"][2:]}
    cited = set()
    for section, resource_type in zip(composition["section"],
                                      ("Condition", "AllergyIntolerance", "MedicationStatement", "Immunization"),
                                      strict=True):
        expected = fhir.ok(f"{resource_type}?patient={patient_id}&_count=1000")
        refs = [e["reference"] for e in section.get("entry", [])]
        assert refs == [f"{resource_type}/{e['resource']['id']}" for e in expected.get("entry", [])]
        assert bool(refs) != ("emptyReason" in section)
        cited.update(refs)
    assert cited == in_bundle and cited


def test_summary_of_unknown_patient_is_404(fhir):
    assert_outcome(fhir.get("Patient/987654/$summary"), 404, "not-found")


def test_metadata_lists_the_operations(fhir):
    resources = {r["type"]: r for r in fhir.ok("metadata")["rest"][0]["resource"]}
    assert [o["name"] for o in resources["Patient"]["operation"]] == ["summary"]
    assert [o["name"] for o in resources["Appointment"]["operation"]] == ["find-free"]
    assert [o["name"] for o in resources["Slot"]["operation"]] == ["find-free"]
