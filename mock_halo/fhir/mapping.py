"""Small helpers shared by the row -> resource mappers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mock_halo.fhir.params import PRACTICE_TZ

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
AU_V2_0203 = "http://terminology.hl7.org.au/CodeSystem/v2-0203"
MEDICARE_SYSTEM = "http://ns.electronichealth.net.au/id/medicare-number"
IHI_SYSTEM = "http://ns.electronichealth.net.au/id/hi/ihi/1.0"
DVA_SYSTEM = "http://ns.electronichealth.net.au/id/dva"
HPII_SYSTEM = "http://ns.electronichealth.net.au/id/hi/hpii/1.0"
HPIO_SYSTEM = "http://ns.electronichealth.net.au/id/hi/hpio/1.0"
PROVIDER_NO_SYSTEM = "http://ns.electronichealth.net.au/id/medicare-provider-number"
PRESCRIBER_NO_SYSTEM = "http://ns.electronichealth.net.au/id/medicare-prescriber-number"
AHPRA_SYSTEM = "http://hl7.org.au/id/ahpra-registration-number"
ABN_SYSTEM = "http://hl7.org.au/id/abn"
SNOMED = "http://snomed.info/sct"
AU_BASE = "http://hl7.org.au/fhir/StructureDefinition/"
AU_CORE = "http://hl7.org.au/fhir/core/StructureDefinition/"


def text(value: Any) -> str | None:
    """Bp's optional text ('' or NULL) -> None; anything else stripped."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def fhir_date(value: str | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` (a DATE/DATETIME cell) -> ``YYYY-MM-DD``."""
    return value[:10] if value else None


def fhir_datetime(value: str | None) -> str | None:
    """A local DATETIME cell -> a FHIR dateTime with the practice's UTC offset."""
    if not value:
        return None
    return local_to_fhir(datetime.fromisoformat(value[:19]))


def local_to_fhir(moment: datetime) -> str:
    return moment.replace(tzinfo=PRACTICE_TZ).isoformat(timespec="seconds")


def coding_type(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def identifier(system: str, value: str, type_: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    ident: dict[str, Any] = {}
    if type_ is not None:
        ident["type"] = type_
    ident["system"] = system
    ident["value"] = value
    ident.update(extra)
    return ident


def reference(resource: str, resource_id: Any, display: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"{resource}/{resource_id}"}
    if display:
        ref["display"] = display
    return ref


def concept(display: str | None, *, system: str | None = None, code: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if system and code:
        result["coding"] = [{"system": system, "code": code, "display": display}]
    result["text"] = display
    return result


def display_name(title: str | None, first: str | None, last: str | None) -> str:
    return " ".join(p for p in (text(title), text(first), text(last)) if p)


def au_address(line1: Any, line2: Any, city: Any, state: Any, postcode: Any, *, use: str = "work",
               kind: str | None = None) -> dict[str, Any] | None:
    lines = [v for v in (text(line1), text(line2)) if v]
    if not lines and not text(city):
        return None
    addr: dict[str, Any] = {"use": use}
    if kind:
        addr["type"] = kind
    parts = lines + [p for p in (text(city), text(state), text(postcode)) if p]
    addr["text"] = ", ".join(parts)
    if lines:
        addr["line"] = lines
    for key, value in (("city", city), ("state", state), ("postalCode", postcode)):
        if text(value):
            addr[key] = text(value)
    addr["country"] = "AU"
    return addr


#: Street-address postcode ranges per state (Australia Post): Bp keeps no state column, FHIR wants one.
_POSTCODE_STATES = (((800, 899), "NT"), ((2600, 2618), "ACT"), ((2900, 2920), "ACT"), ((2000, 2999), "NSW"),
                    ((3000, 3999), "VIC"), ((4000, 4999), "QLD"), ((5000, 5799), "SA"), ((6000, 6797), "WA"),
                    ((7000, 7799), "TAS"))


def state_of(postcode: Any) -> str | None:
    """The state or territory of an Australian postcode (None when it is not one)."""
    code = text(postcode)
    if not code or not code.isdigit():
        return None
    number = int(code)
    return next((state for (low, high), state in _POSTCODE_STATES if low <= number <= high), None)


def phone(value: Any, use: str) -> dict[str, Any] | None:
    number = text(value)
    return {"system": "phone", "value": number, "use": use} if number else None


def email(value: Any, use: str = "home") -> dict[str, Any] | None:
    address = text(value)
    return {"system": "email", "value": address, "use": use} if address else None


def compact(items: list[Any]) -> list[Any]:
    return [i for i in items if i]
