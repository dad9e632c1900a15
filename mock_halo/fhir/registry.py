"""Every supported resource type, in CapabilityStatement order."""

from __future__ import annotations

from mock_halo.fhir.resources import availability, clinical, directory, patient, scheduling
from mock_halo.fhir.spec import ResourceSpec

SPECS: list[ResourceSpec] = [
    patient.SPEC,
    *directory.SPECS,
    *scheduling.SPECS,
    *availability.SPECS,
    clinical.ALLERGY,
    clinical.IMMUNIZATION,
    clinical.MEDICATION_STATEMENT,
    clinical.CONDITION,
]

REGISTRY: dict[str, ResourceSpec] = {spec.type: spec for spec in SPECS}

#: FHIR types Halo's engine is known to serve that this facade does not (yet) implement.
KNOWN_UNSUPPORTED = ("DocumentReference", "MedicationRequest", "Encounter", "Observation")
