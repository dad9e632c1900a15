"""Small checks of Halo's documented response shapes, shared by the contract tests.

Each takes an httpx response and asserts only what Halo documents (halo-facts
5, 10, 13), so the same check holds for the emulator and a real Halo Cloud.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

#: Halo's gateway (Azure APIM) may answer in its own shape: {"statusCode": 401, "message": "..."} (halo-facts 10.1.4).
GENERAL = "general"
GATEWAY = "gateway"


def media_type(response: Any) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def json_body(response: Any) -> Any:
    kind = media_type(response)
    assert kind.endswith("json"), f"expected a JSON body, got content-type {kind!r}: {response.text[:200]}"
    try:
        return response.json()
    except ValueError as exc:  # pragma: no cover - the assertion message is the point
        raise AssertionError(f"body is not JSON: {response.text[:200]}") from exc


def check_error(response: Any, status: int | tuple[int, ...]) -> str:
    """A documented error envelope with this status; returns which shape it was.

    General: ``{"error": {"status", "statusText", "message"}}``; the gateway's
    ``{"statusCode", "message"}`` is accepted too (Halo's APIM front door).
    """
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, f"expected HTTP {statuses}, got {response.status_code}: {response.text[:300]}"
    body = json_body(response)
    assert isinstance(body, dict), body
    if "error" in body:
        error = body["error"]
        assert isinstance(error, dict), body
        assert error.get("status") == response.status_code, body
        assert isinstance(error.get("statusText"), str) and error["statusText"], body
        assert isinstance(error.get("message"), str) and error["message"], body
        return GENERAL
    assert body.get("statusCode") == response.status_code, f"neither the general nor the gateway error shape: {body}"
    assert isinstance(body.get("message"), str) and body["message"], body
    return GATEWAY


def check_operation_outcome(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    """A FHIR ``OperationOutcome`` with at least one issue carrying severity and code."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, f"expected HTTP {statuses}, got {response.status_code}: {response.text[:300]}"
    body = json_body(response)
    assert body.get("resourceType") == "OperationOutcome", body
    issues = body.get("issue")
    assert isinstance(issues, list) and issues, body
    for issue in issues:
        assert issue.get("severity") in ("fatal", "error", "warning", "information"), issue
        assert isinstance(issue.get("code"), str) and issue["code"], issue
    return body


def decode_rows(data: str) -> list[dict[str, Any]]:
    """``result.data``: base64 of a UTF-8 JSON array of row objects (halo-facts 8)."""
    try:
        rows = json.loads(base64.b64decode(data, validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise AssertionError(f"result.data is not base64 of JSON: {data[:80]!r}") from exc
    assert isinstance(rows, list), rows
    assert all(isinstance(row, dict) for row in rows), rows
    return rows


IMMEDIATE_REQUIRED = ("id", "integratorId", "siteId", "mode", "status", "maxTimeInQueue", "commandSize", "createdAt", "updatedAt", "requestSize")


def check_immediate_success(body: dict[str, Any], site_id: str) -> list[dict[str, Any]]:
    """``SuccessfulImmediateQuery`` (halo-facts 5.2); returns the decoded rows."""
    missing = [name for name in (*IMMEDIATE_REQUIRED, "statusTiming", "metrics", "result", "completedAt") if name not in body]
    assert not missing, f"missing fields {missing}: {body}"
    assert body["mode"] == "immediate" and body["status"] == "successful", body
    assert body["siteId"].lower() == site_id.lower(), body
    assert {"initialising", "executing"} <= set(body["statusTiming"]), body["statusTiming"]
    assert isinstance(body["metrics"].get("sqlExecutionDuration"), int), body["metrics"]
    result = body["result"]
    for name in ("rows", "size"):
        assert isinstance(result.get(name), int), result
    rows = decode_rows(result["data"])
    assert len(rows) == result["rows"], (len(rows), result["rows"])
    return rows


def check_execution_failed(body: dict[str, Any]) -> dict[str, Any]:
    """``ExecutionFailedImmediateQuery``: ``errorDetails {errorType, errorCode, errorMessage}`` (halo-facts 5.3)."""
    assert body.get("status") == "executionFailed", body
    details = body.get("errorDetails")
    assert isinstance(details, dict), body
    assert details.get("errorType") in ("http", "mssql", "fbsql", "haloLink"), details
    assert isinstance(details.get("errorCode"), int), details
    assert isinstance(details.get("errorMessage"), str) and details["errorMessage"], details
    assert "completedAt" in body, body
    return details
