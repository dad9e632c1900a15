"""Result pages, page downloads and retention (halo-facts 6.5, 6.6)."""

from __future__ import annotations

import base64
from datetime import timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.errors import HaloError
from mock_halo.lifecycle.pages import split_pages
from mock_halo.lifecycle.plan import PlanOverride
from mock_halo.lifecycle.profile import LifecycleLimits
from mock_halo.lifecycle.testing import World

rows_strategy = st.lists(
    st.dictionaries(st.sampled_from(["a", "Name", "DOB", "n"]),
                    st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.text(max_size=60)),
                    max_size=4),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, page_size=st.integers(2, 400))
def test_pages_cover_every_row_once_in_order_within_the_size_limit(rows, page_size) -> None:
    pages = split_pages(orjson.dumps(rows), page_size)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    decoded = []
    next_start = 0
    for page in pages:
        page_rows = orjson.loads(page.data)
        assert page.size == len(page.data)
        assert page.count == len(page_rows) and page.range_start == next_start
        assert page.range_end == page.range_start + page.count - 1
        assert page.size <= page_size or page.count == 1  # only a single oversize row may exceed
        decoded += page_rows
        next_start += page.count
    assert decoded == rows
    if not rows:
        assert len(pages) == 1 and pages[0].data == b"[]"


def test_one_mib_default_pages_and_oversize_row() -> None:
    row = {"pad": "x" * 1000}
    pages = split_pages(orjson.dumps([row] * 3000), 1024 * 1024)
    assert len(pages) == 3 and all(p.size <= 1024 * 1024 for p in pages)
    big = split_pages(orjson.dumps([{"a": 1}, {"pad": "y" * 5000}, {"a": 2}]), 1000)
    assert [p.count for p in big] == [1, 1, 1] and big[1].size > 1000


def test_download_body_and_headers() -> None:
    world = World()
    query = world.submit("rows:25 pad:40", plan_override=PlanOverride(page_size_bytes=500))
    world.advance(60)
    body = world.status(query)
    pages = body["result"]["pages"]
    assert len(pages) > 2
    seen = []
    for page in pages:
        download = world.lifecycle.page("site-a", query.id, page["pageNumber"])
        data = base64.b64decode(download.body["data"])
        assert download.raw == data and "parameters" not in download.body
        assert download.headers == {
            "Size": str(page["size"]), "Rows-Count": str(page["rows"]["count"]),
            "Rows-Range-Start": str(page["rows"]["rangeStart"]), "Rows-Range-End": str(page["rows"]["rangeEnd"]),
        }
        assert int(download.headers["Size"]) == len(data)
        seen += [row["n"] for row in orjson.loads(data)]
    assert seen == list(range(25))


def _error(call) -> HaloError:
    with pytest.raises(HaloError) as info:
        call()
    return info.value


def test_unknown_page_and_not_yet_successful_are_404() -> None:
    world = World()
    query = world.submit("rows:3")
    assert _error(lambda: world.lifecycle.page("site-a", query.id, 1)).status == 404  # still initialising
    world.advance(60)
    for number in (0, 2, 99):
        error = _error(lambda n=number: world.lifecycle.page("site-a", query.id, n))
        assert error.status == 404 and "was not found" in error.message
    assert _error(lambda: world.lifecycle.page("site-a", "nope", 1)).status == 404


def test_page_still_uploading_is_404_with_a_clear_message() -> None:
    world = World()
    query = world.submit("rows:30 pad:100", plan_override=PlanOverride(page_size_bytes=1200, page_upload_ms=1000))
    world.run_until(query, "successful")
    error = _error(lambda: world.lifecycle.page("site-a", query.id, 3))
    assert error.status == 404 and "still" in error.message and "cached" in error.message
    world.advance(60)
    assert world.lifecycle.page("site-a", query.id, 3).body["data"]


def test_pages_are_gone_after_retention_then_forgotten() -> None:
    world = World(limits=LifecycleLimits(retention=timedelta(hours=24), tombstone=timedelta(hours=24)))
    query = world.submit("rows:3")
    body = world.run_until(query, "successful")
    world.advance(24 * 3600 - 60)
    assert world.lifecycle.page("site-a", query.id, 1).body["data"]
    world.advance(61)
    assert _error(lambda: world.lifecycle.page("site-a", query.id, 1)).status == 410
    assert world.status(query)["status"] == "successful"  # the record remains for a while
    assert query.result.pages[0].data is None  # the data itself is freed
    world.advance(24 * 3600)
    assert _error(lambda: world.lifecycle.page("site-a", query.id, 1)).status == 404
    assert _error(lambda: world.status(query)).status == 404
    assert body["completedAt"]


def test_per_query_early_expiry() -> None:
    world = World()
    query = world.submit("rows:3", plan_override=PlanOverride(retention_ms=60_000))
    world.run_until(query, "successful")
    world.advance(61)
    assert _error(lambda: world.lifecycle.page("site-a", query.id, 1)).status == 410


def test_immediate_records_have_no_pages() -> None:
    from mock_halo.clock import DEFAULT_EPOCH
    from mock_halo.lifecycle.model import QueryRecord

    world = World()
    world.store.add(QueryRecord(id="imm", integrator_id="i", site_id="site-a", mode="immediate", max_time_in_queue=1,
                                command_size=1, request_size=1, sql_query_size=1, created_at=DEFAULT_EPOCH,
                                status="successful"))
    assert world.lifecycle.status("site-a", "imm")["mode"] == "immediate"
    assert _error(lambda: world.lifecycle.page("site-a", "imm", 1)).status == 404
