"""Patient procedures: BP_GetPatientByNameDOB, BP_AddPatient, BP_GetInvestigationSummary, BP_AddMessage."""

from __future__ import annotations

from mock_halo.sql.bp.common import as_date, as_int, result, stamp
from mock_halo.sql.procedures import ProcedureCall, ProcedureResult, procedure
from mock_halo.sql.semantics import kinds as K

#: BP_AddPatient's parameters in order (halo-facts 14.2); each is the PATIENTS column of that name.
ADD_PATIENT = ("titlecode", "firstname", "middlename", "surname", "preferredname", "address1", "address2", "city",
               "postcode", "postaladdress", "postalcity", "postalpostcode", "dob", "sexcode", "homephone",
               "workphone", "mobilephone", "medicareno", "medicarelineno", "medicareexpiry", "pensioncode",
               "pensionno", "pensionexpiry", "dvacode", "dvano", "recordno", "externalid", "email")
_INTS = {"titlecode", "sexcode", "pensioncode", "dvacode"}
_DATETIMES = {"dob", "pensionexpiry"}


@procedure("BP_GetPatientByNameDOB", "firstname", "surname", "dob")
def get_patient_by_name_dob(call: ProcedureCall) -> ProcedureResult:
    """Current patients matching first name, surname (case-insensitively) and date of birth."""
    rows = call.query("SELECT INTERNALID, FIRSTNAME, SURNAME, DOB, MEDICARENO, MOBILEPHONE FROM PATIENTS "
                      "WHERE RECORDSTATUS = 1 AND FIRSTNAME = ? AND SURNAME = ? AND substr(DOB, 1, 10) = ? "
                      "ORDER BY INTERNALID",
                      (call.args.get("firstname"), call.args.get("surname"), as_date(call, "dob")))
    columns = [("InternalID", K.INT), ("Firstname", K.STR), ("Surname", K.STR), ("DOB", K.DATETIME),
               ("MedicareNo", K.STR), ("MobilePhone", K.STR)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_AddPatient", *ADD_PATIENT, optional=tuple(p for p in ADD_PATIENT if p not in (
        "firstname", "surname", "dob")))
def add_patient(call: ProcedureCall) -> ProcedureResult:
    """Insert a patient; the new INTERNALID is the return value."""
    values = []
    for name in ADD_PATIENT:
        if name in _INTS:
            values.append(as_int(call, name))
        elif name in _DATETIMES:
            day = as_date(call, name)
            values.append(day + "T00:00:00" if day else None)
        else:
            value = call.args.get(name)
            values.append("" if value is None else str(value))
    columns = ", ".join(n.upper() for n in ADD_PATIENT)
    marks = ", ".join("?" for _ in ADD_PATIENT)
    call.execute(f"INSERT INTO PATIENTS ({columns}, CREATED, UPDATED) VALUES ({marks}, ?, ?)",
                 (*values, stamp(call), stamp(call)))
    return ProcedureResult(rows_affected=1, return_value=call.query("SELECT last_insert_rowid()", ())[0][0])


@procedure("BP_GetInvestigationSummary", "internalid")
def get_investigation_summary(call: ProcedureCall) -> ProcedureResult:
    rows = call.query("SELECT REPORTID, TESTNAME, LAB, REQUESTDATE, REPORTDATE, ABNORMAL, RESULTTEXT "
                      "FROM INVESTIGATIONS WHERE RECORDSTATUS = 1 AND INTERNALID = ? "
                      "ORDER BY REPORTDATE DESC, REPORTID DESC", (as_int(call, "internalid"),))
    columns = [("ReportID", K.INT), ("TestName", K.STR), ("Lab", K.STR), ("RequestDate", K.DATETIME),
               ("ReportDate", K.DATETIME), ("Abnormal", K.BIT), ("Result", K.STR)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_AddMessage", "userid", "subject", "message")
def add_message(call: ProcedureCall) -> ProcedureResult:
    """The fixture DDL has no message table: the message is accepted (return value 0) and not stored."""
    as_int(call, "userid")
    return ProcedureResult(rows_affected=1, return_value=0)
