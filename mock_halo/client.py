"""``MockHaloControl``: a small typed client for the ``/_mock`` control plane.

Works against a running emulator (``MockHaloControl("http://127.0.0.1:8080")``)
or any httpx client, including an in-process Starlette ``TestClient``
(``MockHaloControl(client=test_client)``)::

    control = MockHaloControl("http://127.0.0.1:8080")
    control.add_scenario({"surface": "async"}, status="expiredInQueue")
    control.advance("10m")
    failed = control.journal(status=429)
    control.reset()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_halo.http_client import httpx


class MockHaloControlError(RuntimeError):
    """The control plane refused a call; ``status`` and ``message`` come from its error envelope."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ClockState:
    now: str
    speed: float
    frozen: bool


class MockHaloControl:
    """Typed calls to ``/_mock``. Give ``base_url`` or an httpx ``client`` (not both)."""

    def __init__(
        self, base_url: str | None = None, *, client: httpx.Client | None = None, admin_token: str | None = None, timeout: float = 10.0
    ) -> None:
        if (base_url is None) == (client is None):
            raise ValueError("give either base_url or client")
        self._owned = client is None
        self._client = client or httpx.Client(base_url=base_url or "", timeout=timeout)
        self._headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}

    def close(self) -> None:
        if self._owned:
            self._client.close()

    def __enter__(self) -> MockHaloControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        response = self._client.request(method, f"/_mock{path}", json=json, params=params, headers=self._headers)
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text
            raise MockHaloControlError(response.status_code, message)
        return response.json() if response.content else None

    # -- clock ---------------------------------------------------------------------
    def clock(self) -> ClockState:
        return ClockState(**self._call("GET", "/clock"))

    def advance(self, duration: str | float) -> ClockState:
        """Move the clock forward: ``"10m"``, ``"2h"``, ``"PT30S"`` or a number of seconds."""
        body = {"seconds": duration} if isinstance(duration, (int, float)) else {"duration": duration}
        return ClockState(**self._call("POST", "/clock/advance", body))

    def set_time(self, instant: str | datetime) -> ClockState:
        text = instant.isoformat() if isinstance(instant, datetime) else instant
        return ClockState(**self._call("POST", "/clock/set", {"time": text}))

    def freeze(self) -> ClockState:
        return ClockState(**self._call("POST", "/clock/freeze"))

    def set_speed(self, speed: float) -> ClockState:
        return ClockState(**self._call("POST", "/clock/speed", {"speed": speed}))

    def real_time(self, speed: float = 1.0) -> ClockState:
        """Back to the wall clock's now, running at ``speed``; if the clock was ahead, everything resets first."""
        return ClockState(**self._call("POST", "/clock/real", {"speed": speed}))

    # -- state -----------------------------------------------------------------------
    def reset(self, site_id: str | None = None) -> None:
        self._call("POST", "/reset", {"siteId": site_id} if site_id else None)

    def seed(self) -> int:
        return self._call("GET", "/seed")["seed"]

    def reseed(self, seed: int) -> None:
        self._call("POST", "/seed", {"seed": seed})

    def info(self) -> dict[str, Any]:
        return self._call("GET", "/info")

    def sites(self) -> list[dict[str, Any]]:
        return self._call("GET", "/sites")["sites"]

    def add_site(
        self, practice_management_site_id: str, *, name: str | None = None, pairing_code: str | None = None,
        paired_with: Sequence[str] = (), **fields: Any,
    ) -> dict[str, Any]:
        """A new Bp Premier site until the next full reset (``POST /_mock/sites``): unpaired unless
        ``paired_with`` names integrator ids; other ``fields`` as the endpoint takes them
        (``id``, ``authoritative``, ``availability``, ``haloLinkVersion``, ``patients``...).
        The answer shows its ``id`` and ``pairingCode``."""
        body: dict[str, Any] = {"practiceManagementSiteId": practice_management_site_id, **fields}
        if name is not None:
            body["name"] = name
        if pairing_code is not None:
            body["pairingCode"] = pairing_code
        if paired_with:
            body["pairedWith"] = list(paired_with)
        return self._call("POST", "/sites", body)

    def pairing_code(self, site_id: str) -> str | None:
        """The pairing code of a site (None: its PMS pairs without one)."""
        for site in self.sites():
            if site["id"] == site_id.lower():
                return site["pairingCode"]
        raise MockHaloControlError(404, f"Site '{site_id}' is not configured.")

    def set_availability(
        self, site_id: str, availability: str, *, at: str | datetime | None = None, after: str | float | None = None
    ) -> dict[str, Any]:
        """``online``, ``offline`` or ``unreachable``: now, ``at`` an instant, or ``after`` a duration from now."""
        body: dict[str, Any] = {"availability": availability}
        if at is not None:
            body["at"] = at.isoformat() if isinstance(at, datetime) else at
        if after is not None:
            body["in"] = f"{after}s" if isinstance(after, (int, float)) else after
        return self._call("PUT", f"/sites/{site_id}/availability", body)

    def set_latency(self, site_id: str, latency: str | float) -> dict[str, Any]:
        return self._call("PUT", f"/sites/{site_id}/latency", {"latency": latency})

    # -- scenarios ----------------------------------------------------------------------
    def add_scenario(
        self,
        match: Mapping[str, Any] | None = None,
        outcome: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        name: str | None = None,
        **outcome_fields: Any,
    ) -> dict[str, Any]:
        """Add a rule; outcome keys may be given as keywords: ``add_scenario({"surface": "async"}, status="expiredInQueue")``."""
        rule: dict[str, Any] = {"match": dict(match or {}), "outcome": {**(outcome or {}), **outcome_fields}}
        if id is not None:
            rule["id"] = id
        if name is not None:
            rule["name"] = name
        return self._call("POST", "/scenarios", rule)

    def add_scenarios(self, rules: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Add several rules at once (all or nothing)."""
        return self._call("POST", "/scenarios", {"rules": [dict(r) for r in rules]})["rules"]

    def scenarios(self) -> list[dict[str, Any]]:
        return self._call("GET", "/scenarios")["rules"]

    def delete_scenario(self, rule_id: str) -> None:
        self._call("DELETE", f"/scenarios/{rule_id}")

    def clear_scenarios(self) -> None:
        self._call("DELETE", "/scenarios")

    # -- journal ---------------------------------------------------------------------------
    def journal(
        self,
        *,
        path: str | None = None,
        site: str | None = None,
        status: int | None = None,
        surface: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Recorded Halo API requests, oldest first, filtered."""
        filters = {"path": path, "site": site, "status": status, "surface": surface, "limit": limit}
        return self._call("GET", "/journal", params={k: v for k, v in filters.items() if v is not None})["entries"]

    def clear_journal(self) -> None:
        self._call("DELETE", "/journal")

    # -- webhooks ----------------------------------------------------------------------------
    def webhooks(
        self,
        *,
        integrator: str | None = None,
        query_id: str | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Webhook deliveries (with their attempts), oldest first, filtered."""
        filters = {"integrator": integrator, "queryId": query_id, "state": state, "limit": limit}
        return self._call("GET", "/webhooks", params={k: v for k, v in filters.items() if v is not None})["deliveries"]

    def webhook(self, delivery_id: int) -> dict[str, Any]:
        return self._call("GET", f"/webhooks/{delivery_id}")

    def redeliver(self, delivery_id: int) -> dict[str, Any]:
        """Send a delivery's notification again now; returns the new delivery."""
        return self._call("POST", f"/webhooks/{delivery_id}/redeliver")

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every attempt due by the emulator clock's now has been made; False on timeout."""
        return self._call("POST", "/webhooks/flush", {"timeout": timeout})["settled"]

    def clear_webhooks(self) -> None:
        self._call("DELETE", "/webhooks")

    def webhook_config(self) -> list[dict[str, Any]]:
        """Each integrator's webhook (URLs, whether a secret is set)."""
        return self._call("GET", "/webhooks/config")["integrators"]

    def set_webhook(
        self,
        integrator_id: str | None = None,
        *,
        secret: str,
        url: str | None = None,
        async_url: str | None = None,
        registered_url: str | None = None,
    ) -> dict[str, Any]:
        """Point an integrator's webhook (default: the first integrator) somewhere until the next reset."""
        integrator_id = integrator_id or self.webhook_config()[0]["integratorId"]
        body = {"url": url, "asyncUrl": async_url, "registeredUrl": registered_url, "secret": secret}
        return self._call("PUT", f"/webhooks/config/{integrator_id}", {k: v for k, v in body.items() if v is not None})

    def delete_webhook(self, integrator_id: str) -> None:
        self._call("DELETE", f"/webhooks/config/{integrator_id}")
