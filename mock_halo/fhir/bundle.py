"""Bundles: ``searchset`` with total, entries and self/next/previous links through the Halo URL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import orjson

from mock_halo.fhir.search import Mapped

OFFSET_PARAM = "_getpagesoffset"


def page_url(base: str, resource: str, pairs: list[tuple[str, str]], offset: int, count: int) -> str:
    """The GET URL of one page: the original parameters (minus paging), then ``_count`` and the offset."""
    return _page_url(base, resource, tuple(pairs), offset, count)


@lru_cache(maxsize=256)
def _page_url(base: str, resource: str, pairs: tuple[tuple[str, str], ...], offset: int, count: int) -> str:
    kept = [(k, v) for k, v in pairs if k not in (OFFSET_PARAM, "_count")]
    kept.append(("_count", str(count)))
    if offset:
        kept.append((OFFSET_PARAM, str(offset)))
    return f"{base}{resource}?{urlencode(kept)}"


def entry(base: str, resource: Mapped | dict[str, Any], mode: str) -> dict[str, Any]:
    """One entry; a :class:`Mapped` resource goes in as its JSON, unparsed."""
    if isinstance(resource, Mapped):
        kind, resource_id, body = resource.type, resource.id, orjson.Fragment(resource.json)
    else:
        kind, resource_id, body = resource["resourceType"], resource["id"], resource
    return {"fullUrl": f"{base}{kind}/{resource_id}", "resource": body, "search": {"mode": mode}}


def searchset(*, bundle_id: str, base: str, resource: str, pairs: list[tuple[str, str]], total: int, offset: int,
              count: int, matches: list[Mapped] | list[dict[str, Any]], included: list[Mapped],
              last_updated: str) -> dict[str, Any]:
    """A searchset Bundle for one page."""
    links = [{"relation": "self", "url": page_url(base, resource, pairs, offset, count)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": page_url(base, resource, pairs, offset + count, count)})
    if count and offset > 0:
        links.append({"relation": "previous", "url": page_url(base, resource, pairs, max(0, offset - count), count)})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"lastUpdated": last_updated},
        "type": "searchset",
        "total": total,
        "link": links,
    }
    entries = [entry(base, r, "match") for r in matches] + [entry(base, r, "include") for r in included]
    if entries:
        bundle["entry"] = entries
    return bundle
