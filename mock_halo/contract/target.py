"""Where the contract suite sends its requests: a :class:`Target`.

Three kinds, one interface:

* ``inprocess`` – a fresh emulator (virtual clock) inside the test process,
  reached through a Starlette ``TestClient``; the default, and what CI runs.
* ``url`` – a running emulator (``mock-halo serve``, docker) at a base URL.
* ``halo`` – a real Halo Cloud environment (stage or production): base URL,
  subscription key, site id and device id are required; read-only by default,
  never probed for a control plane, and every request costs request budget.

Every request made through :meth:`Target.client` (except ``/_mock`` control
calls) spends one unit of :attr:`Target.budget`; when the budget is exhausted
the request raises :class:`BudgetExhausted`, which pytest reports as a *skip*
(it subclasses pytest's skip exception), so a small budget never turns into
failures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import httpx

    from mock_halo.client import MockHaloControl

try:  # pytest is present whenever the suite runs; the class still works without it.
    from _pytest.outcomes import Skipped as _SkipBase
except ImportError:  # pragma: no cover
    _SkipBase = RuntimeError  # type: ignore[misc,assignment]

KINDS = ("inprocess", "url", "halo")
APIS = ("device", "desktop", "integrator")
GRANTS = {"device": "urn:halo-connect:oauth:device-token", "desktop": "urn:halo-connect:oauth:desktop-token"}
#: The API whose calls carry the subscription key alone (no token, no device).
INTEGRATOR = "integrator"
#: Requests a run may make against a real Halo unless told otherwise.
DEFAULT_HALO_BUDGET = 60
DEFAULT_DEVICE = "mock-halo-contract"
#: A cached token is renewed this long before it expires.
TOKEN_MARGIN_S = 60
#: A running clock at speed 1 this close to the wall clock counts as running at real time.
REAL_TIME_SKEW_S = 5.0


#: Requests made by the last target closed in this process (the runner prints it).
LAST_USAGE: dict[str, Any] = {}


class BudgetExhausted(_SkipBase):  # type: ignore[misc,valid-type]
    """The request budget ran out: the test that needed the request is skipped."""

    def __init__(self, message: str) -> None:
        if _SkipBase is RuntimeError:  # pragma: no cover
            super().__init__(message)
        else:
            super().__init__(msg=message, pytrace=False)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TargetError(ValueError):
    """The target's options are incomplete or contradictory (a usage error)."""


class Budget:
    """A request budget: ``total`` requests (``None``: unlimited)."""

    def __init__(self, total: int | None = None) -> None:
        if total is not None and total < 0:
            raise TargetError("the request budget must be zero or more")
        self.total = total
        self.used = 0

    @property
    def remaining(self) -> int | None:
        return None if self.total is None else max(0, self.total - self.used)

    @property
    def unlimited(self) -> bool:
        return self.total is None

    def spend(self, n: int = 1) -> None:
        if self.total is not None and self.used + n > self.total:
            raise BudgetExhausted(f"request budget exhausted ({self.used} of {self.total} requests used)")
        self.used += n

    def __repr__(self) -> str:
        return f"Budget(total={self.total}, used={self.used})"


@dataclass
class TargetConfig:
    """What the user asked for, before anything is contacted."""

    kind: str = "inprocess"
    base_url: str | None = None
    subscription_key: str | None = None
    site_id: str | None = None
    device_id: str | None = None
    api: str | None = None
    budget: int | None = None
    allow_writes: bool = False
    no_control: bool = False
    #: Let the run reset (and move the clock of) a URL target that holds state.
    allow_reset: bool = False
    admin_token: str | None = None
    #: Settings overrides for the in-process emulator (``load_settings`` overrides).
    overrides: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> TargetConfig:
        if self.kind not in KINDS:
            raise TargetError(f"unknown target kind {self.kind!r}; use inprocess, a URL, or halo")
        if self.api is not None and self.api not in APIS:
            raise TargetError(f"unknown api {self.api!r}; use device, desktop or integrator")
        if self.kind in ("url", "halo") and not self.base_url:
            raise TargetError(f"a {self.kind} target needs a base URL")
        if self.kind == "halo":
            # The Integrator API needs only a key and a site; the token APIs a device too.
            missing = [flag for flag, value in (
                ("--subscription-key / HALO_SUBSCRIPTION_KEY", self.subscription_key),
                ("--site-id / HALO_SITE_ID", self.site_id),
                ("--device-id / HALO_DEVICE_ID", self.device_id or self.api == INTEGRATOR),
            ) if not value]
            if missing:
                raise TargetError("a halo target needs " + ", ".join(missing))
        if self.budget is not None and self.budget < 0:
            raise TargetError("the request budget must be zero or more")
        return self


#: option name -> environment variable (the flags of ``mock-halo contract`` and of contracts/conftest.py).
ENV = {
    "target": "MOCK_HALO_CONTRACT_TARGET",
    "halo_base_url": "HALO_BASE_URL",
    "subscription_key": "HALO_SUBSCRIPTION_KEY",
    "site_id": "HALO_SITE_ID",
    "device_id": "HALO_DEVICE_ID",
    "budget": "MOCK_HALO_CONTRACT_BUDGET",
    "api": "MOCK_HALO_CONTRACT_API",
    "allow_writes": "MOCK_HALO_CONTRACT_ALLOW_WRITES",
    "allow_reset": "MOCK_HALO_CONTRACT_ALLOW_RESET",
    "admin_token": "MOCK_HALO_ADMIN_TOKEN",
}

_TRUE = {"1", "true", "yes", "on"}


def config_from(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> TargetConfig:
    """A :class:`TargetConfig` from option values (``None``: not given), falling back to ``env``.

    ``target`` is ``inprocess``, ``halo`` or a URL (``http://...``: a running emulator).
    """
    env = os.environ if env is None else env

    def pick(name: str) -> Any:
        value = options.get(name)
        if value is None or value == "":
            value = env.get(ENV[name]) or None
        return value

    raw_target = (pick("target") or "inprocess").strip()
    base_url = pick("halo_base_url")
    if raw_target.startswith(("http://", "https://")):
        kind, base_url = "url", raw_target
    elif raw_target in ("inprocess", "halo", "url"):
        kind = raw_target
        if kind == "url":
            base_url = options.get("base_url") or base_url
    else:
        raise TargetError(f"unknown target {raw_target!r}; use inprocess, halo, or the URL of a running emulator")
    budget = pick("budget")
    if budget is not None:
        try:
            budget = int(budget)
        except (TypeError, ValueError):
            raise TargetError(f"the request budget must be a whole number, not {budget!r}") from None
    def flag(name: str) -> bool:
        return bool(options.get(name)) or str(env.get(ENV[name], "")).strip().lower() in _TRUE

    return TargetConfig(
        kind=kind,
        base_url=base_url.rstrip("/") if base_url else None,
        subscription_key=pick("subscription_key"),
        site_id=pick("site_id"),
        device_id=pick("device_id"),
        api=pick("api"),
        budget=budget,
        allow_writes=flag("allow_writes"),
        no_control=bool(options.get("no_control")),
        allow_reset=flag("allow_reset"),
        admin_token=pick("admin_token"),
    ).validate()


class Target:
    """One target of the contract suite; see the module docstring. Build with :meth:`open`."""

    kind: str
    base_url: str
    subscription_key: str
    site_id: str
    device_id: str
    api: str
    has_control: bool
    read_only: bool
    asgi_app: object | None
    budget: Budget

    def __init__(self, config: TargetConfig) -> None:
        config.validate()
        self.config = config
        self.kind = config.kind
        self.api = config.api or ("desktop" if config.kind == "halo" else "device")
        self.read_only = config.kind == "halo" and not config.allow_writes
        self.budget = Budget(config.budget if config.budget is not None else (DEFAULT_HALO_BUDGET if config.kind == "halo" else None))
        self.asgi_app = None
        self.emulator = None  # the in-process Emulator, else None
        self._client: httpx.Client | None = None
        self._control: MockHaloControl | None = None
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self.has_control = False
        self.control_info: dict[str, Any] | None = None
        #: A :class:`mock_halo.contract.drift.ShapeRecorder` fed every non-control response, when set.
        self.recorder: Any = None
        #: Why ``has_control`` is what it is (for the capability summary).
        self.control_reason = "not detected yet"
        #: A URL target's clock as the run found it, put back by :meth:`close` once the run changed anything.
        self._found_clock: dict[str, Any] | None = None
        self._changed_control = False
        if config.kind == "inprocess":
            from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY

            self.base_url = "http://testserver"
            self.subscription_key = config.subscription_key or DEFAULT_SUBSCRIPTION_KEY
            self.site_id = config.site_id or DEFAULT_SITE_IDS[0]
        else:
            from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY

            self.base_url = str(config.base_url).rstrip("/")
            # A URL target is an emulator: its embedded defaults are the natural ones.
            self.subscription_key = config.subscription_key or (DEFAULT_SUBSCRIPTION_KEY if config.kind == "url" else "")
            self.site_id = config.site_id or (DEFAULT_SITE_IDS[0] if config.kind == "url" else "")
        self.device_id = config.device_id or DEFAULT_DEVICE

    # -- construction -------------------------------------------------------------------
    @classmethod
    def open(cls, config: TargetConfig) -> Target:
        """Build the target, start its client and detect its capabilities."""
        target = cls(config)
        target._start()
        target.detect()
        return target

    def _start(self) -> None:
        import httpx

        if self.kind == "inprocess":
            from starlette.testclient import TestClient

            from mock_halo.app import create_app
            from mock_halo.config import load_settings
            from mock_halo.emulator import Emulator

            # A fixed JWT secret: tokens are then the same in every run, and so are the steps
            # hypothesis generates from them (negative cases mutate header values). 32 bytes at
            # least, as HS256 asks (RFC 7518 3.2; PyJWT warns on each token otherwise).
            values: dict[str, Any] = {"clock": "virtual", "patients": 60,
                                      "jwt_secret": "mock-halo-contract-suite-fixed-jwt-secret"}
            values.update(self.config.overrides)
            self.emulator = Emulator(load_settings(env={}, overrides=values))
            self.asgi_app = create_app(emulator=self.emulator)
            # A crash is an HTTP 500 the suite observes, as over a socket.
            client = TestClient(self.asgi_app, base_url=self.base_url, raise_server_exceptions=False)
            client.__enter__()  # runs the app's lifespan, as a server would
        else:
            client = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(40.0, connect=10.0))
        client.event_hooks = {"request": [self._count], "response": [self._record]}
        self._client = client

    def _count(self, request: httpx.Request) -> None:
        if request.url.path.startswith("/_mock"):
            if request.method != "GET":
                self._changed_control = True
            return  # control-plane calls are the harness's, not the contract's
        self.budget.spend()

    def _record(self, response: httpx.Response) -> None:
        if self.recorder is not None:
            self.recorder.on_response(response)

    def detect(self) -> bool:
        """``has_control``: ``GET /_mock/info`` answers 200 with a JSON object.

        A ``halo`` target is never probed (a real Halo has no control plane, and
        an emulator posing as Halo behaves like one); ``no_control`` also skips it.
        """
        self.has_control = False
        self.control_info = None
        if self.kind == "halo":
            self.control_reason = "not probed (a real Halo has none)"
            return False
        if self.config.no_control:
            self.control_reason = "ignored (--no-control)"
            return False
        headers = {"Authorization": f"Bearer {self.config.admin_token}"} if self.config.admin_token else {}
        try:
            response = self.client().get("/_mock/info", headers=headers)
        except Exception as exc:  # noqa: BLE001 - a target that cannot answer has no control plane
            self.control_reason = f"GET /_mock/info failed: {type(exc).__name__}: {exc}"
            return False
        body = None
        if response.headers.get("content-type", "").startswith("application/json"):
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code == 200 and isinstance(body, dict):
            self.has_control = True
            self.control_info = body
            self.control_reason = "GET /_mock/info answered"
            if self.kind == "url":
                self._guard_running_emulator(body)
        else:
            self.control_reason = f"GET /_mock/info answered HTTP {response.status_code}"
        return self.has_control

    def _guard_running_emulator(self, info: dict[str, Any]) -> None:
        """A running emulator the run did not start: use its control plane (which resets it and
        moves its clock) only when it holds nothing a reset would lose, or with ``allow_reset``."""
        state = info.get("state")
        held = {k: v for k, v in state.items() if v} if isinstance(state, dict) else None
        if held is None or held:
            what = ", ".join(f"{v} {k}" for k, v in held.items()) if held else "an emulator too old to say what it holds"
            if not self.config.allow_reset:
                self.has_control = False
                self.control_reason = (
                    f"answered, but NOT used: the emulator holds state ({what}); a contract run resets it and moves "
                    "its clock, so tests that need the control plane skip (pass --allow-reset to let it)"
                )
                return
            self.control_reason = f"GET /_mock/info answered; it holds state ({what}), reset allowed (--allow-reset)"
        clock = info.get("clock") if isinstance(info.get("clock"), dict) else {}
        self._found_clock = {"speed": clock.get("speed"), "frozen": clock.get("frozen"), "now": clock.get("now"),
                             "wall": time.time()}

    def _restore_running_emulator(self) -> None:
        """Leave a URL target as the run found it: reset (the run's queries, rules and journal go)
        and the clock back in its mode and speed; a clock that ran at real time runs at real time again."""
        found, control = self._found_clock, self._control
        if found is None or control is None or not self._changed_control:
            return
        try:
            control.reset()
            now = found.get("now")
            skew = abs(datetime.fromisoformat(now).timestamp() - found["wall"]) if isinstance(now, str) else None
            if found.get("frozen"):
                control.freeze()
            elif found.get("speed") == 1 and skew is not None and skew < REAL_TIME_SKEW_S:
                control.real_time(1.0)
            elif isinstance(found.get("speed"), (int, float)) and found["speed"] > 0:
                control.set_speed(float(found["speed"]))
        except Exception as exc:  # noqa: BLE001 - report, never mask the run's own outcome
            print(f"mock-halo contract: could not put the emulator's clock back ({type(exc).__name__}: {exc})")

    def close(self) -> None:
        LAST_USAGE.clear()
        LAST_USAGE.update(requests=self.budget.used, budget=self.budget.total)
        self._restore_running_emulator()
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._client is not None:
            if self.kind == "inprocess":
                self._client.__exit__(None, None, None)
            else:
                self._client.close()
            self._client = None
        if self.emulator is not None:
            self.emulator.close()
            self.emulator = None

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the interface the suite uses ---------------------------------------------------------
    def client(self) -> httpx.Client:
        """The shared client bound to ``base_url``; every non-``/_mock`` request spends budget."""
        if self._client is None:
            self._start()
        assert self._client is not None
        return self._client

    def control(self) -> MockHaloControl | None:
        if not self.has_control:
            return None
        if self._control is None:
            from mock_halo.client import MockHaloControl

            self._control = MockHaloControl(client=self.client(), admin_token=self.config.admin_token)
        return self._control

    @property
    def token_api(self) -> str:
        """The API device tokens are used on: the target's own, or Desktop for an Integrator target."""
        return self.api if self.api in GRANTS else "desktop"

    @property
    def grant_type(self) -> str:
        return GRANTS[self.token_api]

    def path(self, suffix: str = "") -> str:
        return f"/{self.api}/sites/{self.site_id}{suffix}"

    def token_path(self, suffix: str = "") -> str:
        """:meth:`path` on the API device tokens are used on (see :attr:`token_api`)."""
        return f"/{self.token_api}/sites/{self.site_id}{suffix}"

    def token_request(self, *, site_id: str | None = None, key: str | None = None, grant_type: str | None = None):
        """``POST /integrator/token`` as the suite makes it (the raw response, not checked)."""
        return self.client().post(
            "/integrator/token",
            data={"grant_type": grant_type or self.grant_type, "device_id": self.device_id, "site_id": site_id or self.site_id},
            headers={"Ocp-Apim-Subscription-Key": self.subscription_key if key is None else key},
        )

    def token(self, *, site_id: str | None = None) -> str:
        """A device (or desktop) token for ``site_id``, cached until shortly before it expires."""
        site = site_id or self.site_id
        cache_key = (site, self.api)
        cached = self._tokens.get(cache_key)
        now = self._now()
        if cached is not None and cached[1] - TOKEN_MARGIN_S > now:
            return cached[0]
        response = self.token_request(site_id=site)
        if response.status_code != 200:
            raise TargetError(f"could not obtain a token for site {site}: HTTP {response.status_code} {response.text[:300]}")
        body = response.json()
        token = body["access_token"]
        expires_in = body.get("expires_in")
        expires_at = _jwt_exp(token)
        if expires_at is None:
            expires_at = now + (float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 300.0)
        self._tokens[cache_key] = (token, expires_at)
        return token

    def forget_tokens(self) -> None:
        self._tokens.clear()

    def auth_headers(self, *, site_id: str | None = None) -> dict[str, str]:
        """What the target's API calls carry: the key alone (Integrator API), or a device token,
        the DeviceId and the key."""
        if self.api == INTEGRATOR:
            return {"Ocp-Apim-Subscription-Key": self.subscription_key}
        return {
            "Authorization": f"Bearer {self.token(site_id=site_id)}",
            "DeviceId": self.device_id,
            # Halo's Desktop spec lists only bearer + DeviceId on query calls; the
            # gateway may still want the key (halo-facts 1.2). Sending it is harmless.
            "Ocp-Apim-Subscription-Key": self.subscription_key,
        }

    def _now(self) -> float:
        """The target's idea of now (a control plane's clock may be virtual)."""
        control = self.control()
        if control is not None:
            try:
                return datetime.fromisoformat(control.clock().now).timestamp()
            except Exception:  # noqa: BLE001 - fall back to wall time
                pass
        return time.time()

    def describe(self) -> dict[str, Any]:
        """The capability summary ``mock-halo contract`` prints up front."""
        return {
            "kind": self.kind,
            "base_url": self.base_url,
            "api": self.api,
            "site_id": self.site_id,
            "device_id": self.device_id,
            "control_plane": self.has_control,
            "control_plane_detail": self.control_reason,
            "read_only": self.read_only,
            "budget": "unlimited" if self.budget.total is None else self.budget.total,
        }

    def __repr__(self) -> str:
        return f"Target(kind={self.kind!r}, base_url={self.base_url!r}, api={self.api!r}, control={self.has_control}, read_only={self.read_only})"


def _jwt_exp(token: str) -> float | None:
    """The ``exp`` claim of a JWT, unverified (the target checks it; we only cache)."""
    try:
        import jwt

        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # noqa: BLE001 - an opaque token: fall back to expires_in
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, (int, float)) else None
