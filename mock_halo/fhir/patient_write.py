"""FHIR Patient create/update: a Patient resource -> PATIENTS column values, validated.

Only what Bp's PATIENTS table can hold is written (halo-facts 13.2: "some fields not
creatable/updatable"). Mapped: official name (family, given, prefix via TITLES), the
usual name's first given (PREFERREDNAME), birthDate, gender (SEXCODE), telecom
(home/work/mobile phones; one email, kept in table EMAIL as Bp does), home physical and
postal addresses (Bp keeps no state: it follows from the postcode) and the
Medicare/IHI/DVA identifiers. Ignored: ``id`` on create, ``meta``, ``text``,
``active``, ``deceased[x]``, ``generalPractitioner``, ``managingOrganization``, the
record-number identifier, ``address.state`` and every other element. Update replaces: a
mapped element absent from the body clears its column.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from mock_halo.fhir import mapping as m
from mock_halo.fhir.outcome import FhirError, invalid
from mock_halo.fhir.resources.patient import SEXCODES_BY_GENDER
from mock_halo.limits import JsonTooDeep, load_json

#: Column -> maximum length (the PATIENTS CHAR sizes; EMAIL.EMAIL is VARCHAR(250)).
TEXT_COLUMNS: dict[str, int] = {
    "FIRSTNAME": 40, "MIDDLENAME": 30, "SURNAME": 40, "PREFERREDNAME": 30,
    "ADDRESS1": 40, "ADDRESS2": 40, "CITY": 40, "POSTCODE": 4,
    "POSTALADDRESS": 40, "POSTALCITY": 40, "POSTALPOSTCODE": 4,
    "HOMEPHONE": 14, "WORKPHONE": 14, "MOBILEPHONE": 14, "EMAIL": 250,
    "MEDICARENO": 13, "MEDICARELINENO": 1, "MEDICAREEXPIRY": 10, "DVANO": 14, "IHI": 16,
}
PHONE_COLUMN_BY_USE = {"home": "HOMEPHONE", "work": "WORKPHONE", "mobile": "MOBILEPHONE"}


def parse_body(raw: bytes, resource_type: str = "Patient") -> dict[str, Any]:
    """The JSON object of a request body, or a 400 OperationOutcome."""
    try:
        body = load_json(raw)
    except JsonTooDeep as exc:
        raise invalid(f"The request body is not acceptable: {exc}") from None
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object (a FHIR resource)")
    if body.get("resourceType") != resource_type:
        raise invalid(f"Expected a resource of type {resource_type}, got \"{body.get('resourceType')}\"")
    return body


def _list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise invalid(f"Patient.{key} must be an array of objects")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"{where} must be a string")
    return value.strip()


def _names(body: dict[str, Any], values: dict[str, Any]) -> str | None:
    """Fills the name columns; the official name's prefix (a title), if any."""
    names = _list(body, "name")
    official = next((n for n in names if n.get("use") in ("official", None)), None)
    if official is None:
        raise invalid("Patient.name: an official name with family and given is required")
    given = [_str(g, "Patient.name.given") for g in official.get("given", []) or []]
    family = _str(official.get("family", ""), "Patient.name.family")
    if not family or not given or not given[0]:
        raise invalid("Patient.name: an official name with family and given is required")
    values["SURNAME"], values["FIRSTNAME"] = family, given[0]
    values["MIDDLENAME"] = " ".join(g for g in given[1:] if g)
    usual = next((n for n in names if n.get("use") == "usual" and n.get("given")), None)
    values["PREFERREDNAME"] = _str(usual["given"][0], "Patient.name.given") if usual else ""
    prefixes = official.get("prefix") or []
    return _str(prefixes[0], "Patient.name.prefix") if prefixes else None


def _birth_date(body: dict[str, Any]) -> str | None:
    raw = body.get("birthDate")
    if raw is None:
        return None
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise invalid(f"Patient.birthDate \"{raw}\" is not a valid full date (YYYY-MM-DD)") from None
    if day.year < 1753:
        raise invalid(f"Patient.birthDate \"{raw}\" is before 1753 (out of DATETIME range)")
    return day.isoformat()


def _gender(body: dict[str, Any]) -> int | None:
    raw = body.get("gender")
    if raw is None:
        return None
    if raw not in SEXCODES_BY_GENDER:
        raise invalid(f"Patient.gender \"{raw}\" is not one of male, female, other, unknown")
    return SEXCODES_BY_GENDER[raw][0]


def _telecom(body: dict[str, Any], values: dict[str, Any]) -> None:
    for column in (*PHONE_COLUMN_BY_USE.values(), "EMAIL"):
        values[column] = ""
    for contact in _list(body, "telecom"):
        value = _str(contact.get("value", ""), "Patient.telecom.value")
        if contact.get("system") == "email" and not values["EMAIL"]:
            values["EMAIL"] = value
        elif contact.get("system") in ("phone", "sms", None):
            column = PHONE_COLUMN_BY_USE.get(contact.get("use") or "home")
            if column and not values[column]:
                values[column] = value


def _addresses(body: dict[str, Any], values: dict[str, Any]) -> None:
    for column in ("ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "POSTALADDRESS", "POSTALCITY", "POSTALPOSTCODE"):
        values[column] = ""
    physical = postal = None
    for address in _list(body, "address"):
        if address.get("type") == "postal":
            postal = postal or address
        else:
            physical = physical or address
    if physical:
        lines = [_str(line, "Patient.address.line") for line in physical.get("line", []) or []]
        values["ADDRESS1"] = lines[0] if lines else ""
        values["ADDRESS2"] = ", ".join(lines[1:])
        values["CITY"] = _str(physical.get("city", ""), "Patient.address.city")
        values["POSTCODE"] = _str(physical.get("postalCode", ""), "Patient.address.postalCode")
    if postal:
        lines = [_str(line, "Patient.address.line") for line in postal.get("line", []) or []]
        values["POSTALADDRESS"] = ", ".join(lines)
        values["POSTALCITY"] = _str(postal.get("city", ""), "Patient.address.city")
        values["POSTALPOSTCODE"] = _str(postal.get("postalCode", ""), "Patient.address.postalCode")


def _identifiers(body: dict[str, Any], values: dict[str, Any]) -> None:
    for column in ("MEDICARENO", "MEDICARELINENO", "MEDICAREEXPIRY", "IHI", "DVANO"):
        values[column] = ""
    for ident in _list(body, "identifier"):
        system = ident.get("system")
        value = _str(ident.get("value", ""), "Patient.identifier.value").replace(" ", "")
        if system == m.MEDICARE_SYSTEM:
            if not value.isdigit() or len(value) not in (10, 11):
                raise invalid(f"Medicare number \"{value}\" must be 10 digits, or 11 with the IRN")
            values["MEDICARENO"], values["MEDICARELINENO"] = value[:10], value[10:]
            end = (ident.get("period") or {}).get("end")
            if isinstance(end, str) and len(end) >= 7 and end[4] == "-":
                values["MEDICAREEXPIRY"] = f"{end[5:7]}/{end[:4]}"
        elif system == m.IHI_SYSTEM:
            if not value.isdigit() or len(value) != 16 or not value.startswith("800360"):
                raise invalid(f"IHI \"{value}\" must be 16 digits starting 800360")
            values["IHI"] = value
        elif system == m.DVA_SYSTEM:
            values["DVANO"] = value


def patient_columns(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The PATIENTS column values of a Patient resource, and its title (prefix) text; 400 when invalid."""
    values: dict[str, Any] = {}
    title = _names(body, values)
    values["DOB"] = _birth_date(body)
    values["SEXCODE"] = _gender(body)
    _telecom(body, values)
    _addresses(body, values)
    _identifiers(body, values)
    for column, size in TEXT_COLUMNS.items():
        if len(values[column]) > size:
            raise invalid(f"The value for PATIENTS.{column} is longer than {size} characters: \"{values[column]}\"")
    return values, title


def not_null_defaults(table: str, given: list[str]) -> list[tuple[str, str]]:
    """(column, literal) for the table's NOT NULL columns not in ``given``: Bp's tables have no defaults, so an
    INSERT names them all, with 0 for numbers and '' for text."""
    from mock_halo.practice.loader import fill_values
    from mock_halo.practice.schema import table_columns

    return fill_values(table_columns()[table], tuple(given), table)


def check_update_id(body: dict[str, Any], path_id: str) -> None:
    """FHIR update: the body's id must be present and equal the URL's."""
    body_id = body.get("id")
    if body_id != path_id:
        raise FhirError(400, f"The resource id \"{body_id}\" does not match the URL id \"{path_id}\"",
                        code="invalid")
