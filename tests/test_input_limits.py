"""Bad input gets a documented 4xx, never a 500: JSON nesting, FHIR dates at the edges of time."""

from __future__ import annotations

import pytest
from conftest import SITE, assert_general_error
from fhir_support import Fhir, assert_outcome

from mock_halo.limits import MAX_JSON_DEPTH


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _bodies(nested: str) -> list[tuple[str, str]]:
    return [
        (f"/device/sites/{SITE}/queries/immediate", '{"command":{"text":"SELECT 1","x":%s}}' % nested),
        (f"/device/sites/{SITE}/queries/async", '{"command":{"text":"SELECT 1"},"ignored":%s}' % nested),
        (f"/device/sites/{SITE}/queries/immediate",
         '{"command":{"text":"SELECT @a","parameters":[{"name":"@a","value":"1","x":%s}]}}' % nested),
        (f"/device/sites/{SITE}/queries/registered",
         '{"name":"n","frequency":60,"duration":60,"registeredQueryType":"query",'
         '"registerCommand":{"command":{"text":"SELECT 1"}},"x":%s}' % nested),
        ("/_mock/scenarios", '{"match":{},"outcome":{"latency":"1s"},"x":%s}' % nested),
    ]


@pytest.mark.parametrize("case", range(5))
def test_json_nested_300_deep_in_an_ignored_field_is_a_400(halo, client, case):
    """The reproducer was a 500 (orjson refuses to write past 255 levels when commandSize was measured)."""
    path, body = _bodies(_nested(300))[case]
    headers = {**halo.headers(halo.token()), "Content-Type": "application/json"}
    assert_general_error(client.post(path, content=body, headers=headers), 400, "nested", str(MAX_JSON_DEPTH))


def test_json_within_the_depth_limit_is_read(halo, client):
    headers = {**halo.headers(halo.token()), "Content-Type": "application/json"}
    path, body = _bodies(_nested(MAX_JSON_DEPTH - 3))[0]
    assert client.post(path, content=body, headers=headers).status_code == 200


def test_fhir_bodies_nested_too_deeply_are_an_operation_outcome(halo):
    fhir = Fhir(halo)
    body = '{"resourceType":"Patient","name":[{"use":"official","family":"A","given":["B"]}],"x":%s}' % _nested(300)
    assert_outcome(fhir.post("Patient", body), 400, "invalid", "nested")


@pytest.mark.parametrize("search", [
    "Appointment?date=ge0001-01-01",
    "Appointment?date=le9999-12-31T23:59:59",
    "Appointment?date=9999-12",
    "Appointment?date=ap9999-12-31",
    "Appointment?date=ge0001-01-01T00:00:00%2B14:00",
    "Appointment?date=le9999-12-31T23:59:59-12:00",
    "Patient?birthdate=le9999-12-31",
    "Patient?birthdate=ge0001",
    "Immunization?date=sa9999-12-31",
])
def test_fhir_dates_at_the_edges_of_time_are_searched_not_500(halo, search):
    response = Fhir(halo).get(search)
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Bundle"


def test_open_ended_dates_find_everything(halo):
    fhir = Fhir(halo)
    everything = fhir.get("Appointment?_count=0").json()["total"]
    assert everything > 0
    assert fhir.get("Appointment?date=ge0001-01-01&_count=0").json()["total"] == everything
    assert fhir.get("Appointment?date=le9999-12-31T23:59:59&_count=0").json()["total"] == everything
    assert fhir.get("Appointment?date=gt9999-12-31&_count=0").json()["total"] == 0


def test_slot_windows_at_the_end_of_time_are_searched_not_500(halo):
    """Sessions repeat weekly, so the last days there are have free slots too."""
    fhir = Fhir(halo)
    assert fhir.get("Slot?start=ge9999-12-31&start=eb9999-12-31T23:59:59").status_code == 200
    last_days = fhir.get("Slot?start=ge9999-12-30&start=le9999-12-31").json()
    assert all(entry["resource"]["start"].startswith("9999-12-3") for entry in last_days.get("entry", []))
