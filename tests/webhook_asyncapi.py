"""Checks a received webhook against Halo's AsyncAPI document (contracts/upstream).

The document is parsed, not copied: the payload schema (required fields, types,
``uuid``/``date-time`` formats, the ``webhookSource`` enum), the header names
and the ``x-verification`` signature definition all come from it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import yaml

DOCUMENT = Path(__file__).resolve().parent.parent / "contracts" / "upstream" / "halo-webhooks-asyncapi.yml"


@lru_cache(maxsize=1)
def asyncapi() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def message() -> dict[str, Any]:
    return asyncapi()["components"]["messages"]["QueryCompletedNotification"]


@lru_cache(maxsize=1)
def payload_validator():
    schema = dict(asyncapi()["components"]["schemas"]["QueryCompletedPayload"])
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def timestamp_shape() -> re.Pattern[str]:
    """The shape of the document's own occurredAt example (7 fractional digits and an offset)."""
    example = message()["examples"][0]["payload"]["occurredAt"]
    pattern = re.sub(r"\d", r"\\d", re.escape(example))
    return re.compile(f"^{pattern}$")


def assert_matches_asyncapi(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """The payload validates, the headers are the documented ones and the signature is as defined."""
    document = asyncapi()
    msg = message()
    assert msg["contentType"] == "application/json"
    payload = orjson.loads(body)
    errors = [e.message for e in payload_validator().iter_errors(payload)]
    assert not errors, errors
    assert set(payload) == set(msg["payload"] and document["components"]["schemas"]["QueryCompletedPayload"]["properties"])
    shape = timestamp_shape()
    assert shape.match(payload["occurredAt"]), payload["occurredAt"]

    documented = msg["headers"]["properties"]
    sent = {name.lower(): value for name, value in headers.items()}
    for name, spec in documented.items():
        assert name.lower() in sent, f"{name} missing from {sorted(headers)}"
        assert spec["type"] == "string" and isinstance(sent[name.lower()], str)
    assert sent["x-halo-id"] == payload["id"]  # "mirrors payload id"
    assert shape.match(sent["x-halo-timestamp"]), sent["x-halo-timestamp"]

    verification = document["x-verification"]
    assert verification["signature_header"] in documented
    assert verification["algorithm"] == "HMAC-SHA256"
    assert verification["signed_content"] == 'raw JSON body + "." + X-Halo-Timestamp value'
    assert verification["encoding"] == "lowercase hex (64 chars)"
    assert re.fullmatch(r"[0-9a-f]{64}", sent[verification["signature_header"].lower()])
    return payload


def expected_signature(body: bytes, timestamp: str, secret: str) -> str:
    """The signature exactly as x-verification defines it, computed here independently."""
    return hmac.new(secret.encode(), body + b"." + timestamp.encode(), hashlib.sha256).hexdigest()
