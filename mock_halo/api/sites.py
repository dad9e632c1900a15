"""The Integrator API's site operations (halo-facts 9): ``GET /integrator/sites``,
``GET /integrator/sites/{siteId}`` and ``POST /integrator/pair-site`` (and the deprecated
``POST /integrator/pairSite``). Known by the subscription key alone; the domain decides
which sites the caller may see."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api.common import JSONBody, cloud_of, operation
from mock_halo.cloud import Caller
from mock_halo.config import PMS_DISPLAY_NAMES

PMS_NAMES = tuple(PMS_DISPLAY_NAMES.values())


def _practice(request: Request) -> tuple[str, str]:
    """``practiceManagementSiteId`` and ``practiceManagementName`` (both required; 400 naming the field)."""
    params = request.query_params
    pms_site_id = params.get("practiceManagementSiteId", "").strip()
    if not pms_site_id:
        raise errors.bad_request("practiceManagementSiteId is required: the practice's PMS id (for Bp Premier, its Bp Site ID).")
    pms_name = params.get("practiceManagementName")
    if pms_name not in PMS_NAMES:
        shown = "missing" if pms_name is None else f"'{pms_name[:60]}'"
        raise errors.bad_request(f"practiceManagementName must be one of {', '.join(PMS_NAMES)}; got {shown}.")
    return pms_site_id, pms_name


@operation(site=False)
async def get_sites(request: Request, caller: Caller) -> Response:
    pms_site_id, pms_name = _practice(request)
    return JSONBody(await cloud_of(request).get_sites(caller, pms_site_id, pms_name))


@operation(site=False)
async def get_site(request: Request, caller: Caller) -> Response:
    return JSONBody(await cloud_of(request).get_site(caller, request.path_params["siteId"]))


@operation(site=False)
async def pair_site(request: Request, caller: Caller) -> Response:
    pms_site_id, pms_name = _practice(request)
    code = request.query_params.get("pairingCode", "").strip() or None
    return JSONBody(await cloud_of(request).pair_site(caller, pms_site_id, pms_name, code))
