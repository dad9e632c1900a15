"""Helpers for the FHIR tests: a FHIR client over the Halo test helper and R4B validation."""

from __future__ import annotations

import json
from typing import Any

from conftest import SITE, Halo
from fhir.resources.R4B import get_fhir_model_class


def validate(resource: dict[str, Any]) -> None:
    """Validate with the R4B models (a Bundle validates its entries, contained resources too)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


#: FHIR clients ask for FHIR's own media type; without it the facade answers application/json.
FHIR_ACCEPT = {"Accept": "application/fhir+json"}


class Fhir:
    """GET/POST FHIR URLs of one site with a device token, asking for application/fhir+json."""

    def __init__(self, halo: Halo, site: str = SITE, prefix: str = "device") -> None:
        self.halo = halo
        self.headers = {**halo.headers(halo.token(site)), **FHIR_ACCEPT}
        self.base = f"/{prefix}/sites/{site}/fhir/R4/"

    def get(self, path: str, **kwargs: Any):
        return self.halo.client.get(self.base + path, headers=self.headers, **kwargs)

    def post_search(self, resource: str, data: Any, **kwargs: Any):
        return self.halo.client.post(self.base + f"{resource}/_search", data=data, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any, content_type: str = "application/fhir+json", **kwargs: Any):
        """POST a resource (dict -> JSON; bytes/str sent as is)."""
        return self._send("POST", path, body, content_type, **kwargs)

    def put(self, path: str, body: Any, content_type: str = "application/fhir+json", **kwargs: Any):
        return self._send("PUT", path, body, content_type, **kwargs)

    def _send(self, method: str, path: str, body: Any, content_type: str, **kwargs: Any):
        content = json.dumps(body) if isinstance(body, dict | list) else body
        headers = {**self.headers, "Content-Type": content_type}
        return self.halo.client.request(method, self.base + path, content=content, headers=headers, **kwargs)

    def ok(self, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.get(path, **kwargs)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+json")
        body = response.json()
        validate(body)
        return body

    def all_pages(self, path: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Follow next links; every match entry's resource, and the first bundle."""
        first = body = self.ok(path)
        found = [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]
        while (nxt := next((link["url"] for link in body["link"] if link["relation"] == "next"), None)) is not None:
            relative = nxt.split("/fhir/R4/", 1)[1]
            body = self.ok(relative)
            assert body["total"] == first["total"]
            found += [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]
        return found, first


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def assert_outcome(response, status: int, code: str, *fragments: str) -> dict[str, Any]:
    """An OperationOutcome, in the media type the request asked for (application/json unless it
    asked for application/fhir+json)."""
    assert response.status_code == status, response.text
    asked = response.request.headers.get("accept", "")
    wanted = "application/fhir+json" if "fhir+json" in asked else "application/json"
    assert response.headers["content-type"].split(";")[0] == wanted, (asked, response.headers["content-type"])
    body = response.json()
    validate(body)
    issue = body["issue"][0]
    assert issue["code"] == code, issue
    for fragment in fragments:
        assert fragment.lower() in issue["details"]["text"].lower(), issue
    return issue
