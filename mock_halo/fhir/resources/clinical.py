"""Clinical resources of a patient: Condition, AllergyIntolerance, Immunization, MedicationStatement.

Each reads one Bp base table (current records only); id = the table's RECORDID.
"""

from __future__ import annotations

from typing import Any

from mock_halo.fhir import mapping as m
from mock_halo.fhir.spec import Context, ResourceSpec, date_param, datetime_column, id_param, reference_param

CLINICAL = "http://terminology.hl7.org/CodeSystem/"
SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}
ALLERGY_CATEGORY = {"drug": "medication", "food": "food", "environment": "environment"}
USER_JOIN = "LEFT JOIN USERS U ON U.USERID = {alias}.USERID LEFT JOIN TITLES UT ON UT.TITLECODE = U.TITLECODE"
USER_COLUMNS = "UT.TITLE AS USERTITLE, U.FIRSTNAME AS USERFIRSTNAME, U.SURNAME AS USERSURNAME"


def _patient(row: dict[str, Any]) -> dict[str, Any]:
    return m.reference("Patient", row["INTERNALID"])


def _user(row: dict[str, Any]) -> dict[str, Any] | None:
    if row.get("USERID") is None:
        return None
    name = m.display_name(row.get("USERTITLE"), row.get("USERFIRSTNAME"), row.get("USERSURNAME"))
    return m.reference("Practitioner", row["USERID"], name or None)


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": CLINICAL + system, "code": code}]}


def _common_params(alias: str, date_column: str | None = None) -> dict:
    params = {
        "_id": id_param(f"{alias}.RECORDID"),
        "patient": reference_param("patient", f"{alias}.INTERNALID", "Patient", "Who the record is about"),
    }
    if date_column:
        after, before = datetime_column(date_column)
        params["date"] = date_param("date", after, before, "Date of the record")
    return params


# -- Condition (PASTHISTORY) -------------------------------------------------


def condition(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    active = row.get("STATUS") == 1
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(row["RECORDID"]),
        "meta": {"profile": [m.AU_CORE + "au-core-condition"]},
        "clinicalStatus": _status("condition-clinical", "active" if active else "inactive"),
        "verificationStatus": _status("condition-ver-status", "confirmed"),
        "category": [{"coding": [{"system": CLINICAL + "condition-category", "code": "problem-list-item",
                                  "display": "Problem List Item"}]}],
        "code": m.concept(row["ITEMTEXT"], system=m.SNOMED, code=m.text(row.get("SNOMEDCODE"))),
        "subject": _patient(row),
    }
    if row.get("DIAGNOSISDATE"):
        resource["onsetDateTime"] = m.fhir_date(row["DIAGNOSISDATE"])
    if row.get("CREATED"):
        resource["recordedDate"] = m.fhir_datetime(row["CREATED"])
    if user := _user(row):
        resource["recorder"] = user
    return resource


CONDITION = ResourceSpec(
    type="Condition",
    columns=f"H.RECORDID, H.INTERNALID, H.ITEMTEXT, H.DIAGNOSISDATE, H.STATUS, H.USERID, H.CREATED, C.SNOMEDCODE, {USER_COLUMNS}",
    tables=f"PASTHISTORY H LEFT JOIN CONDITIONS C ON C.CONDITIONID = H.CONDITIONID {USER_JOIN.format(alias='H')}",
    base_filter="H.RECORDSTATUS = 1",
    id_column="H.RECORDID",
    to_resource=condition,
    params=_common_params("H"),
    sorts={"_id": "H.RECORDID", "onset-date": "H.DIAGNOSISDATE", "recorded-date": "H.CREATED"},
    profile="http://hl7.org/fhir/StructureDefinition/Condition",
    supported_profiles=(m.AU_CORE + "au-core-condition",),
    includes={"Condition:patient": ("Patient", "INTERNALID")},
    documentation="Past history (Bp Premier PASTHISTORY)",
)


# -- AllergyIntolerance (REACTIONS) ------------------------------------------


def allergy(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(row["RECORDID"]),
        "meta": {"profile": [m.AU_CORE + "au-core-allergyintolerance"]},
        "clinicalStatus": _status("allergyintolerance-clinical", "active"),
        "verificationStatus": _status("allergyintolerance-verification", "confirmed"),
    }
    kind = (m.text(row.get("REACTIONTYPE")) or "").lower()
    if kind in ("allergy", "intolerance"):
        resource["type"] = kind
    category = ALLERGY_CATEGORY.get((m.text(row.get("ALLERGENCLASS")) or "").lower())
    if category:
        resource["category"] = [category]
    resource["code"] = m.concept(row["ITEMNAME"])
    resource["patient"] = _patient(row)
    if row.get("CREATED"):
        resource["recordedDate"] = m.fhir_datetime(row["CREATED"])
    if user := _user(row):
        resource["recorder"] = user
    if manifestation := m.text(row.get("REACTION")):
        reaction: dict[str, Any] = {"manifestation": [m.concept(manifestation)]}
        severity = SEVERITY.get((m.text(row.get("SEVERITY")) or "").lower())
        if severity:
            reaction["severity"] = severity
        resource["reaction"] = [reaction]
    return resource


ALLERGY = ResourceSpec(
    type="AllergyIntolerance",
    columns=f"R.RECORDID, R.INTERNALID, R.ITEMNAME, R.REACTION, R.SEVERITY, R.REACTIONTYPE, R.USERID, R.CREATED, "
            f"A.ALLERGENCLASS, {USER_COLUMNS}",
    tables=f"REACTIONS R LEFT JOIN ALLERGIES A ON A.ALLERGENID = R.ALLERGENID {USER_JOIN.format(alias='R')}",
    base_filter="R.RECORDSTATUS = 1",
    id_column="R.RECORDID",
    to_resource=allergy,
    params=_common_params("R"),
    sorts={"_id": "R.RECORDID", "date": "R.CREATED"},
    profile="http://hl7.org/fhir/StructureDefinition/AllergyIntolerance",
    supported_profiles=(m.AU_CORE + "au-core-allergyintolerance",),
    documentation="Allergies and adverse reactions (Bp Premier REACTIONS)",
)


# -- Immunization (IMMUNISATIONS) ---------------------------------------------


def immunization(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "id": str(row["RECORDID"]),
        "meta": {"profile": [m.AU_CORE + "au-core-immunization"]},
        "status": "completed",
        "vaccineCode": m.concept(row.get("VACCINENAME") or "Unknown vaccine"),
        "patient": _patient(row),
        "occurrenceDateTime": m.fhir_datetime(row["GIVENDATE"]),
        "primarySource": True,
    }
    if lot := m.text(row.get("BATCHNO")):
        resource["lotNumber"] = lot
    if site := m.text(row.get("SITE")):
        resource["site"] = m.concept(site)
    if user := _user(row):
        resource["performer"] = [{"actor": user}]
    if disease := m.text(row.get("TARGETDISEASE")):
        applied: dict[str, Any] = {"targetDisease": [m.concept(disease)]}
        dose = m.text(row.get("DOSE"))
        applied["doseNumberString"] = dose or "unknown"
        resource["protocolApplied"] = [applied]
    return resource


IMMUNIZATION = ResourceSpec(
    type="Immunization",
    columns=f"I.RECORDID, I.INTERNALID, I.USERID, I.GIVENDATE, I.DOSE, I.BATCHNO, I.SITE, V.VACCINENAME, "
            f"V.TARGETDISEASE, {USER_COLUMNS}",
    tables=f"IMMUNISATIONS I LEFT JOIN VACCINES V ON V.VACCINEID = I.VACCINEID {USER_JOIN.format(alias='I')}",
    base_filter="I.RECORDSTATUS = 1",
    id_column="I.RECORDID",
    to_resource=immunization,
    params=_common_params("I", "I.GIVENDATE"),
    sorts={"_id": "I.RECORDID", "date": "I.GIVENDATE"},
    profile="http://hl7.org/fhir/StructureDefinition/Immunization",
    supported_profiles=(m.AU_CORE + "au-core-immunization",),
    documentation="Immunisations given (Bp Premier IMMUNISATIONS)",
)


# -- MedicationStatement (CURRENTRX) with a contained MedicationRequest ---------


def medication_statement(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    drug = m.concept(row["DRUGNAME"])
    dose_text = " ".join(p for p in (m.text(row.get("DOSE")), m.text(row.get("FREQUENCY"))) if p)
    dosage: dict[str, Any] = {}
    if dose_text:
        dosage["text"] = dose_text
    if route := m.text(row.get("ROUTE")):
        dosage["route"] = m.concept(route)
    dosage["asNeededBoolean"] = bool(row.get("PRN"))
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": f"rx{row['RECORDID']}",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": drug,
        "subject": _patient(row),
    }
    if row.get("STARTDATE"):
        request["authoredOn"] = m.fhir_date(row["STARTDATE"])
    if user := _user(row):
        request["requester"] = user
    dispense: dict[str, Any] = {}
    if row.get("REPEATS") is not None:
        dispense["numberOfRepeatsAllowed"] = int(row["REPEATS"])
    if row.get("QUANTITY") is not None:
        dispense["quantity"] = {"value": int(row["QUANTITY"])}
    if dispense:
        request["dispenseRequest"] = dispense
    request["dosageInstruction"] = [dosage]
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(row["RECORDID"]),
        "meta": {"profile": [m.AU_CORE + "au-core-medicationstatement"]},
        "contained": [request],
        "basedOn": [{"reference": f"#{request['id']}"}],
        "status": "active",
        "medicationCodeableConcept": drug,
        "subject": _patient(row),
    }
    if row.get("STARTDATE"):
        period = {"start": m.fhir_date(row["STARTDATE"])}
        resource["effectivePeriod"] = period
    if row.get("CREATED"):
        resource["dateAsserted"] = m.fhir_datetime(row["CREATED"])
    if indication := m.text(row.get("INDICATION")):
        resource["reasonCode"] = [m.concept(indication)]
    resource["dosage"] = [dosage]
    return resource


MEDICATION_STATEMENT = ResourceSpec(
    type="MedicationStatement",
    columns=f"X.RECORDID, X.INTERNALID, X.USERID, X.DRUGNAME, X.DOSE, X.FREQUENCY, X.ROUTE, X.QUANTITY, X.REPEATS, "
            f"X.PRN, X.INDICATION, X.STARTDATE, X.LASTDATE, X.CREATED, {USER_COLUMNS}",
    tables=f"CURRENTRX X {USER_JOIN.format(alias='X')}",
    base_filter="X.RECORDSTATUS = 1",
    id_column="X.RECORDID",
    to_resource=medication_statement,
    params=_common_params("X"),
    sorts={"_id": "X.RECORDID", "effective": "X.STARTDATE"},
    profile="http://hl7.org/fhir/StructureDefinition/MedicationStatement",
    supported_profiles=(m.AU_CORE + "au-core-medicationstatement",),
    documentation="Current medicines (Bp Premier CURRENTRX), each with its prescription as a contained MedicationRequest",
)
