"""Scenario rules and SQL-comment directives through HTTP: every outcome type and the matching."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import KEY, OTHER_SITE, SITE, Halo, assert_general_error

FIVE_ROWS = "SELECT TOP 5 InternalID FROM PATIENTS ORDER BY InternalID"


class Scripted(Halo):
    """Halo calls plus the control plane, so each test reads as a script."""

    def rule(self, outcome: dict[str, Any], **match: Any) -> dict[str, Any]:
        response = self.client.post("/_mock/scenarios", json={"match": match, "outcome": outcome})
        assert response.status_code == 201, response.text
        return response.json()

    def advance(self, duration: str) -> None:
        assert self.client.post("/_mock/clock/advance", json={"duration": duration}).status_code == 200

    def submit(self, sql: str = FIVE_ROWS, site: str = SITE, **extra: Any) -> str:
        token = self.token(site)
        body = {"command": {"text": sql}, **extra}
        response = self.client.post(f"/device/sites/{site}/queries/async", json=body, headers=self.headers(token))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def status(self, query_id: str, site: str = SITE) -> dict[str, Any]:
        response = self.client.get(f"/device/sites/{site}/queries/{query_id}", headers=self.headers(self.token(site)))
        assert response.status_code == 200, response.text
        return response.json()

    def page(self, query_id: str, number: int = 1):
        return self.client.get(f"/device/sites/{SITE}/queries/{query_id}/results/{number}", headers=self.headers(self.token()))


@pytest.fixture
def s(client) -> Scripted:
    return Scripted(client)


# -- HTTP errors -----------------------------------------------------------------
@pytest.mark.parametrize(
    "status, fragment",
    [(429, "rate limit is exceeded"), (500, "cosmosdb"), (503, "could not be contacted"), (504, "30 seconds"), (502, "bad gateway")],
)
def test_http_error_outcomes_use_halos_bodies(s: Scripted, status, fragment):
    s.rule({"error": status}, surface="immediate")
    assert_general_error(s.immediate("SELECT 1"), status, fragment)


def test_429_carries_retry_after(s: Scripted):
    s.rule({"error": 429, "retryAfter": 17}, surface="immediate")
    response = s.immediate("SELECT 1")
    assert response.headers["Retry-After"] == "17"
    assert_general_error(response, 429, "17 seconds")


def test_413_on_an_immediate_query_is_the_result_too_large_record(s: Scripted):
    s.rule({"error": 413}, surface="immediate")
    response = s.immediate("SELECT 1")
    assert response.status_code == 413
    assert response.json()["status"] == "executionFailed"
    assert response.json()["errorDetails"]["errorType"] == "http"
    assert "message size limit (8mb)" in response.json()["errorDetails"]["errorMessage"]


def test_error_with_a_custom_message_on_the_token_surface(s: Scripted):
    s.rule({"error": 503, "message": "Halo is down for maintenance"}, surface="token")
    response = s.client.post(
        "/integrator/token",
        data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d", "site_id": SITE},
        headers={"Ocp-Apim-Subscription-Key": KEY},
    )
    assert_general_error(response, 503, "maintenance")


def test_error_on_async_and_registered_submissions(s: Scripted):
    s.rule({"error": 500}, surface=["async", "registered"])
    token = s.token()
    response = s.client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 1"}}, headers=s.headers(token))
    assert_general_error(response, 500)
    body = {"name": "n", "registeredQueryType": "query", "frequency": 60, "duration": 600, "registerCommand": {"command": {"text": "SELECT 1"}}}
    assert_general_error(s.client.post(f"/device/sites/{SITE}/queries/registered", json=body, headers=s.headers(token)), 500)


def test_registered_initialisation_failure(s: Scripted):
    s.rule({"status": "initialisationFailedCacheError"}, surface="registered")
    token = s.token()
    body = {"name": "n", "registeredQueryType": "query", "frequency": 60, "duration": 600, "registerCommand": {"command": {"text": "SELECT 1"}}}
    query_id = s.client.post(f"/device/sites/{SITE}/queries/registered", json=body, headers=s.headers(token)).json()["id"]
    s.advance("10s")
    got = s.client.get(f"/device/sites/{SITE}/queries/registered/{query_id}", headers=s.headers(token)).json()
    assert got["status"] == "initialisationFailedCacheError"


# -- latency ---------------------------------------------------------------------
def test_latency_moves_the_virtual_clock(s: Scripted):
    token = s.token()
    s.rule({"latency": "1.5s"}, surface="immediate")
    assert s.immediate("SELECT 1", token=token).json()["createdAt"] == "2026-01-04T23:00:01.500Z"
    assert s.client.get("/_mock/clock").json()["now"] == "2026-01-04T23:00:01.500Z"


# -- SQL errors ---------------------------------------------------------------------
def test_sql_error_on_an_immediate_query(s: Scripted):
    s.rule({"sqlError": {"number": 1205, "message": "Transaction was deadlocked."}}, sql="from patients")
    response = s.immediate(FIVE_ROWS)
    assert response.status_code == 400
    assert response.json()["errorDetails"] == {"errorType": "mssql", "errorCode": 1205, "errorMessage": "Transaction was deadlocked."}
    assert s.immediate("SELECT 1").status_code == 200


def test_sql_error_on_an_async_query_fails_execution(s: Scripted):
    s.rule({"sqlError": {"number": 1205, "message": "Deadlock"}, "executingMs": 30000}, surface="async")
    query_id = s.submit()
    s.advance("20s")
    assert s.status(query_id)["status"] == "executing"
    s.advance("20s")
    body = s.status(query_id)
    assert body["status"] == "executionFailed"
    assert body["errorDetails"] == {"errorType": "mssql", "errorCode": 1205, "errorMessage": "Deadlock"}


# -- async lifecycle paths ---------------------------------------------------------------
def test_stuck_executing_for_two_hours_then_execution_failed(s: Scripted):
    s.rule({"status": "executionFailed", "executingMs": 7_200_000}, surface="async")
    query_id = s.submit()
    s.advance("1h")
    assert s.status(query_id)["status"] == "executing"
    s.advance("61m")
    assert s.status(query_id)["status"] == "executionFailed"


def test_expired_in_queue(s: Scripted):
    s.rule({"status": "expiredInQueue"}, surface="async")
    query_id = s.submit(maxTimeInQueue=60_000)
    s.advance("30s")
    assert s.status(query_id)["status"] == "queued"
    s.advance("33s")  # past queued start (after 0.5-2 s of initialising) + 60 s
    assert s.status(query_id)["status"] == "expiredInQueue"


def test_upload_failed_after_three_of_five_pages(s: Scripted):
    s.rule({"status": "uploadFailed", "failAfterPages": 3, "pageSizeBytes": 20}, surface="async")
    query_id = s.submit()
    s.advance("10s")
    body = s.status(query_id)
    assert body["status"] == "uploadFailed"
    assert body["errorDetails"]["errorType"] == "haloLink"


def test_pages_that_stay_uploading(s: Scripted):
    s.rule({"stallAfterPages": 0}, surface="async")
    query_id = s.submit()
    s.advance("1h")
    assert s.status(query_id)["status"] == "uploading"
    assert s.page(query_id).status_code == 404


def test_early_result_expiry_gives_410(s: Scripted):
    s.rule({"retentionMs": 60_000}, surface="async")
    query_id = s.submit()
    s.advance("10s")
    assert s.status(query_id)["status"] == "successful"
    assert s.page(query_id).status_code == 200
    s.advance("2m")
    assert_general_error(s.page(query_id), 410)


# -- matching ---------------------------------------------------------------------------
def test_match_on_site(s: Scripted):
    other = s.token(OTHER_SITE)
    s.rule({"error": 503}, site=OTHER_SITE)
    assert s.immediate("SELECT 1").status_code == 200
    assert s.immediate("SELECT 1", site=OTHER_SITE, token=other).status_code == 503


def test_match_on_sql_substring_and_regex(s: Scripted):
    s.rule({"error": 500}, sql="BPS_APPOINTMENTS")
    s.rule({"error": 504}, sqlRegex=r"^\s*select\s+top\s+\d+\s+internalid")
    assert s.immediate("SELECT * FROM BPS_Appointments").status_code == 500
    assert s.immediate(FIVE_ROWS).status_code == 504
    assert s.immediate("SELECT 1").status_code == 200


def test_match_on_a_header_value(s: Scripted):
    s.rule({"error": 429}, headers={"X-Correlation-Id": "case-7"})
    token = s.token()
    url = f"/device/sites/{SITE}/queries/immediate"
    plain = s.client.post(url, json={"command": {"text": "SELECT 1"}}, headers=s.headers(token))
    tagged = s.client.post(url, json={"command": {"text": "SELECT 1"}}, headers={**s.headers(token), "x-correlation-id": "case-7"})
    assert (plain.status_code, tagged.status_code) == (200, 429)


def test_ordinal_and_count_pick_which_requests_fail(s: Scripted):
    s.rule({"error": 503}, surface="immediate", ordinal=2, count=2)
    token = s.token()
    codes = [s.immediate("SELECT 1", token=token).status_code for _ in range(5)]
    assert codes == [200, 503, 503, 200, 200]
    listed = s.client.get("/_mock/scenarios").json()["rules"][0]
    assert (listed["matched"], listed["fired"]) == (5, 2)


def test_precedence_first_rule_per_kind_and_composition(s: Scripted):
    s.rule({"latency": "2s"}, surface="immediate")
    s.rule({"error": 503}, surface="immediate")
    s.rule({"error": 500, "latency": "9s"}, surface="immediate")
    token = s.token()
    assert_general_error(s.immediate("SELECT 1", token=token), 503)
    assert s.client.get("/_mock/clock").json()["now"] == "2026-01-04T23:00:02.000Z"
    entry = s.client.get("/_mock/journal", params={"status": 503}).json()["entries"][0]
    assert entry["scenarios"] == ["rule-1", "rule-2", "rule-3"]


def test_non_matching_surface_is_untouched(s: Scripted):
    s.rule({"status": "expiredInQueue"}, surface="async")
    assert s.immediate("SELECT 1").status_code == 200


# -- the rules API ------------------------------------------------------------------------
def test_rules_list_get_delete(s: Scripted):
    rule = s.rule({"error": 500}, surface="immediate")
    assert s.client.get(f"/_mock/scenarios/{rule['id']}").json()["outcome"] == {"error": 500}
    assert s.client.delete(f"/_mock/scenarios/{rule['id']}").status_code == 204
    assert s.immediate("SELECT 1").status_code == 200
    assert_general_error(s.client.delete(f"/_mock/scenarios/{rule['id']}"), 404)
    assert_general_error(s.client.get("/_mock/scenarios/nope"), 404)


def test_bulk_rules_are_all_or_nothing_and_ids_unique(s: Scripted):
    good = {"id": "a", "outcome": {"error": 500}}
    response = s.client.post("/_mock/scenarios", json={"rules": [good, {"outcome": {"error": 99}}]})
    assert_general_error(response, 400, "rule 2", "error")
    assert s.client.get("/_mock/scenarios").json()["rules"] == []
    assert s.client.post("/_mock/scenarios", json={"rules": [good]}).status_code == 201
    assert_general_error(s.client.post("/_mock/scenarios", json=good), 400, "already exists")
    assert s.client.delete("/_mock/scenarios").status_code == 204
    assert s.client.get("/_mock/scenarios").json()["rules"] == []


@pytest.mark.parametrize(
    "rule, fragment",
    [
        ({}, "body must be a rule"),
        ({"match": {}}, "outcome is required"),
        ({"outcome": {}}, "outcome is empty"),
        ({"outcome": {"status": "successful"}}, "status must be one of"),
        ({"outcome": {"error": 429, "colour": 1}}, "unknown key"),
        ({"outcome": {"retryAfter": 3}}, "only goes with error 429"),
        ({"outcome": {"latency": "soon"}}, "duration"),
        ({"outcome": {"status": "uploadFailed", "stallAfterPages": 1}}, "either uploadFailed"),
        ({"match": {"surface": "ftp"}, "outcome": {"error": 500}}, "surface must be"),
        ({"match": {"sqlRegex": "("}, "outcome": {"error": 500}}, "regular expression"),
        ({"match": {"ordinal": 0}, "outcome": {"error": 500}}, "ordinal"),
        ({"outcome": {"sqlError": {"message": "x"}}}, "number"),
    ],
)
def test_bad_rules_are_400_with_a_clear_message(s: Scripted, rule, fragment):
    assert_general_error(s.client.post("/_mock/scenarios", json=rule), 400, fragment)


def test_reset_clears_rules_and_counters(s: Scripted):
    s.rule({"error": 500})
    s.client.post("/_mock/reset")
    assert s.client.get("/_mock/scenarios").json()["rules"] == []


# -- SQL-comment directives ---------------------------------------------------------------
def test_directive_expired_in_queue(s: Scripted):
    query_id = s.submit("SELECT 1 /* mock-halo: status=expiredInQueue */", maxTimeInQueue=1000)
    s.advance("5s")
    assert s.status(query_id)["status"] == "expiredInQueue"


def test_directive_error_and_sql_error(s: Scripted):
    assert_general_error(s.immediate("SELECT 1 /* mock-halo: error=429 retryAfter=3 */"), 429, "3 seconds")
    response = s.immediate('SELECT 1 -- mock-halo: sqlError=1205 "Transaction was deadlocked"')
    assert response.json()["errorDetails"]["errorMessage"] == "Transaction was deadlocked"


def test_directive_beats_rules(s: Scripted):
    s.rule({"error": 500}, surface="immediate")
    assert_general_error(s.immediate("SELECT 1 /* mock-halo: error=504 */"), 504)


@pytest.mark.parametrize("comment", ["/* mock-halo: error */", "/* mock-halo: status=done */", "/* mock-halo: error=abc */"])
def test_malformed_directive_is_400(s: Scripted, comment):
    assert_general_error(s.immediate(f"SELECT 1 {comment}"), 400, "mock-halo")


def test_a_rule_added_after_traffic_applies_to_the_next_request(s: Scripted):
    token = s.token()
    assert s.immediate("SELECT 1", token=token).status_code == 200
    rule = s.rule({"error": 503}, surface="immediate", site=SITE)
    assert s.immediate("SELECT 1", token=token).status_code == 503
    s.client.delete(f"/_mock/scenarios/{rule['id']}")
    assert s.immediate("SELECT 1", token=token).status_code == 200


def test_many_non_matching_rules_change_nothing(s: Scripted):
    rules = [{"match": {"sql": f"no-such-text-{i}"}, "outcome": {"error": 500}} for i in range(100)]
    assert s.client.post("/_mock/scenarios", json={"rules": rules}).status_code == 201
    token = s.token()
    assert s.immediate("SELECT 1", token=token).status_code == 200
    assert s.client.get("/_mock/journal", params={"surface": "immediate"}).json()["entries"][0]["scenarios"] == []


# -- FHIR surface -------------------------------------------------------------------------------
def test_fhir_rules_match_the_resource_type(s: Scripted):
    s.rule({"error": 503}, surface="fhir", fhirResource="Patient")
    s.rule({"error": 429, "retryAfter": 4}, surface="fhir", fhirResource="Observation")
    headers = s.headers(s.token())
    patient = s.client.get(f"/device/sites/{SITE}/fhir/R4/Patient?family=Smith", headers=headers)
    assert_general_error(patient, 503, "could not be contacted")
    observation = s.client.get(f"/device/sites/{SITE}/fhir/R4/Observation", headers=headers)
    assert observation.status_code == 429 and observation.headers["Retry-After"] == "4"
    assert observation.json()["resourceType"] == "OperationOutcome"
    other = s.client.get(f"/device/sites/{SITE}/fhir/R4/Practitioner", headers=headers)
    assert other.status_code not in (429, 503)
    entry = s.client.get("/_mock/journal", params={"surface": "fhir", "status": 503}).json()["entries"][0]
    assert entry["scenarios"] == ["rule-1"]


# -- status polls and result pages (surface "query") ---------------------------------------------
def test_query_rules_reach_polls_and_pages_only_when_named(s: Scripted):
    query_id = s.submit()
    s.advance("1m")
    headers = s.headers(s.token())
    s.rule({"error": 503})  # no surface: submissions and tokens only, as before polls could be matched
    assert s.client.get(f"/device/sites/{SITE}/queries/{query_id}", headers=headers).json()["status"] == "successful"
    s.client.delete("/_mock/scenarios")
    s.rule({"error": 429, "retryAfter": 3}, surface="query", count=2)
    poll = s.client.get(f"/device/sites/{SITE}/queries/{query_id}", headers=headers)
    assert poll.status_code == 429 and poll.headers["Retry-After"] == "3"
    page = f"/device/sites/{SITE}/queries/{query_id}/results/1"
    assert_general_error(s.client.get(page, headers=headers), 429, "3 seconds")
    assert s.client.get(page, headers=headers).status_code == 200
    polls = s.client.get("/_mock/journal", params={"surface": "query"}).json()["entries"]
    assert [(e["status"], e["scenarios"]) for e in polls[-3:]] == [(429, ["rule-2"]), (429, ["rule-2"]), (200, [])]


def test_query_rules_answer_before_authentication_and_add_latency(s: Scripted):
    s.rule({"error": 504}, surface="query", site=SITE)
    assert_general_error(s.client.get(f"/device/sites/{SITE}/queries/anything"), 504, "30 seconds")
    assert s.client.get(f"/device/sites/{OTHER_SITE}/queries/anything").status_code == 401
    s.client.delete("/_mock/scenarios")
    s.rule({"latency": "5s"}, surface="query")
    query_id = s.submit()
    s.advance("1m")
    before = s.client.get("/_mock/clock").json()["now"]
    s.status(query_id)
    assert (before, s.client.get("/_mock/clock").json()["now"]) == ("2026-01-04T23:01:00.000Z", "2026-01-04T23:01:05.000Z")
