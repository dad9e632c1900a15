"""``fhir-patient-family``: FHIR ``Patient?family=...`` on a 10k-patient practice.

Issue 5's target: at least 1,000 req/s on this machine (read the subject's
req/s column) and at least 10% of the bare Starlette baseline in the same run.
"""

from __future__ import annotations

import sys

from bench.model import RequestSpec, Target
from bench.registry import RunContext, ScenarioFailure, SetupContext, throughput
from bench.scenarios.emulator import NOT_BUILT_MARKERS, device_login, immediate_request, successful_rows
from bench.servers import LaunchSpec

PATIENTS = 10_000


def big_practice_launch(ctx: RunContext) -> LaunchSpec:
    """``mock-halo serve`` with 10,000 patients per site."""
    return LaunchSpec(
        name=f"mock-halo serve ({PATIENTS} patients)",
        argv=(sys.executable, "-m", "mock_halo", "serve", "--host", "{host}", "--port", "{port}",
              "--patients", str(PATIENTS)),
        env={"MOCK_HALO_LOG_LEVEL": "warning"},
        scrub_env_prefixes=("MOCK_HALO_",),
        unavailable_markers=NOT_BUILT_MARKERS,
    )


@throughput("fhir-patient-family", launch=big_practice_launch, target=Target.min_ratio(0.10),
            ready_path="/_mock/health")
def fhir_patient_family(ctx: SetupContext) -> RequestSpec:
    """GET Patient?family=<a real surname> through the FHIR facade (10k patients)."""
    login = device_login(ctx)
    rows = successful_rows(ctx, immediate_request(login, "SELECT COUNT(*) AS n FROM BPS_Patients"))
    if not rows or rows[0].get("n", 0) < PATIENTS * 0.9:
        raise ScenarioFailure(f"expected a {PATIENTS}-patient practice, got {rows}")
    surname = successful_rows(ctx, immediate_request(login, "SELECT TOP 1 Surname FROM BPS_Patients ORDER BY InternalID"))[0]["Surname"]
    ctx.details["family"] = surname
    request = RequestSpec("GET", f"/device/sites/{login.site_id}/fhir/R4/Patient?family={surname}",
                          tuple(login.headers().items()))
    reply = ctx.send(request)
    if reply.status != 200:
        raise ScenarioFailure(f"Patient?family={surname} answered {reply.status}: {reply.text()}")
    bundle = reply.json()
    if bundle.get("resourceType") != "Bundle" or not bundle.get("total"):
        raise ScenarioFailure(f"Patient?family={surname} found nothing: {reply.text(300)}")
    return request
