"""Clinical resources of a patient: Condition, AllergyIntolerance, Immunization, MedicationStatement.

Each reads one Bp base table (current records only); id = the table's RECORDID. Bp keeps
codes where FHIR wants text (frequency, route, injection site, severity): they are decoded
with Bp's lookups (SEVERITYCODES, FREQUENCYCODES) or the practice's own catalogues
(:mod:`mock_halo.practice.codes`: SNOMED codes of conditions, the diseases a vaccine covers).
"""

from __future__ import annotations

from typing import Any

from mock_halo.fhir import mapping as m
from mock_halo.fhir.spec import Context, ResourceSpec, date_param, datetime_column, id_param, reference_param
from mock_halo.practice import codes

CLINICAL = "http://terminology.hl7.org/CodeSystem/"
SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}
USER_JOIN = ("LEFT JOIN USERS U ON U.USERID = {alias}.{column} AND {alias}.{column} <> 0 "
             "LEFT JOIN TITLES UT ON UT.TITLECODE = U.TITLECODE")
SNOMED_OF_CONDITION = {code: snomed for code, _name, snomed, _age, _p in codes.CONDITIONS}
_DISEASES = dict(codes.VAX_DISEASES)
TARGET_DISEASES = {vaccine: ", ".join(_DISEASES[d].strip() for d in diseases)
                   for vaccine, _name, _acir, _child, diseases in codes.VACCINES}
#: IMMUNISATIONS.SITECODE -> body site.
SITES = {1: "Left deltoid", 2: "Right deltoid", 3: "Left thigh", 4: "Right thigh", 5: "Oral"}
#: CURRENTRX.ROUTE -> route of administration.
ROUTES = {1: "Oral", 2: "Inhalation", 3: "Topical", 4: "Subcutaneous"}


def _user_join(alias: str, column: str = "USERID") -> str:
    return USER_JOIN.format(alias=alias, column=column)
USER_COLUMNS = "UT.TITLE AS USERTITLE, U.FIRSTNAME AS USERFIRSTNAME, U.SURNAME AS USERSURNAME"


def _patient(row: dict[str, Any]) -> dict[str, Any]:
    return m.reference("Patient", row["INTERNALID"])


def _user(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row.get("USERID"):  # NULL or 0: nobody
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


def _partial_date(row: dict[str, Any]) -> str | None:
    """PASTHISTORY's YEAR/MONTH/DAY (0 = unknown part) as a FHIR date (``2019``, ``2019-04`` or ``2019-04-12``)."""
    year, month, day = (int(row.get(k) or 0) for k in ("YEAR", "MONTH", "DAY"))
    if not year:
        return None
    if not month:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def condition(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    active = row.get("STATUSCODE") == 1
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(row["RECORDID"]),
        "meta": {"profile": [m.AU_CORE + "au-core-condition"]},
        "clinicalStatus": _status("condition-clinical", "active" if active else "inactive"),
        "verificationStatus": _status("condition-ver-status", "confirmed"),
        "category": [{"coding": [{"system": CLINICAL + "condition-category", "code": "problem-list-item",
                                  "display": "Problem List Item"}]}],
        "code": m.concept(m.text(row["ITEMTEXT"]), system=m.SNOMED, code=SNOMED_OF_CONDITION.get(row.get("ITEMCODE"))),
        "subject": _patient(row),
    }
    if onset := _partial_date(row):
        resource["onsetDateTime"] = onset
    if row.get("CREATED"):
        resource["recordedDate"] = m.fhir_datetime(row["CREATED"])
    if user := _user(row):
        resource["recorder"] = user
    return resource


CONDITION = ResourceSpec(
    type="Condition",
    columns=f"H.RECORDID, H.INTERNALID, H.ITEMTEXT, H.ITEMCODE, H.[YEAR], H.[MONTH], H.[DAY], H.STATUSCODE, H.USERID, "
            f"H.CREATED, {USER_COLUMNS}",
    tables=f"PASTHISTORY H {_user_join('H')}",
    base_filter="H.RECORDSTATUS = 1",
    id_column="H.RECORDID",
    to_resource=condition,
    params=_common_params("H"),
    sorts={"_id": "H.RECORDID", "onset-date": "H.[YEAR], H.[MONTH], H.[DAY]", "recorded-date": "H.CREATED"},
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
    if row.get("ITEMCODE"):  # a product, ingredient or drug class of BPSDrugs (ITEMTYPE 1-3)
        resource["category"] = ["medication"]
    resource["code"] = m.concept(m.text(row["ITEMNAME"]))
    resource["patient"] = _patient(row)
    if row.get("CREATED"):
        resource["recordedDate"] = m.fhir_datetime(row["CREATED"])
    if user := _user(row):
        resource["recorder"] = user
    if manifestation := m.text(row.get("REACTION")):
        reaction: dict[str, Any] = {"manifestation": [m.concept(manifestation)]}
        severity = SEVERITY.get((m.text(row.get("SEVERITYTEXT")) or "").lower())
        if severity:
            reaction["severity"] = severity
        resource["reaction"] = [reaction]
    return resource


ALLERGY = ResourceSpec(
    type="AllergyIntolerance",
    columns=f"R.RECORDID, R.INTERNALID, R.ITEMTYPE, R.ITEMCODE, R.ITEMNAME, R.REACTION, SV.SEVERITY AS SEVERITYTEXT, "
            f"R.USERID, R.CREATED, {USER_COLUMNS}",
    tables=f"REACTIONS R LEFT JOIN SEVERITYCODES SV ON SV.SEVERITYCODE = R.SEVERITY {_user_join('R')}",
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
        "vaccineCode": m.concept(m.text(row.get("VACCINENAME")) or "Unknown vaccine"),
        "patient": _patient(row),
        "occurrenceDateTime": m.fhir_datetime(row["GIVENDATE"]),
        "primarySource": not row.get("NOTGIVENHERE"),
    }
    if lot := m.text(row.get("BATCHNUMBER")):
        resource["lotNumber"] = lot
    if site := SITES.get(row.get("SITECODE")):
        resource["site"] = m.concept(site)
    if user := _user(row):
        resource["performer"] = [{"actor": user}]
    if disease := TARGET_DISEASES.get(row.get("VACCINEID")):
        applied: dict[str, Any] = {"targetDisease": [m.concept(disease)]}
        dose = row.get("SEQUENCE")
        applied["doseNumberString"] = str(dose) if dose else "unknown"
        resource["protocolApplied"] = [applied]
    return resource


IMMUNIZATION = ResourceSpec(
    type="Immunization",
    columns=f"I.RECORDID, I.INTERNALID, I.USERID, I.GIVENDATE, I.[SEQUENCE], I.BATCHNUMBER, I.SITECODE, I.VACCINEID, "
            f"I.VACCINENAME, I.NOTGIVENHERE, {USER_COLUMNS}",
    tables=f"IMMUNISATIONS I {_user_join('I')}",
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
    drug = m.concept(m.text(row["DRUGNAME"]))
    dose_text = " ".join(p for p in (m.text(row.get("DOSE")), m.text(row.get("FREQUENCYTEXT"))) if p)
    dosage: dict[str, Any] = {}
    if dose_text:
        dosage["text"] = dose_text
    if route := ROUTES.get(row.get("ROUTE")):
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
    if row.get("FIRSTDATE"):
        request["authoredOn"] = m.fhir_date(row["FIRSTDATE"])
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
    if row.get("FIRSTDATE"):
        period = {"start": m.fhir_date(row["FIRSTDATE"])}
        resource["effectivePeriod"] = period
    if row.get("CREATED"):
        resource["dateAsserted"] = m.fhir_datetime(row["CREATED"])
    if indication := m.text(row.get("INDICATION")):
        resource["reasonCode"] = [m.concept(indication)]
    resource["dosage"] = [dosage]
    return resource


MEDICATION_STATEMENT = ResourceSpec(
    type="MedicationStatement",
    columns=f"X.RECORDID, X.INTERNALID, X.CREATEDBY AS USERID, X.DRUGNAME, X.DOSE, F.FREQUENCYTEXT, X.ROUTE, "
            f"X.QUANTITY, X.REPEATS, X.PRN, X.INDICATION, X.FIRSTDATE, X.LASTDATE, X.CREATED, {USER_COLUMNS}",
    tables=f"CURRENTRX X LEFT JOIN FREQUENCYCODES F ON F.FREQUENCYCODE = X.FREQUENCY {_user_join('X', 'CREATEDBY')}",
    base_filter="X.RECORDSTATUS = 1",
    id_column="X.RECORDID",
    to_resource=medication_statement,
    params=_common_params("X"),
    sorts={"_id": "X.RECORDID", "effective": "X.FIRSTDATE"},
    profile="http://hl7.org/fhir/StructureDefinition/MedicationStatement",
    supported_profiles=(m.AU_CORE + "au-core-medicationstatement",),
    documentation="Current medicines (Bp Premier CURRENTRX), each with its prescription as a contained MedicationRequest",
)
