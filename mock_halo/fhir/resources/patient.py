"""Patient (AU Base): PATIENTS joined with its lookups and EMAIL; id = InternalID."""

from __future__ import annotations

from typing import Any

from mock_halo.fhir import mapping as m
from mock_halo.fhir.params import SearchParam, parse_token
from mock_halo.fhir.query import Binder
from mock_halo.fhir.spec import Context, ParamDef, ResourceSpec, any_of, date_param, datetime_column, id_param, \
    string_param, token_map_param

PROFILE = m.AU_BASE + "au-patient"
RECORD_NO_SYSTEM = "http://ns.bpsoftware.net/id/bp-premier/record-number"
GENDER_BY_SEXCODE = {1: "male", 2: "female", 3: "other", 4: "unknown"}
SEXCODES_BY_GENDER = {"male": [1], "female": [2], "other": [3], "unknown": [4]}
DECEASED = 3

COLUMNS = (
    "P.INTERNALID, P.PATIENTSTATUS, T.TITLE, P.FIRSTNAME, P.MIDDLENAME, P.SURNAME, P.PREFERREDNAME, "
    "P.ADDRESS1, P.ADDRESS2, P.CITY, P.POSTCODE, P.POSTALADDRESS, P.POSTALCITY, P.POSTALPOSTCODE, "
    "P.DOB, P.SEXCODE, P.HOMEPHONE, P.WORKPHONE, P.MOBILEPHONE, EM.EMAIL, P.MEDICARENO, P.MEDICARELINENO, "
    "P.MEDICAREEXPIRY, P.DVANO, DV.DVATYPE AS DVANAME, P.IHI, P.RECORDNO, P.USERID AS USUALDOCTOR, "
    "P.DATEOFDEATH AS DECEASEDDATE, P.UPDATED, DT.TITLE AS DOCTORTITLE, D.FIRSTNAME AS DOCTORFIRSTNAME, "
    "D.SURNAME AS DOCTORSURNAME"
)
TABLES = (
    "PATIENTS P LEFT JOIN TITLES T ON T.TITLECODE = P.TITLECODE "
    "LEFT JOIN DVATYPE DV ON DV.DVACODE = P.DVACODE "
    "LEFT JOIN EMAIL EM ON EM.INTERNALID = P.INTERNALID AND EM.RECORDSTATUS = 1 "
    "LEFT JOIN USERS D ON D.USERID = P.USERID AND P.USERID <> 0 LEFT JOIN TITLES DT ON DT.TITLECODE = D.TITLECODE"
)
PHONE_COLUMNS = ("P.HOMEPHONE", "P.WORKPHONE", "P.MOBILEPHONE")


def _digits_sql(column: str) -> str:
    """The column with the usual phone punctuation removed."""
    expr = column
    for ch in (" ", "(", ")", "-"):
        expr = f"REPLACE({expr}, '{ch}', '')"
    return expr


def _normalise_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def _identifier(param: SearchParam, binder: Binder, ctx: Context) -> str:
    parts: list[str] = []
    for raw in param.values:
        system, value = parse_token(raw)
        if not value:
            continue
        if system in (None, m.MEDICARE_SYSTEM):
            if len(value) == 11 and value.isdigit():
                parts.append(f"(P.MEDICARENO = {binder.text(value[:10])} AND P.MEDICARELINENO = {binder.text(value[10])})")
            else:
                parts.append(f"P.MEDICARENO = {binder.text(value)}")
        if system in (None, m.IHI_SYSTEM):
            parts.append(f"P.IHI = {binder.text(value)}")
        if system in (None, m.DVA_SYSTEM):
            parts.append(f"P.DVANO = {binder.text(value)}")
        if system in (None, RECORD_NO_SYSTEM):
            parts.append(f"P.RECORDNO = {binder.text(value)}")
    return any_of(parts)


def _phone(param: SearchParam, binder: Binder, ctx: Context) -> str:
    parts = []
    for value in param.values:
        wanted = _normalise_phone(value)
        if wanted:
            name = binder.text(wanted)
            parts.extend(f"{_digits_sql(c)} = {name}" for c in PHONE_COLUMNS)
    return any_of(parts)


def _email(param: SearchParam, binder: Binder, ctx: Context) -> str:
    return any_of([f"EM.EMAIL = {binder.text(v)}" for v in param.values if v])


def _telecom(param: SearchParam, binder: Binder, ctx: Context) -> str:
    return any_of([_phone(param, binder, ctx), _email(param, binder, ctx)])


_dob_after, _dob_before = datetime_column("P.DOB")

PARAMS: dict[str, ParamDef] = {
    "_id": id_param("P.INTERNALID"),
    "identifier": ParamDef("identifier", "token", "A patient identifier (Medicare, IHI, DVA, record number)", _identifier),
    "name": string_param("name", ["P.SURNAME", "P.FIRSTNAME", "P.MIDDLENAME", "P.PREFERREDNAME"],
                         "A portion of the family, given or preferred name of the patient"),
    "family": string_param("family", ["P.SURNAME"], "A portion of the family name of the patient"),
    "given": string_param("given", ["P.FIRSTNAME", "P.MIDDLENAME"], "A portion of the given name of the patient"),
    "birthdate": date_param("birthdate", _dob_after, _dob_before, "The patient's date of birth", day_precision=True),
    "gender": token_map_param("gender", "P.SEXCODE", SEXCODES_BY_GENDER, "Gender of the patient",
                              "http://hl7.org/fhir/administrative-gender"),
    "active": token_map_param("active", "P.PATIENTSTATUS", {"true": [1], "false": [2, 3]},
                              "Whether the patient record is active"),
    "phone": ParamDef("phone", "token", "A value in a phone contact", _phone),
    "email": ParamDef("email", "token", "A value in an email contact", _email),
    "telecom": ParamDef("telecom", "token", "The value in any kind of telecom details of the patient", _telecom),
}
SORTS = {"_id": "P.INTERNALID", "birthdate": "P.DOB", "family": "P.SURNAME", "given": "P.FIRSTNAME",
         "name": "P.SURNAME"}


def medicare_identifier(row: dict[str, Any]) -> dict[str, Any] | None:
    number = m.text(row.get("MEDICARENO"))
    if not number:
        return None
    irn = m.text(row.get("MEDICARELINENO")) or ""
    ident = m.identifier(m.MEDICARE_SYSTEM, number + irn, m.coding_type(m.V2_0203, "MC", "Patient's Medicare Number"))
    expiry = m.text(row.get("MEDICAREEXPIRY"))
    if expiry and len(expiry) == 7 and expiry[2] == "/":
        ident["period"] = {"end": f"{expiry[3:]}-{expiry[:2]}"}
    return ident


def identifiers(row: dict[str, Any]) -> list[dict[str, Any]]:
    result = [medicare_identifier(row)]
    if ihi := m.text(row.get("IHI")):
        result.append(m.identifier(m.IHI_SYSTEM, ihi, m.coding_type(m.V2_0203, "NI", "National unique individual identifier")))
    if dva := m.text(row.get("DVANO")):
        ident = m.identifier(m.DVA_SYSTEM, dva, m.coding_type(m.AU_V2_0203, "DVAU", "DVA Number"))
        if card := m.text(row.get("DVANAME")):
            ident["type"]["text"] = f"DVA Number ({card})"
        result.append(ident)
    if record := m.text(row.get("RECORDNO")):
        result.append(m.identifier(RECORD_NO_SYSTEM, record, m.coding_type(m.V2_0203, "MR", "Medical record number")))
    return m.compact(result)


def names(row: dict[str, Any]) -> list[dict[str, Any]]:
    first, middle, family = m.text(row["FIRSTNAME"]), m.text(row.get("MIDDLENAME")), m.text(row["SURNAME"])
    official: dict[str, Any] = {"use": "official", "text": m.display_name(row.get("TITLE"), first, family)}
    if family:
        official["family"] = family
    given = [g for g in (first, middle) if g]
    if given:
        official["given"] = given
    if title := m.text(row.get("TITLE")):
        official["prefix"] = [title]
    result = [official]
    if preferred := m.text(row.get("PREFERREDNAME")):
        usual: dict[str, Any] = {"use": "usual", "given": [preferred]}
        if family:
            usual["family"] = family
        result.append(usual)
    return result


def to_resource(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A PATIENTS row (with lookups) -> an AU Base Patient."""
    meta: dict[str, Any] = {"profile": [PROFILE]}
    if row.get("UPDATED"):
        meta["lastUpdated"] = m.fhir_datetime(row["UPDATED"])
    resource: dict[str, Any] = {"resourceType": "Patient", "id": str(row["INTERNALID"]), "meta": meta}
    if idents := identifiers(row):
        resource["identifier"] = idents
    resource["active"] = row.get("PATIENTSTATUS") == 1
    resource["name"] = names(row)
    telecom = m.compact([
        m.phone(row.get("HOMEPHONE"), "home"), m.phone(row.get("WORKPHONE"), "work"),
        m.phone(row.get("MOBILEPHONE"), "mobile"), m.email(row.get("EMAIL")),
    ])
    if telecom:
        resource["telecom"] = telecom
    if row.get("SEXCODE") in GENDER_BY_SEXCODE:
        resource["gender"] = GENDER_BY_SEXCODE[row["SEXCODE"]]
    if row.get("DOB"):
        resource["birthDate"] = m.fhir_date(row["DOB"])
    if row.get("PATIENTSTATUS") == DECEASED or row.get("DECEASEDDATE"):
        if row.get("DECEASEDDATE"):
            resource["deceasedDateTime"] = m.fhir_datetime(row["DECEASEDDATE"])
        else:
            resource["deceasedBoolean"] = True
    addresses = m.compact([
        m.au_address(row.get("ADDRESS1"), row.get("ADDRESS2"), row.get("CITY"), m.state_of(row.get("POSTCODE")),
                     row.get("POSTCODE"), use="home", kind="physical"),
        m.au_address(row.get("POSTALADDRESS"), None, row.get("POSTALCITY"), m.state_of(row.get("POSTALPOSTCODE")),
                     row.get("POSTALPOSTCODE"), use="home", kind="postal"),
    ])
    if addresses:
        resource["address"] = addresses
    if row.get("USUALDOCTOR"):
        doctor = m.display_name(row.get("DOCTORTITLE"), row.get("DOCTORFIRSTNAME"), row.get("DOCTORSURNAME"))
        resource["generalPractitioner"] = [m.reference("Practitioner", row["USUALDOCTOR"], doctor or None)]
    resource["managingOrganization"] = m.reference("Organization", 1)
    return resource


SPEC = ResourceSpec(
    type="Patient",
    columns=COLUMNS,
    tables=TABLES,
    base_filter="P.RECORDSTATUS = 1",
    id_column="P.INTERNALID",
    to_resource=to_resource,
    params=PARAMS,
    sorts=SORTS,
    profile="http://hl7.org/fhir/StructureDefinition/Patient",
    supported_profiles=(PROFILE,),
    revincludes={"Condition:patient": ("Condition", "H.INTERNALID")},
    interactions=("read", "search-type", "create", "update"),
    operations=(("summary", "http://hl7.org/fhir/uv/ips/OperationDefinition/summary"),),
    documentation="Patients of the practice (Bp Premier PATIENTS); id = InternalID",
)
