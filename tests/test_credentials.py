"""Credentials are read off the raw headers in one pass; they must say what Starlette's Headers say."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from([b"authorization", b"deviceid", b"ocp-apim-subscription-key", b"content-type", b"x-other"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=12)), max_size=8),
    st.sampled_from(["device", "desktop", "integrator"]))
def test_credentials_read_in_one_pass_are_what_starlettes_headers_say(raw, api):
    """The first of a repeated header counts, any other header is ignored, as with Headers.get."""
    from starlette.requests import Request

    from mock_halo.api.common import credentials

    headers = [(name, value.encode("latin-1")) for name, value in raw]
    request = Request({"type": "http", "method": "GET", "path": f"/{api}/sites/x/queries", "query_string": b"",
                       "headers": headers})
    presented = credentials(request)
    expected = request.headers
    assert (presented.api, presented.authorization, presented.device_id, presented.subscription_key) == (
        api, expected.get("authorization"), expected.get("deviceid"), expected.get("ocp-apim-subscription-key"))
