"""Patient procedures: finding, adding, updating and deleting patients, their next of kin,
clinical notes and investigation summaries.

BP_AddPatient takes 28 parameters every client passes (code 0 is "none" for
title, sex, pension and DVA card) and six trailing optional ones; it has no
``@emergencycontact`` (SQL Server rejects the name, as two clients found out).
The new INTERNALID is the return value; the e-mail address goes to table EMAIL.
"""

from __future__ import annotations

from typing import Any

from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.procedures import ProcedureCall, ProcedureResult, procedure

from .. import codes as c
from .common import as_date, as_int, as_text, changed, day_range, insert, result, stamp

#: BP_AddPatient's leading parameters, in order: (declaration, PATIENTS column).
PATIENT_FIELDS = (
    ("@titlecode INT", "TITLECODE"), ("@firstname VARCHAR(40)", "FIRSTNAME"), ("@middlename VARCHAR(30)", "MIDDLENAME"),
    ("@surname VARCHAR(40)", "SURNAME"), ("@preferredname VARCHAR(30)", "PREFERREDNAME"),
    ("@address1 VARCHAR(40)", "ADDRESS1"), ("@address2 VARCHAR(40)", "ADDRESS2"), ("@city VARCHAR(40)", "CITY"),
    ("@postcode VARCHAR(4)", "POSTCODE"), ("@postaladdress VARCHAR(40)", "POSTALADDRESS"),
    ("@postalcity VARCHAR(40)", "POSTALCITY"), ("@postalpostcode VARCHAR(4)", "POSTALPOSTCODE"),
    ("@dob DATETIME", "DOB"), ("@sexcode INT", "SEXCODE"), ("@homephone VARCHAR(14)", "HOMEPHONE"),
    ("@workphone VARCHAR(14)", "WORKPHONE"), ("@mobilephone VARCHAR(14)", "MOBILEPHONE"),
    ("@medicareno VARCHAR(13)", "MEDICARENO"), ("@medicarelineno VARCHAR(1)", "MEDICARELINENO"),
    ("@medicareexpiry VARCHAR(10)", "MEDICAREEXPIRY"), ("@pensioncode INT", "PENSIONCODE"),
    ("@pensionno VARCHAR(14)", "PENSIONNO"), ("@pensionexpiry DATETIME", "PENSIONEXPIRY"), ("@dvacode INT", "DVACODE"),
    ("@dvano VARCHAR(14)", "DVANO"), ("@recordno VARCHAR(10)", "RECORDNO"), ("@externalid VARCHAR(12)", "EXTERNALID"),
    ("@email VARCHAR(250)", None),
)
#: The optional trailing parameters (default 0): head of family, ethnicity, SMS consent, next of kin, and the
#: gender and pronoun codes newer Bp versions take (the 2019 schema has no column for those two).
PATIENT_EXTRAS = (
    ("@headoffamilyid INT = 0", "HEADOFFAMILYID"), ("@ethniccode INT = 0", "ETHNICCODE"),
    ("@consentsmsreminder INT = 0", "CONSENTSMSREMINDER"), ("@nextofkinid INT = 0", "NEXTOFKINID"),
    ("@gendercode INT = 0", None), ("@pronouncode INT = 0", None),
)
_INTS = {"TITLECODE", "SEXCODE", "PENSIONCODE", "DVACODE", "HEADOFFAMILYID", "ETHNICCODE", "CONSENTSMSREMINDER",
         "NEXTOFKINID"}
_DATES = {"DOB", "PENSIONEXPIRY"}


def _name(declaration: str) -> str:
    return declaration.split()[0].lstrip("@")


def _patient_values(call: ProcedureCall, fields: tuple[tuple[str, str | None], ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for declaration, column in fields:
        if column is None:
            continue
        name = _name(declaration)
        if column in _INTS:
            values[column] = as_int(call, name) or 0
        elif column in _DATES:
            values[column] = as_date(call, name)
        else:
            values[column] = as_text(call, name)
    return values


def _set_email(call: ProcedureCall, patient: int, email: str, login: int) -> None:
    updated = call.execute("UPDATE EMAIL SET EMAIL = ?, UPDATED = ?, UPDATEDBY = ? WHERE INTERNALID = ? "
                           "AND RECORDSTATUS = 1", (email, stamp(call), login, patient))
    if not updated and email:
        insert(call, "EMAIL", {"RECORDSTATUS": c.RECORD_CURRENT, "INTERNALID": patient, "EMAILCODE": 1,
                               "EMAIL": email, "CREATED": stamp(call), "CREATEDBY": login})


@procedure("BP_AddPatient", *(d for d, _ in PATIENT_FIELDS), *(d for d, _ in PATIENT_EXTRAS))
def add_patient(call: ProcedureCall) -> ProcedureResult:
    """Insert a current, active patient; the new INTERNALID is the return value."""
    values = _patient_values(call, PATIENT_FIELDS + PATIENT_EXTRAS)
    values.update(RECORDSTATUS=c.RECORD_CURRENT, PATIENTSTATUS=c.STATUS_ACTIVE, CREATED=stamp(call), CREATEDBY=0,
                  COUNTRY="Australia")
    new_id = insert(call, "PATIENTS", values)
    _set_email(call, new_id, as_text(call, "email"), 0)
    return ProcedureResult(rows_affected=1, return_value=new_id)


@procedure("BP_UpdatePatient", "@patientid INT", *(d for d, _ in PATIENT_FIELDS), *(d for d, _ in PATIENT_EXTRAS[:4]),
           "@emergencycontact INT = 0", *(d for d, _ in PATIENT_EXTRAS[4:]))
def update_patient(call: ProcedureCall) -> ProcedureResult:
    """Every demographic field at once (and the e-mail address); 0, or 1 when there is no such patient."""
    values = _patient_values(call, PATIENT_FIELDS + PATIENT_EXTRAS)
    values["EMERGENCYID"] = as_int(call, "emergencycontact") or 0
    patient = as_int(call, "patientid")
    assignments = ", ".join(f"{column} = ?" for column in values)
    count = call.execute(f"UPDATE PATIENTS SET {assignments}, UPDATED = ? WHERE INTERNALID = ?",
                         (*values.values(), stamp(call), patient))
    if count:
        _set_email(call, patient, as_text(call, "email"), 0)
    return ProcedureResult(rows_affected=count, return_value=changed(count))


@procedure("BP_DeletePatient", "@patientid INT")
def delete_patient(call: ProcedureCall) -> ProcedureResult:
    """Soft delete: RECORDSTATUS 2 (the row stays for the audit trail)."""
    count = call.execute("UPDATE PATIENTS SET RECORDSTATUS = ?, UPDATED = ? WHERE INTERNALID = ?",
                         (c.RECORD_DELETED, stamp(call), as_int(call, "patientid")))
    return ProcedureResult(rows_affected=count, return_value=changed(count))


_PATIENT_SELECT = ("SELECT P.INTERNALID, P.FIRSTNAME, P.SURNAME, P.DOB, P.MEDICARENO, P.MEDICARELINENO, "
                   "P.MEDICAREEXPIRY, P.PENSIONCODE, P.PENSIONNO, P.PENSIONEXPIRY, P.HOMEPHONE, P.WORKPHONE, "
                   "P.MOBILEPHONE, P.ADDRESS1, P.CITY, P.POSTCODE, E.EMAIL, P.DVACODE, P.DVANO FROM PATIENTS P "
                   "LEFT JOIN EMAIL E ON E.INTERNALID = P.INTERNALID AND E.RECORDSTATUS = 1 ")
_PATIENT_COLUMNS = [("InternalID", K.INT), ("Firstname", K.STR), ("Surname", K.STR), ("DOB", K.DATETIME),
                    ("MedicareNo", K.STR), ("MedicareLineNo", K.STR), ("MedicareExpiry", K.STR),
                    ("PensionCode", K.INT), ("PensionNo", K.STR), ("PensionExpiry", K.DATETIME), ("HomePhone", K.STR),
                    ("WorkPhone", K.STR), ("MobilePhone", K.STR), ("Address1", K.STR), ("City", K.STR),
                    ("Postcode", K.STR), ("Email", K.STR), ("DVACode", K.INT), ("DVANo", K.STR)]


@procedure("BP_GetPatientByInternalID", "@patientid INT")
def get_patient_by_internal_id(call: ProcedureCall) -> ProcedureResult:
    rows = call.query(_PATIENT_SELECT + "WHERE P.INTERNALID = ? AND P.RECORDSTATUS = 1", (as_int(call, "patientid"),))
    return ProcedureResult(result_sets=[result(_PATIENT_COLUMNS, rows)])


@procedure("BP_GetPatientByNameDOB", "@surname VARCHAR(40)", "@firstname VARCHAR(40)", "@dob DATETIME")
def get_patient_by_name_dob(call: ProcedureCall) -> ProcedureResult:
    """Current patients matching surname, first name (case-insensitively) and date of birth."""
    rows = call.query(_PATIENT_SELECT + "WHERE P.RECORDSTATUS = 1 AND UPPER(RTRIM(P.SURNAME)) = UPPER(RTRIM(?)) "
                      "AND UPPER(RTRIM(P.FIRSTNAME)) = UPPER(RTRIM(?)) AND P.DOB >= ? AND P.DOB < ? "
                      "ORDER BY P.INTERNALID",
                      (as_text(call, "surname"), as_text(call, "firstname"),
                       *day_range(as_date(call, "dob") or "1753-01-01")))
    return ProcedureResult(result_sets=[result(_PATIENT_COLUMNS, rows)])


@procedure("BP_GetPatientByPartSurnameDOB", "@surname VARCHAR(40)", "@dob DATETIME")
def get_patient_by_part_surname_dob(call: ProcedureCall) -> ProcedureResult:
    """Current patients whose surname starts with ``@surname`` and born on ``@dob``."""
    prefix = as_text(call, "surname").rstrip().upper()
    rows = call.query(_PATIENT_SELECT + "WHERE P.RECORDSTATUS = 1 AND substr(UPPER(P.SURNAME), 1, ?) = ? "
                      "AND P.DOB >= ? AND P.DOB < ? ORDER BY P.INTERNALID",
                      (len(prefix), prefix, *day_range(as_date(call, "dob") or "1753-01-01")))
    return ProcedureResult(result_sets=[result(_PATIENT_COLUMNS, rows)])


def _update_patient(call: ProcedureCall, values: dict[str, Any]) -> ProcedureResult:
    assignments = ", ".join(f"{column} = ?" for column in values)
    count = call.execute(f"UPDATE PATIENTS SET {assignments}, UPDATED = ? WHERE INTERNALID = ?",
                         (*values.values(), stamp(call), as_int(call, "patientid")))
    return ProcedureResult(rows_affected=count, return_value=changed(count))


@procedure("BP_UpdatePatientMedicare", "@patientid INT", "@medicareno VARCHAR(13)", "@medicarelineno VARCHAR(1)",
           "@medicareexpiry VARCHAR(10)")
def update_patient_medicare(call: ProcedureCall) -> ProcedureResult:
    return _update_patient(call, {"MEDICARENO": as_text(call, "medicareno"),
                                  "MEDICARELINENO": as_text(call, "medicarelineno"),
                                  "MEDICAREEXPIRY": as_text(call, "medicareexpiry")})


@procedure("BP_UpdatePatientPension", "@patientid INT", "@pensioncode INT", "@pensionno VARCHAR(14)",
           "@pensionstart DATETIME", "@pensionexpiry DATETIME")
def update_patient_pension(call: ProcedureCall) -> ProcedureResult:
    return _update_patient(call, {"PENSIONCODE": as_int(call, "pensioncode") or 0,
                                  "PENSIONNO": as_text(call, "pensionno"),
                                  "PENSIONSTART": as_date(call, "pensionstart"),
                                  "PENSIONEXPIRY": as_date(call, "pensionexpiry")})


@procedure("BP_UpdatePatientDVA", "@patientid INT", "@dvacode INT", "@dvano VARCHAR(14)")
def update_patient_dva(call: ProcedureCall) -> ProcedureResult:
    return _update_patient(call, {"DVACODE": as_int(call, "dvacode") or 0, "DVANO": as_text(call, "dvano")})


@procedure("BP_UpdatePatientContacts", "@patientid INT", "@homephone VARCHAR(14)", "@workphone VARCHAR(14)",
           "@mobilephone VARCHAR(14)")
def update_patient_contacts(call: ProcedureCall) -> ProcedureResult:
    return _update_patient(call, {"HOMEPHONE": as_text(call, "homephone"), "WORKPHONE": as_text(call, "workphone"),
                                  "MOBILEPHONE": as_text(call, "mobilephone")})


@procedure("BP_UpdatePatientAddress", "@patientid INT", "@address1 VARCHAR(40)", "@address2 VARCHAR(40)",
           "@city VARCHAR(40)", "@postcode VARCHAR(4)")
def update_patient_address(call: ProcedureCall) -> ProcedureResult:
    return _update_patient(call, {"ADDRESS1": as_text(call, "address1"), "ADDRESS2": as_text(call, "address2"),
                                  "CITY": as_text(call, "city"), "POSTCODE": as_text(call, "postcode")})


@procedure("BP_UpdatePatientEmail", "@patientid INT", "@email VARCHAR(250)")
def update_patient_email(call: ProcedureCall) -> ProcedureResult:
    patient = as_int(call, "patientid")
    if not call.query("SELECT 1 FROM PATIENTS WHERE INTERNALID = ?", (patient,)):
        return ProcedureResult(rows_affected=0, return_value=1)
    _set_email(call, patient, as_text(call, "email"), 0)
    return ProcedureResult(rows_affected=1, return_value=0)


@procedure("BP_UpdatePatientHealthFund", "@patientid INT", "@healthfundno VARCHAR(20)",
           "@healthfundname VARCHAR(100)", "@healthfundid INT", "@healthfundexpiry DATETIME")
def update_patient_health_fund(call: ProcedureCall) -> ProcedureResult:
    return _update_patient(call, {"HEALTHFUNDNO": as_text(call, "healthfundno"),
                                  "HEALTHFUNDNAME": as_text(call, "healthfundname"),
                                  "HEALTHFUNDID": as_int(call, "healthfundid") or 0,
                                  "HEALTHFUNDEXPIRY": as_date(call, "healthfundexpiry")})


_KIN = ("@internalid INT", "@titlecode INT", "@surname VARCHAR(30)", "@firstname VARCHAR(30)", "@address VARCHAR(40)",
        "@city VARCHAR(40)", "@postcode VARCHAR(4)", "@contactphone VARCHAR(14)", "@relationship VARCHAR(20)",
        "@contactphone2 VARCHAR(14)")


def _set_kin(call: ProcedureCall, kind: int, column: str) -> ProcedureResult:
    patient = as_int(call, "internalid")
    found = call.query(f"SELECT {column}, HEADOFFAMILYID FROM PATIENTS WHERE INTERNALID = ?", (patient,))
    if not found:
        return ProcedureResult(rows_affected=0, return_value=1)
    values = {"RECORDSTATUS": c.RECORD_CURRENT, "TITLECODE": as_int(call, "titlecode") or 0,
              "SURNAME": as_text(call, "surname"), "FIRSTNAME": as_text(call, "firstname"),
              "ADDRESS": as_text(call, "address"), "CITY": as_text(call, "city"), "POSTCODE": as_text(call, "postcode"),
              "CONTACTPHONE": as_text(call, "contactphone"), "CONTACTPHONE2": as_text(call, "contactphone2"),
              "RELATIONSHIP": as_text(call, "relationship")}
    current, head = found[0]
    if current:
        assignments = ", ".join(f"{name} = ?" for name in values)
        call.execute(f"UPDATE NEXTOFKIN SET {assignments}, UPDATED = ? WHERE NEXTOFKINID = ?",
                     (*values.values(), stamp(call), current))
    else:
        values.update(CREATED=stamp(call), CREATEDBY=0, HEADOFFAMILYID=head, TYPE=kind, INTERNALID=patient)
        current = insert(call, "NEXTOFKIN", values)
        call.execute(f"UPDATE PATIENTS SET {column} = ?, UPDATED = ? WHERE INTERNALID = ?",
                     (current, stamp(call), patient))
    return ProcedureResult(rows_affected=1, return_value=0)


@procedure("BP_SetNextOfKin", *_KIN)
def set_next_of_kin(call: ProcedureCall) -> ProcedureResult:
    """The patient's next of kin (NEXTOFKIN TYPE 1, PATIENTS.NEXTOFKINID)."""
    return _set_kin(call, 1, "NEXTOFKINID")


@procedure("BP_SetEmergencyContact", *_KIN)
def set_emergency_contact(call: ProcedureCall) -> ProcedureResult:
    """The patient's emergency contact (NEXTOFKIN TYPE 2, PATIENTS.EMERGENCYID)."""
    return _set_kin(call, 2, "EMERGENCYID")


@procedure("BP_AddClinicalNote", "@patientid INT", "@visittext VARCHAR(MAX)", "@locationid INT")
def add_clinical_note(call: ProcedureCall) -> ProcedureResult:
    """A non-visit note in the patient's record (VISITS, VISITCODE 12 Non Visit) holding the text."""
    patient = as_int(call, "patientid")
    if not call.query("SELECT 1 FROM PATIENTS WHERE INTERNALID = ? AND RECORDSTATUS = 1", (patient,)):
        return ProcedureResult(rows_affected=0, return_value=1)
    seconds = call.now.hour * 3600 + call.now.minute * 60
    insert(call, "VISITS", {"INTERNALID": patient, "USERID": 0, "RECORDSTATUS": c.RECORD_CURRENT,
                            "VISITCODE": c.VISIT_NON_VISIT, "DRNAME": "", "VISITDATE": stamp(call),
                            "RECORDEDDATE": stamp(call), "STARTTIME": seconds, "ENDTIME": seconds,
                            "LOCATION": as_int(call, "locationid") or 1, "VISITNOTES": as_text(call, "visittext"),
                            "CREATED": stamp(call), "CREATEDBY": 0})
    return ProcedureResult(rows_affected=1, return_value=0)


@procedure("BP_GetInvestigationSummary", "@InternalID INT")
def get_investigation_summary(call: ProcedureCall) -> ProcedureResult:
    """A patient's current investigation reports, newest first."""
    rows = call.query("SELECT REPORTID, TESTNAME, PROVIDERNAME, COLLECTIONDATE, REPORTDATE, CHECKDATE, NORMALFLAG "
                      "FROM INVESTIGATIONS WHERE RECORDSTATUS = 1 AND INTERNALID = ? "
                      "ORDER BY REPORTDATE DESC, REPORTID DESC", (as_int(call, "internalid"),))
    columns = [("ReportID", K.INT), ("TestName", K.STR), ("ProviderName", K.STR), ("Collected", K.DATETIME),
               ("Reported", K.DATETIME), ("Checked", K.DATETIME), ("Normal", K.INT)]
    return ProcedureResult(result_sets=[result(columns, rows)])
