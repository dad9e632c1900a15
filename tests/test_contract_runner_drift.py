"""Drift: response shapes recorded from one target, diffed against another."""

from __future__ import annotations

import json
from pathlib import Path

from mock_halo.contract.drift import ShapeRecorder, compare, load, operation, shape_of
from mock_halo.contract.target import Target, TargetConfig
from tests.test_contract_runner import run_cli

SITE = "b0586976-33f4-4d47-bc77-821ee9f45e34"


def snapshot_of(*responses: tuple[str, str, int, dict, object], headers: dict[str, str] | None = None) -> dict:
    recorder = ShapeRecorder()
    for method, path, status, _, body in responses:
        content = json.dumps(body).encode()
        recorder.add(method, path, status, "application/json; charset=utf-8", headers or {"Content-Type": "application/json"}, content)
    return recorder.snapshot({"kind": "test"})


QUERY = {"id": "a1", "status": "successful", "result": {"rows": 2, "data": "W3sib25lIjogMX1d"}, "metrics": {"sqlExecutionDuration": 12}}


def status_response(body, status=200, site=SITE, query="0c1d7a8e-1111-4d3c-9a43-8f9b3b2f1a10"):
    return ("GET", f"/desktop/sites/{site}/queries/{query}", status, {}, body)


def test_value_changes_are_not_drift() -> None:
    other = {"id": "zz-other", "status": "executionFailed", "result": {"rows": 99, "data": "eA=="}, "metrics": {"sqlExecutionDuration": 0}}
    # Another site, another query id, the device prefix: the same operation.
    moved = ("GET", "/device/sites/11111111-2222-3333-4444-555555555555/queries/q-2", 200, {}, other)
    report = compare(snapshot_of(status_response(QUERY)), snapshot_of(moved))
    assert report.ok and report.compared == 1, report.lines()


def test_a_changed_missing_and_extra_field_are_drift() -> None:
    changed = {**QUERY, "result": {"rows": "2", "data": "x"}, "completedAt": "2026-01-01T00:00:00Z"}
    del changed["metrics"]
    report = compare(snapshot_of(status_response(QUERY)), snapshot_of(status_response(changed)))
    found = {(d.where, d.kind) for d in report.drifts}
    assert found == {("body.result.rows", "changed"), ("body.metrics", "missing"), ("body.completedAt", "extra")}, report.lines()
    text = "\n".join(report.lines())
    assert "GET {api}/sites/{siteId}/queries/{queryId} -> 200: body.result.rows changed: snapshot integer, here string" in text
    assert "body.metrics is missing" in text and "body.completedAt is extra" in text


def test_array_elements_merge_and_null_is_compatible() -> None:
    halo = {"entry": [{"a": 1}, {"b": "x"}], "note": None}
    emulator = {"entry": [{"a": 2, "b": "y"}], "note": "text"}
    bundle = ("GET", f"/desktop/sites/{SITE}/fhir/R4/Patient", 200, {}, None)
    report = compare(snapshot_of(bundle[:4] + (halo,)), snapshot_of(bundle[:4] + (emulator,)))
    assert report.ok, report.lines()
    report = compare(snapshot_of(bundle[:4] + (halo,)), snapshot_of(bundle[:4] + ({"entry": [{"a": 2}], "note": None},)))
    assert [(d.where, d.kind) for d in report.drifts] == [("body.entry[].b", "missing")]


def test_status_codes_content_types_and_headers_are_compared() -> None:
    recorder = ShapeRecorder()
    recorder.add("POST", "/integrator/token", 200, "application/json", {"Content-Type": "x", "Cache-Control": "no-store", "Date": "d"}, b"{}")
    here = ShapeRecorder()
    here.add("POST", "/integrator/token", 200, "text/plain", {"Content-Type": "x", "Date": "other"}, b"{}")
    here.add("POST", "/integrator/token", 401, "application/json", {}, b'{"error": {}}')
    report = compare(recorder.snapshot(), here.snapshot())
    # A text body where JSON was: the media type and the body's shape both changed.
    assert {(d.where, d.kind) for d in report.drifts} == {("content-type", "changed"), ("body", "changed"), ("header cache-control", "missing")}
    assert report.only_here == ["POST /integrator/token -> 401"] and not report.only_in_snapshot


def test_operations_are_named_without_ids() -> None:
    assert operation("GET", f"/desktop/sites/{SITE}/queries/q1/results/3") == "GET {api}/sites/{siteId}/queries/{queryId}/results/{pageNumber}"
    assert operation("GET", f"/device/sites/{SITE}/fhir/R4/Patient/P123?_format=json") == "GET {api}/sites/{siteId}/fhir/R4/Patient/{id}"
    assert operation("DELETE", f"/device/sites/{SITE}/queries/registered/r-9") == "DELETE {api}/sites/{siteId}/queries/registered/{queryId}"
    assert operation("GET", f"/device/sites/{SITE}/fhir/R4/Patient/p1/$summary") == "GET {api}/sites/{siteId}/fhir/R4/Patient/{id}/$summary"


def test_a_recorded_snapshot_holds_no_values(tmp_path: Path) -> None:
    with Target.open(TargetConfig()) as target:
        target.recorder = ShapeRecorder()
        response = target.client().post(
            target.path("/queries/immediate"), json={"command": {"text": "SELECT 'Secret-Value-42' AS s"}}, headers=target.auth_headers()
        )
        assert response.status_code == 200, response.text
        target.client().get(target.path("/fhir/R4/Patient?_count=3"), headers=target.auth_headers())
        target.control().advance(1)  # control calls are not recorded
        path = tmp_path / "shapes.json"
        target.recorder.write(path, target.describe())
    text = path.read_text()
    data = load(path)
    assert set(data["operations"]) == {
        "POST /integrator/token -> 200",
        "POST {api}/sites/{siteId}/queries/immediate -> 200",
        "GET {api}/sites/{siteId}/fhir/R4/Patient -> 200",
    }
    for value in (SITE, "Secret-Value-42", response.json()["id"], response.json()["result"]["data"], "mock-halo-contract"):
        assert value not in text
    patient = data["operations"]["GET {api}/sites/{siteId}/fhir/R4/Patient -> 200"]["body"]["object"]["entry"]["array"]["object"]
    assert patient["resource"]["object"]["resourceType"] == "string"


def record_in_process() -> dict:
    """What the CLI run below records: a token, an immediate SELECT and the CapabilityStatement."""
    with Target.open(TargetConfig()) as target:
        target.recorder = ShapeRecorder()
        assert target.client().post(
            target.path("/queries/immediate"), json={"command": {"text": "SELECT 1 AS one"}}, headers=target.auth_headers()
        ).status_code == 200
        assert target.client().get(target.path("/fhir/R4/metadata"), headers=target.auth_headers()).status_code == 200
        return target.recorder.snapshot()


def test_cli_records_shapes_and_reports_drift_failing_or_warning(tmp_path: Path) -> None:
    selection = ("-k", "test_basics and (immediate_select or fhir_capability)")
    # A snapshot "from Halo": the emulator's shapes plus a field it lacks and a field typed differently.
    halo = record_in_process()
    body = halo["operations"]["POST {api}/sites/{siteId}/queries/immediate -> 200"]["body"]["object"]
    body["haloOnlyField"] = "string"
    body["commandSize"] = "string"
    snapshot = tmp_path / "halo-shapes.json"
    snapshot.write_text(json.dumps(halo))
    recorded = tmp_path / "emulator-shapes.json"

    drifted = run_cli("--record-shapes", str(recorded), "--compare-shapes", str(snapshot), *selection)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    out = drifted.stdout
    assert "shape drift: 2 difference(s) over 3 operation/status pair(s) compared" in out
    assert "body.haloOnlyField is missing (snapshot: string)" in out
    assert "body.commandSize changed: snapshot string, here integer" in out
    assert "FAILED (exit 1)" in out and "3 operation/status pair(s) written to" in out
    # What the CLI recorded is what the same requests give in-process: no drift between them.
    report = compare(record_in_process(), load(recorded))
    assert report.ok and report.compared == 3, report.lines()

    warned = run_cli("--compare-shapes", str(snapshot), "--drift", "warn", *selection)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "body.haloOnlyField is missing" in warned.stdout and "as a warning" in warned.stdout


def test_shape_of_keeps_types_only() -> None:
    assert shape_of({"a": [1, 2.5, None], "b": True}) == {"object": {"a": {"array": {"anyOf": ["integer", "number"]}}, "b": "boolean"}}
    assert shape_of([]) == {"array": "empty"}


def test_comparing_against_a_snapshot_with_nothing_in_common_fails(tmp_path: Path) -> None:
    snapshot = tmp_path / "other.json"
    recorder = ShapeRecorder()
    recorder.add("GET", "/somewhere/else", 200, "application/json", {}, b"{}")
    recorder.write(snapshot)
    result = run_cli("--compare-shapes", str(snapshot), "-k", "test_basics and fhir_capability")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nothing was compared" in result.stdout
