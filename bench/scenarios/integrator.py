"""The Integrator API as a subject: ``integrator-immediate-select`` and ``integrator-batch-status``.

Issue 12's targets: an integrator immediate query sustains the same ratio to bare Starlette as the
device one (compare with ``immediate-select`` in the same run: within 10%); batch status for 100
ids answers in under 5 ms of server time (timed in-process by :mod:`bench.integrator_worker`).
"""

from __future__ import annotations

from bench.model import RequestSpec, Target, TimingComparison
from bench.registry import RunContext, ScenarioFailure, SetupContext, Skip, throughput, timing
from bench.scenarios.emulator import IMMEDIATE_SQL, PATIENT_ID_SQL, candidate_logins, emulator_launch, successful_rows
from bench.worker import run_worker

BATCH_IDS = 100
WORKER_TIMEOUT_S = 300.0


def integrator_request(site_id: str, key: str, text: str, parameters: list[dict[str, str]] | None = None) -> RequestSpec:
    """``POST /integrator/sites/{id}/queries/immediate`` with the subscription key alone."""
    command: dict[str, object] = {"text": text}
    if parameters:
        command["parameters"] = parameters
    return RequestSpec.json("POST", f"/integrator/sites/{site_id}/queries/immediate", {"command": command},
                            {"Ocp-Apim-Subscription-Key": key})


@throughput("integrator-immediate-select", launch=emulator_launch, target=Target.min_ratio(0.30),
            ready_path="/_mock/health")
def integrator_immediate_select(ctx: SetupContext) -> RequestSpec:
    """immediate-select's query through the Integrator API: the key alone, no token."""
    reply = ctx.request("GET", "/_mock/info")
    if reply.status != 200:
        raise ScenarioFailure(f"GET /_mock/info answered {reply.status}: {reply.text()}")
    pairs = candidate_logins(reply.json())
    if not pairs:
        raise ScenarioFailure("GET /_mock/info lists no integrator with a subscriptionKey (is the caller local?)")
    site_id, key = pairs[0]
    first = ctx.send(integrator_request(site_id, key, PATIENT_ID_SQL))
    if first.status == 404:
        raise Skip(f"the Integrator API answered 404: {first.text(160)}")
    rows = successful_rows(ctx, integrator_request(site_id, key, PATIENT_ID_SQL))
    patient_id = str(rows[0].get("InternalID")) if rows else "1"
    ctx.details.update(site_id=site_id, patient_id=patient_id)
    request = integrator_request(site_id, key, IMMEDIATE_SQL, [
        {"name": "@id", "type": "Int", "direction": "input", "value": patient_id}])
    if len(successful_rows(ctx, request)) != 1:
        raise ScenarioFailure(f"{IMMEDIATE_SQL!r} with @id={patient_id} returned no row")
    return request


@timing("integrator-batch-status")
def integrator_batch_status(ctx: RunContext) -> list[TimingComparison]:
    """Server time of POST .../queries/status for 100 finished async queries (vs one status GET)."""
    iterations = ctx.samples(default=200, quick=50)
    result = run_worker("bench.integrator_worker", "--iterations", str(iterations), "--ids", str(BATCH_IDS),
                        timeout=WORKER_TIMEOUT_S)
    ctx.details.update(iterations=iterations, ids=BATCH_IDS, response_bytes=result["response_bytes"])
    return [TimingComparison(f"batch status, {BATCH_IDS} ids", tuple(result["batch_s"]), tuple(result["single_s"]),
                             Target.max_seconds(0.005), note="baseline: GET one query's status (in-process ASGI)")]
