"""Result pages of async queries (halo-facts 6.5, 6.6).

A result (the engine's UTF-8 JSON array of row objects) is split into pages
of at most ``page_size_bytes`` each: rows are never split, a row larger than
the limit gets a page of its own. Each page is re-serialised compactly, so its
``size`` is the byte length of exactly the JSON the page download returns.

Pages upload one after another from the start of ``uploading``: a page is
``queued`` before its upload starts, ``uploading`` during it and ``cached``
after it (``end is None``: it never finishes).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

PAGE_QUEUED = "queued"
PAGE_UPLOADING = "uploading"
PAGE_CACHED = "cached"


@dataclass
class Page:
    number: int  # from 1
    range_start: int  # 0-based index of the first row (halo-facts 16.5)
    count: int
    size: int
    data: bytes | None  # the page's JSON array; None once retention has dropped it
    upload_start: datetime | None = None
    upload_end: datetime | None = None

    @property
    def range_end(self) -> int:
        """0-based inclusive; an empty page has ``range_start - 1``."""
        return self.range_start + self.count - 1

    def status_at(self, t: datetime) -> str:
        if self.upload_start is None or t < self.upload_start:
            return PAGE_QUEUED
        if self.upload_end is None or t < self.upload_end:
            return PAGE_UPLOADING
        return PAGE_CACHED

    def render(self, t: datetime) -> dict[str, Any]:
        status = self.status_at(t)
        return {
            "pageNumber": self.number,
            "status": status,
            # The [SEED] sample shows a queued page with size 0: the size is
            # known once Link starts uploading it (INFERENCE).
            "size": 0 if status == PAGE_QUEUED else self.size,
            "rows": {"count": self.count, "rangeStart": self.range_start, "rangeEnd": self.range_end},
        }


_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


def _rows(data: bytes) -> Iterator[bytes]:
    """Each row of a JSON array, re-serialised compactly, one at a time.

    Rows are decoded one by one (``raw_decode``) rather than the whole array at
    once: a result of a few hundred thousand rows would otherwise sit in memory
    as that many dicts (a 12 MB result took 850 MB to split).
    """
    text = data.decode("utf-8")
    end = len(text)
    i = _skip(text, 0)
    if i >= end or text[i] != "[":
        raise ValueError("result data is not a JSON array")
    i = _skip(text, i + 1)
    if i < end and text[i] == "]":
        return
    while True:
        value, i = _DECODER.raw_decode(text, i)
        try:
            yield orjson.dumps(value)
        except TypeError:  # e.g. integers beyond 64 bits
            yield json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        i = _skip(text, i)
        if i < end and text[i] == ",":
            i = _skip(text, i + 1)
            continue
        if i < end and text[i] == "]":
            return
        raise ValueError("result data is not a JSON array")


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def split_pages(data: bytes, page_size_bytes: int) -> list[Page]:
    """Split a result into pages; an empty result is one page holding ``[]``."""
    pages: list[Page] = []
    chunk: list[bytes] = []
    chunk_size = 2  # the brackets
    first_row = 0
    index = 0

    def flush() -> None:
        body = b"[" + b",".join(chunk) + b"]"
        pages.append(Page(len(pages) + 1, first_row, len(chunk), len(body), body))

    for row in _rows(data):
        extra = len(row) + (1 if chunk else 0)
        if chunk and chunk_size + extra > page_size_bytes:
            flush()
            chunk, chunk_size, first_row = [], 2, index
            extra = len(row)
        chunk.append(row)
        chunk_size += extra
        index += 1
    if chunk or not pages:
        flush()
    return pages


@dataclass(frozen=True)
class PageDownload:
    """A page as ``GET …/results/{pageNumber}`` answers it (halo-facts 6.6)."""

    body: dict[str, Any]
    headers: dict[str, str]
    #: the page's JSON array as bytes: the body of the ``/stream`` variant (6.7).
    raw: bytes


def download(page: Page, parameters: list[dict[str, Any]] | None) -> PageDownload:
    assert page.data is not None
    body: dict[str, Any] = {"data": base64.b64encode(page.data).decode("ascii")}
    if parameters:
        body["parameters"] = parameters
    return PageDownload(body, _headers(page.size, page.count, page.range_start, page.range_end), page.data)


def nonquery_download(parameters: list[dict[str, Any]] | None) -> PageDownload:
    """Page 1 of a nonQuery result: the spec's "Non Query Result" body, ``{parameters?}``."""
    body: dict[str, Any] = {}
    if parameters:
        body["parameters"] = parameters
    return PageDownload(body, _headers(0, 0, 0, -1), b"[]")


def _headers(size: int, count: int, start: int, end: int) -> dict[str, str]:
    return {"Size": str(size), "Rows-Count": str(count), "Rows-Range-Start": str(start), "Rows-Range-End": str(end)}
