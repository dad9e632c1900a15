"""The practice directory: Practitioner and PractitionerRole (USERS), Organization (PRACTICE), Location (LOCATIONS).

Practitioners are the active users of a clinical group (USERGROUPS: doctors, registrars,
nurses, allied health); a PractitionerRole has the same id as its Practitioner (one role
per Bp user). The practice's address and phone are its first location's (PRACTICE has none).
"""

from __future__ import annotations

from typing import Any

from mock_halo.fhir import mapping as m
from mock_halo.fhir.spec import Context, ParamDef, ResourceSpec, any_of, id_param, reference_param, string_param

#: USERGROUPS of clinicians (1 principal doctor ... 5 allied health).
CLINICAL_GROUPS = (1, 2, 3, 4, 5)
USER_COLUMNS = ("U.USERID, U.FIRSTNAME, U.SURNAME, U.PROVIDERNO, U.PRESCRIBERNO, U.HPII, U.REGISTRATIONNO, U.LOCATIONID, "
                "U.EMAIL, U.APPOINTMENTS, T.TITLE, G.GROUPNAME, L.PHONE AS LOCATIONPHONE")
USER_TABLES = ("USERS U LEFT JOIN TITLES T ON T.TITLECODE = U.TITLECODE "
               "JOIN USERGROUPS G ON G.GROUPCODE = U.GROUPCODE "
               "LEFT JOIN LOCATIONS L ON L.LOCATIONID = U.LOCATIONID")
USER_FILTER = f"U.RECORDSTATUS = 1 AND U.USERSTATUS = 1 AND U.GROUPCODE IN {CLINICAL_GROUPS}"


def _identifier_param(columns: dict[str | None, str], documentation: str) -> ParamDef:
    """A token over several identifier columns keyed by system (None: matches any system)."""

    def build(param, binder, ctx) -> str:
        parts = []
        for raw in param.values:
            system, _, value = raw.rpartition("|")
            for col_system, column in columns.items():
                if not system or system == col_system:
                    parts.append(f"{column} = {binder.text(value)}")
        return any_of(parts)

    return ParamDef("identifier", "token", documentation, build)


def practitioner(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    idents = []
    if hpii := m.text(row.get("HPII")):
        idents.append(m.identifier(m.HPII_SYSTEM, hpii, m.coding_type(m.V2_0203, "NPI", "National provider identifier")))
    if ahpra := m.text(row.get("REGISTRATIONNO")):
        idents.append(m.identifier(m.AHPRA_SYSTEM, ahpra, m.coding_type(m.AU_V2_0203, "AHPRA", "AHPRA Registration Number")))
    if prescriber := m.text(row.get("PRESCRIBERNO")):
        idents.append(m.identifier(m.PRESCRIBER_NO_SYSTEM, prescriber,
                                   m.coding_type(m.AU_V2_0203, "PRES", "Prescriber Number")))
    name: dict[str, Any] = {"use": "official", "text": m.display_name(row.get("TITLE"), row["FIRSTNAME"], row["SURNAME"]),
                            "family": m.text(row["SURNAME"]), "given": [m.text(row["FIRSTNAME"])]}
    if title := m.text(row.get("TITLE")):
        name["prefix"] = [title]
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(row["USERID"]),
        "meta": {"profile": [m.AU_BASE + "au-practitioner"]},
    }
    if idents:
        resource["identifier"] = idents
    resource["active"] = True
    resource["name"] = [name]
    if mail := m.email(row.get("EMAIL"), "work"):
        resource["telecom"] = [mail]
    return resource


def practitioner_role(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    name = m.display_name(row.get("TITLE"), row["FIRSTNAME"], row["SURNAME"])
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(row["USERID"]),
        "meta": {"profile": [m.AU_BASE + "au-practitionerrole"]},
    }
    if provider := m.text(row.get("PROVIDERNO")):
        resource["identifier"] = [m.identifier(m.PROVIDER_NO_SYSTEM, provider,
                                               m.coding_type(m.AU_V2_0203, "UPIN", "Medicare Provider Number"))]
    resource.update({
        "active": True,
        "practitioner": m.reference("Practitioner", row["USERID"], name),
        "organization": m.reference("Organization", 1),
        "code": [m.concept(m.text(row.get("GROUPNAME")))],
        "location": [m.reference("Location", row["LOCATIONID"])],
    })
    telecom = m.compact([m.phone(row.get("LOCATIONPHONE"), "work"), m.email(row.get("EMAIL"), "work")])
    if telecom:
        resource["telecom"] = telecom
    return resource


_names = ["U.SURNAME", "U.FIRSTNAME"]
PRACTITIONER = ResourceSpec(
    type="Practitioner",
    columns=USER_COLUMNS, tables=USER_TABLES, base_filter=USER_FILTER, id_column="U.USERID",
    to_resource=practitioner,
    params={
        "_id": id_param("U.USERID"),
        "identifier": _identifier_param({m.HPII_SYSTEM: "U.HPII", m.AHPRA_SYSTEM: "U.REGISTRATIONNO",
                                         m.PRESCRIBER_NO_SYSTEM: "U.PRESCRIBERNO"}, "A practitioner identifier"),
        "name": string_param("name", _names, "A portion of the practitioner's name"),
        "family": string_param("family", ["U.SURNAME"], "A portion of the family name"),
        "given": string_param("given", ["U.FIRSTNAME"], "A portion of the given name"),
    },
    sorts={"_id": "U.USERID", "family": "U.SURNAME", "given": "U.FIRSTNAME", "name": "U.SURNAME"},
    profile="http://hl7.org/fhir/StructureDefinition/Practitioner",
    supported_profiles=(m.AU_BASE + "au-practitioner",),
    documentation="Clinicians of the practice (Bp Premier USERS of a clinical group)",
)

PRACTITIONER_ROLE = ResourceSpec(
    type="PractitionerRole",
    columns=USER_COLUMNS, tables=USER_TABLES, base_filter=USER_FILTER, id_column="U.USERID",
    to_resource=practitioner_role,
    params={
        "_id": id_param("U.USERID"),
        "practitioner": reference_param("practitioner", "U.USERID", "Practitioner", "The practitioner in the role"),
        "location": reference_param("location", "U.LOCATIONID", "Location", "Where the role is performed"),
        "identifier": _identifier_param({m.PROVIDER_NO_SYSTEM: "U.PROVIDERNO"}, "Medicare provider number"),
    },
    sorts={"_id": "U.USERID"},
    profile="http://hl7.org/fhir/StructureDefinition/PractitionerRole",
    supported_profiles=(m.AU_BASE + "au-practitionerrole",),
    includes={"PractitionerRole:practitioner": ("Practitioner", "USERID")},
    documentation="One role per provider at the practice; id = the Practitioner's id",
)


def organization(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    idents = []
    if hpio := m.text(row.get("HPIO")):
        idents.append(m.identifier(m.HPIO_SYSTEM, hpio, m.coding_type(m.V2_0203, "NOI", "National Organization Identifier")))
    if abn := m.text(row.get("ABN")):
        idents.append(m.identifier(m.ABN_SYSTEM, abn, m.coding_type(m.V2_0203, "XX", "Organization identifier")))
    resource: dict[str, Any] = {"resourceType": "Organization", "id": str(row["PRACTICEID"]),
                                "meta": {"profile": [m.AU_BASE + "au-organization"]}}
    if idents:
        resource["identifier"] = idents
    resource.update({"active": True, "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type",
                                                            "code": "prov", "display": "Healthcare Provider"}]}],
                     "name": row["PRACTICENAME"]})
    telecom = m.compact([m.phone(row.get("PHONE"), "work"), m.email(row.get("EMAIL"), "work")])
    if fax := m.text(row.get("FAX")):
        telecom.append({"system": "fax", "value": fax, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    if addr := m.au_address(row.get("ADDRESS1"), row.get("ADDRESS2"), row.get("CITY"), m.state_of(row.get("POSTCODE")),
                            row.get("POSTCODE")):
        resource["address"] = [addr]
    return resource


ORGANIZATION = ResourceSpec(
    type="Organization",
    columns="O.PRACTICEID, O.PRACTICENAME, L.ADDRESS1, L.ADDRESS2, L.CITY, L.POSTCODE, L.PHONE, L.FAX, L.EMAIL, O.ABN, "
            "O.HPIO",
    tables="PRACTICE O LEFT JOIN LOCATIONS L ON L.LOCATIONID = 1", base_filter="O.RECORDSTATUS = 1",
    id_column="O.PRACTICEID",
    to_resource=organization,
    params={"_id": id_param("O.PRACTICEID"), "name": string_param("name", ["O.PRACTICENAME"], "A portion of the name"),
            "identifier": _identifier_param({m.HPIO_SYSTEM: "O.HPIO", m.ABN_SYSTEM: "O.ABN"}, "HPI-O or ABN")},
    sorts={"_id": "O.PRACTICEID", "name": "O.PRACTICENAME"},
    profile="http://hl7.org/fhir/StructureDefinition/Organization",
    supported_profiles=(m.AU_BASE + "au-organization",),
    documentation="The practice (Bp Premier PRACTICE)",
)


def location(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Location", "id": str(row["LOCATIONID"]),
                                "meta": {"profile": [m.AU_BASE + "au-location"]},
                                "status": "active", "name": row["LOCATIONNAME"], "mode": "instance"}
    telecom = m.compact([m.phone(row.get("PHONE"), "work")])
    if fax := m.text(row.get("FAX")):
        telecom.append({"system": "fax", "value": fax, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    if addr := m.au_address(row.get("ADDRESS1"), row.get("ADDRESS2"), row.get("CITY"), m.state_of(row.get("POSTCODE")),
                            row.get("POSTCODE")):
        resource["address"] = addr
    resource["managingOrganization"] = m.reference("Organization", 1)
    return resource


LOCATION = ResourceSpec(
    type="Location",
    columns="L.LOCATIONID, L.LOCATIONNAME, L.ADDRESS1, L.ADDRESS2, L.CITY, L.POSTCODE, L.PHONE, L.FAX",
    tables="LOCATIONS L", base_filter="L.RECORDSTATUS = 1", id_column="L.LOCATIONID",
    to_resource=location,
    params={"_id": id_param("L.LOCATIONID"), "name": string_param("name", ["L.LOCATIONNAME"], "A portion of the name")},
    sorts={"_id": "L.LOCATIONID", "name": "L.LOCATIONNAME"},
    profile="http://hl7.org/fhir/StructureDefinition/Location",
    supported_profiles=(m.AU_BASE + "au-location",),
    documentation="Practice locations (Bp Premier LOCATIONS)",
)

SPECS = [PRACTITIONER, PRACTITIONER_ROLE, ORGANIZATION, LOCATION]
