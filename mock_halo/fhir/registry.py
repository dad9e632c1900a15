"""Every supported resource type, in CapabilityStatement order."""

from __future__ import annotations

from mock_halo.fhir.resources import clinical, patient
from mock_halo.fhir.spec import ResourceSpec

SPECS: list[ResourceSpec] = [
    patient.SPEC,
    clinical.ALLERGY,
    clinical.IMMUNIZATION,
    clinical.MEDICATION_STATEMENT,
    clinical.CONDITION,
]

try:  # the scheduling and directory resources live in their own modules
    from mock_halo.fhir.resources import directory, scheduling

    SPECS[1:1] = [*directory.SPECS, *scheduling.SPECS]
except ImportError:  # pragma: no cover - while they are being written
    pass

REGISTRY: dict[str, ResourceSpec] = {spec.type: spec for spec in SPECS}

#: FHIR types Halo's engine is known to serve that this facade does not (yet) implement.
KNOWN_UNSUPPORTED = ("Schedule", "Slot", "DocumentReference", "MedicationRequest", "Encounter", "Observation")
