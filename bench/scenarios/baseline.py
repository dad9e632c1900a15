"""``baseline``: the bare app measured against itself (an A/A test).

Its ratio should be ~1.00; how far it strays shows how noisy this machine is
right now, i.e. how much a subject's ratio can be trusted. Not run by default
(``--only baseline``); also the harness's own smoke test.
"""

from __future__ import annotations

from bench.model import RequestSpec
from bench.registry import RunContext, ScenarioFailure, SetupContext, throughput
from bench.servers import LaunchSpec, baseline_launch


def _self_launch(ctx: RunContext) -> LaunchSpec:
    spec = baseline_launch()
    return LaunchSpec(name="baseline (as subject)", argv=spec.argv, env=spec.env)


@throughput("baseline", launch=_self_launch, default=False)
def baseline_self(ctx: SetupContext) -> RequestSpec:
    """The bare app against itself (A/A): shows the noise floor of ratios."""
    request = RequestSpec.json("POST", "/bench/echo", {"command": {"text": "SELECT 1"}})
    reply = ctx.send(request)
    if reply.status != 200 or reply.json().get("status") != "successful":
        raise ScenarioFailure(f"bare app answered {reply.status}: {reply.text()}")
    return request
