"""Every request example in our contract (contracts/openapi.yaml) works as written against the emulator.

An integrator copies these; the stored-procedure example once failed with error 201 (a required
procedure parameter missing)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import KEY, SITE

from mock_halo import resources


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _examples() -> list[tuple[str, str, str, str, Any]]:
    document = resources.contract()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            body = _resolve(document, operation["requestBody"])
            for media, content in body.get("content", {}).items():
                for name, example in (content.get("examples") or {}).items():
                    example = _resolve(document, example)
                    if "value" in example:
                        found.append((method.upper(), path, media, name, example["value"]))
    return found


EXAMPLES = _examples()


def test_the_contract_has_request_examples():
    assert any(name == "storedProcedure" for _, _, _, name, _ in EXAMPLES)


@pytest.mark.parametrize("method, path, media, name, value", EXAMPLES,
                         ids=[f"{m} {p} {n}" for m, p, _, n, _ in EXAMPLES])
def test_request_example_works_as_written(halo, client, method, path, media, name, value):
    # The path parameters an integrator fills in: the site, the FHIR type, and for an update the
    # resource's own id (a FHIR update names it in the body too).
    resource_id = str(value.get("id", "1")) if isinstance(value, dict) else "1"
    url = (path.replace("{siteId}", SITE).replace("{fhirParameters}", "Patient").replace("{resource}", "Patient")
           .replace("{id}", resource_id))
    assert "{" not in url, f"no value for a path parameter of {path}"
    # The Integrator API (and the token endpoint) takes the key alone; Device and Desktop a token.
    uses_token = "/sites/" in path and not path.startswith("/integrator/")
    headers = halo.headers(halo.token()) if uses_token else {"Ocp-Apim-Subscription-Key": KEY}
    if isinstance(value, dict) and "site_id" in value:
        value = {**value, "site_id": SITE}
    if media.endswith("json"):
        response = client.request(method, url, json=value, headers={**headers, "Content-Type": media})
    else:
        response = client.request(method, url, data=value, headers={**headers, "Content-Type": media})
    assert response.status_code < 300, f"{name}: {response.status_code} {response.text[:500]}"
