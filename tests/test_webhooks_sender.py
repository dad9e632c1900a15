"""The sender's scheduling of attempts, with the network answer held back to control timing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from conftest import make_settings

from mock_halo.clock import Clock
from mock_halo.config import webhook_config
from mock_halo.webhooks.http import HttpResult
from mock_halo.webhooks.outbox import Webhooks
from mock_halo.webhooks.sender import MAX_IN_FLIGHT, WebhookSender


@dataclass
class Query:
    id: str
    integrator_id: str
    site_id: str = "b0586976-33f4-4d47-bc77-821ee9f45e34"


class GatedHttp:
    """Answers 204 to every POST, but only once the gate opens (so answers can arrive together)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0

    async def post(self, url, headers, body, timeout) -> HttpResult:
        self.waiting += 1
        await self.gate.wait()
        return HttpResult(204, None, 0.1)

    async def close(self) -> None:
        pass


def test_answers_arriving_together_free_their_slots_for_the_rest():
    """All in-flight attempts finishing in one loop iteration once stalled the sender: it looked for
    free slots before the finished attempts had left the in-flight set, and nothing woke it again."""
    settings = make_settings()
    integrator = settings.integrators[0].id
    clock = Clock.virtual()
    webhooks = Webhooks(clock, lambda: settings)
    webhooks.configure(integrator, webhook_config(url="http://127.0.0.1:9/", secret="s"))
    total = MAX_IN_FLIGHT + 4

    async def scenario() -> dict[str, int]:
        sender = WebhookSender(webhooks, timeout_s=5)
        http = sender._http = GatedHttp()
        await sender.start()
        for n in range(total):
            webhooks.completed("async", Query(f"00000000-0000-4000-8000-{n:012d}", integrator), clock.now())
        clock.advance(timedelta(seconds=10))
        while http.waiting < MAX_IN_FLIGHT:
            await asyncio.sleep(0)
        http.gate.set()  # every in-flight attempt completes in the same iteration
        for _ in range(1000):
            if webhooks.counts()["waiting"] == 0 and webhooks.in_flight == 0:
                break
            await asyncio.sleep(0)
        await sender.stop()
        return webhooks.counts()

    counts = asyncio.run(scenario())
    assert counts["waiting"] == 0 and counts["inFlight"] == 0
    assert [d["state"] for d in webhooks.list()] == ["delivered"] * total
