"""Settings: embedded defaults, an optional TOML file, ``MOCK_HALO_*`` variables.

Precedence, lowest first: the embedded defaults below, the TOML file
(``MOCK_HALO_CONFIG`` or ``--config``), environment variables, command-line
flags. With no configuration at all the emulator has one integrator, two paired
Bp Premier sites and a third Bp Premier site that the integrator is *not*
paired with (so 403s can be reproduced).
"""

from __future__ import annotations

import difflib
import os
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mock_halo.clock import in_range, parse_timestamp

PMS_TYPES = ("BestPractice", "Zedmed", "D4w")
PMS_DISPLAY_NAMES = {"BestPractice": "Best Practice", "Zedmed": "Zedmed", "D4w": "D4w"}
AVAILABILITIES = ("online", "offline", "unreachable")
CLOCK_MODES = ("real", "virtual")
ODBC_DIALECTS = ("auto", "mssql", "postgresql")
ODBC_RESETS = ("keep", "reload")

DEFAULT_SUBSCRIPTION_KEY = "4fd6ae9a6c57a3f59d5eabf1cede969e"
DEFAULT_SECONDARY_KEY = "1dfe62d408eaa423870b7a955ee7b51e"
DEFAULT_INTEGRATOR_ID = "ab05feaf-3cdf-46e0-847e-23cd219cb59f"
DEFAULT_SITE_IDS = (
    "b0586976-33f4-4d47-bc77-821ee9f45e34",
    "48af2f5a-2ef4-4819-9307-59dd310071fc",
    "2eeb48a9-a330-4de5-8774-4ea28ada742d",
)
DEFAULT_PATIENTS = 200
MB = 1024 * 1024


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message says which and why."""


@dataclass(frozen=True)
class Catalogue:
    name: str
    is_default: bool = False


@dataclass(frozen=True)
class OdbcOptions:
    """A site's real database (``odbc`` keys of ``[[sites]]``); unset fields take the global ``odbc_*``."""

    #: One connection string for the whole site: each catalogue is a database on that server
    #: (SQL Server) or a schema in that database (PostgreSQL).
    connection: str | None = None
    #: Catalogue name -> its own connection string (``[sites.odbc]``).
    catalogues: tuple[tuple[str, str], ...] = ()
    dialect: str | None = None
    reset: str | None = None
    pool_size: int | None = None
    login_timeout_s: int | None = None
    query_timeout_s: int | None = None


@dataclass(frozen=True)
class SiteOdbc:
    """A site's resolved ODBC settings (see :meth:`Settings.site_odbc`)."""

    connection: str | None
    catalogues: tuple[tuple[str, str], ...]
    dialect: str  # auto | mssql | postgresql
    reset: str  # keep | reload
    pool_size: int
    login_timeout_s: int
    query_timeout_s: int

    def connection_for(self, catalogue: str) -> tuple[str, bool]:
        """(connection string, whether it is the site-wide one) for ``catalogue``."""
        for name, connection in self.catalogues:
            if name.lower() == catalogue.lower():
                return connection, False
        if self.connection is None:
            raise ConfigError(f"no ODBC connection string for catalogue {catalogue!r}")
        return self.connection, True


def redact(connection: str) -> str:
    """A connection string fit for logs and messages: passwords replaced by ``***``."""
    import re

    return re.sub(r"(?i)((?:^|;)\s*(?:PWD|PASSWORD)\s*=\s*)(\{(?:[^}]|\}\})*\}|[^;]*)", r"\1***", connection)


def detect_dialect(connection: str) -> str | None:
    """``mssql`` or ``postgresql`` from the DRIVER of a connection string (None: cannot tell)."""
    import re

    match = re.search(r"(?i)(?:^|;)\s*DRIVER\s*=\s*(\{[^}]*\}|[^;]*)", connection)
    driver = (match.group(1) if match else "").lower()
    if any(word in driver for word in ("sql server", "msodbcsql", "freetds", "tdsodbc")):
        return "mssql"
    if any(word in driver for word in ("postgres", "psqlodbc")):
        return "postgresql"
    return None


@dataclass(frozen=True)
class SiteConfig:
    id: str
    name: str
    pms_type: str = "BestPractice"
    pms_site_id: str = "10001"
    pms_version: str = "1.13.2.1210"
    halo_link_version: str = "26.602.9934"
    availability: str = "online"
    catalogues: tuple[Catalogue, ...] = ()
    #: Seed of this site's fake practice data (None: derived from the global seed).
    seed: int | None = None
    #: Number of patients in the fake practice (None: the global ``patients``).
    patients: int | None = None
    #: Device ids allowed to obtain tokens for this site (empty: any device).
    devices: tuple[str, ...] = ()
    #: A real database through ODBC (None runs the embedded engine).
    odbc: OdbcOptions | None = None
    #: Catalogue name -> SQLite file written by ``mock-halo fixtures`` (instead
    #: of generating the practice at startup: use it for big practices).
    data_files: tuple[tuple[str, str], ...] = ()
    authoritative: bool = True
    #: The code the practice generated to pair integrators with it (Bp Premier only; None: one
    #: derived from the site's GUID, see ``mock_halo.pairing``).
    pairing_code: str | None = None

    @property
    def default_catalogue(self) -> str:
        for cat in self.catalogues:
            if cat.is_default:
                return cat.name
        return self.catalogues[0].name

    @property
    def pms_display_name(self) -> str:
        return PMS_DISPLAY_NAMES[self.pms_type]


@dataclass(frozen=True)
class WebhookConfig:
    """An integrator's webhook (halo-facts 12): one URL for both sources, or one per
    source (a source with no URL sends nothing), and the secret notifications are
    signed with. URLs may hold ``{siteId}``, ``{queryId}`` and ``{source}``."""

    secret: str
    url: str | None = None
    async_url: str | None = None
    registered_url: str | None = None

    def url_for(self, source: str) -> str | None:
        """The URL template for ``async`` or ``registered`` notifications (None: not sent)."""
        own = self.async_url if source == "async" else self.registered_url
        return own or self.url


WEBHOOK_TEMPLATES = ("{siteId}", "{queryId}", "{source}")


def webhook_config(
    *, url: Any = None, async_url: Any = None, registered_url: Any = None, secret: Any = None, where: str = "webhook"
) -> WebhookConfig:
    """A checked :class:`WebhookConfig` (ConfigError names the bad field)."""
    urls = {"url": url, "async_url": async_url, "registered_url": registered_url}
    for name, value in urls.items():
        if value is not None:
            _webhook_url(value, f"{where}.{name}")
    if all(v is None for v in urls.values()):
        raise ConfigError(f"{where} needs a url (or async_url / registered_url)")
    if not isinstance(secret, str) or not secret:
        raise ConfigError(f"{where} needs a secret (a non-empty string): Halo signs every notification with it")
    return WebhookConfig(secret=secret, url=url, async_url=async_url, registered_url=registered_url)


def _webhook_url(value: Any, where: str) -> None:
    import re
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be an http(s) URL, got {value!r}")
    placeholders = re.findall(r"\{[^{}]*\}", value)
    unknown = sorted(set(placeholders) - set(WEBHOOK_TEMPLATES))
    if unknown:
        raise ConfigError(f"{where}: unknown template(s) {unknown}; URLs may use {list(WEBHOOK_TEMPLATES)}")
    filled = value
    for name in WEBHOOK_TEMPLATES:
        filled = filled.replace(name, "x")
    try:
        parts = urlsplit(filled)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ConfigError(f"{where} is not a valid URL: {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an http:// or https:// URL with a host, got {value!r}")
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in filled):
        raise ConfigError(f"{where} may hold only printable ASCII (percent-encode the rest), got {value!r}")


@dataclass(frozen=True)
class IntegratorConfig:
    id: str
    name: str
    subscription_keys: tuple[str, ...]
    #: Halo GUIDs of the sites this integrator has an active pairing with.
    sites: tuple[str, ...]
    #: Where Halo sends this integrator's query notifications (None: no webhooks).
    webhook: WebhookConfig | None = None


#: The longest configurable duration (token lifetime, retention, execution
#: limit): ten years, so every instant derived from the clock stays in range.
MAX_DURATION_S = 10 * 366 * 86_400


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 42
    patients: int = DEFAULT_PATIENTS
    sites: tuple[SiteConfig, ...] = ()
    integrators: tuple[IntegratorConfig, ...] = ()
    token_lifetime_s: int = 3600
    jwt_secret: str = ""
    #: "halo" (general envelope) or "apim" ({statusCode, message}) for gateway errors.
    gateway_style: str = "halo"
    #: Require Ocp-Apim-Subscription-Key on device/desktop query calls too.
    require_key_on_device_api: bool = False
    #: Only accept device-token grants on /device and desktop-token grants on /desktop.
    strict_token_prefix: bool = False
    clock: str = "real"
    clock_speed: float = 1.0
    clock_start: str | None = None
    immediate_result_limit_bytes: int = 8 * MB
    max_request_bytes: int = 4 * MB
    #: Seconds a request head (and each stretch of its body) may take to arrive before the connection
    #: is closed (head) or answered 408 (body): slow or silent clients cannot hold connections forever.
    request_timeout_s: int = 30
    #: Async result pages hold at most this many bytes of JSON ("roughly 1 MB").
    page_size_bytes: int = MB
    #: Async results stay downloadable this long after completion (~24 h).
    result_retention_s: int = 86_400
    #: Async results: the engine stops reading rows past this many bytes of JSON (uploadFailed).
    async_result_limit_bytes: int = 64 * MB
    #: Async execution limit (5 min of clock time).
    async_execution_limit_s: int = 300
    #: Wall-clock seconds an immediate query or FHIR request may take at its site (waiting
    #: for the site's running statement included) before Halo's 504 (halo-facts 5.1).
    immediate_timeout_s: float = 30.0
    #: Wall-clock seconds an async execution (or a registered run, at most 60) may run
    #: before it fails with executionFailed (SQL Server's timeout, -2).
    execution_timeout_s: float = 300.0
    #: When an async query turns successful: "firstPage" cached or "allPages".
    async_success_when: str = "firstPage"
    #: Query records kept at most (immediate and async); the oldest are forgotten first (404).
    max_queries: int = 100_000
    #: Bytes of results kept at most; the oldest go first (async pages 410, immediate records 404).
    max_result_bytes: int = 256 * MB
    #: Requests the journal keeps (a ring buffer).
    journal_capacity: int = 1000
    #: A state file (``serve --state``): restored at start, written on shutdown and on POST /_mock/snapshot.
    state_file: str | None = None
    #: Where ``/_mock/*`` is open without an admin token (loopback by default).
    admin_token: str | None = None
    #: Scenario rules loaded at startup (``[[scenarios]]``, ``serve --scenario``); JSON-shaped dicts.
    scenarios: tuple[dict[str, Any], ...] = ()
    #: ODBC connection string for every site that has none of its own ("" : embedded engine).
    odbc: str = ""
    #: ODBC defaults for sites with a connection string (a site's own odbc_* keys win).
    odbc_dialect: str = "auto"
    odbc_reset: str = "keep"
    odbc_pool_size: int = 4
    odbc_login_timeout_s: int = 15
    odbc_query_timeout_s: int = 30
    log_level: str = "info"
    #: Wall-clock seconds a webhook delivery attempt may take (Halo: 5).
    webhook_timeout_s: float = 5.0
    source: str = "embedded defaults"

    def site(self, site_id: str) -> SiteConfig | None:
        wanted = site_id.lower()
        for site in self.sites:
            if site.id == wanted:
                return site
        return None

    def integrator_for_key(self, key: str) -> IntegratorConfig | None:
        for integrator in self.integrators:
            if key in integrator.subscription_keys:
                return integrator
        return None

    def integrator(self, integrator_id: str) -> IntegratorConfig | None:
        for integrator in self.integrators:
            if integrator.id == integrator_id:
                return integrator
        return None

    def site_seed(self, site: SiteConfig) -> int:
        if site.seed is not None:
            return site.seed
        index = [s.id for s in self.sites].index(site.id)
        return self.seed * 1000 + index

    def site_odbc(self, site: SiteConfig) -> SiteOdbc | None:
        """The site's ODBC settings with the global defaults filled in (None: embedded engine)."""
        own = site.odbc or OdbcOptions()
        connection = own.connection or (None if own.catalogues else (self.odbc or None))
        if connection is None and not own.catalogues:
            return None
        pick = lambda mine, default: default if mine is None else mine  # noqa: E731
        return SiteOdbc(
            connection=connection, catalogues=own.catalogues, dialect=pick(own.dialect, self.odbc_dialect),
            reset=pick(own.reset, self.odbc_reset), pool_size=pick(own.pool_size, self.odbc_pool_size),
            login_timeout_s=pick(own.login_timeout_s, self.odbc_login_timeout_s),
            query_timeout_s=pick(own.query_timeout_s, self.odbc_query_timeout_s),
        )

    def site_patients(self, site: SiteConfig) -> int:
        return site.patients if site.patients is not None else self.patients


def bp_catalogues() -> tuple[Catalogue, ...]:
    return (Catalogue("BPSPatients", True), Catalogue("BPSSamples", False))


def default_sites() -> tuple[SiteConfig, ...]:
    return (
        SiteConfig(
            id=DEFAULT_SITE_IDS[0],
            name="Halo Clinic South",
            pms_site_id="10001",
            catalogues=bp_catalogues(),
        ),
        SiteConfig(
            id=DEFAULT_SITE_IDS[1],
            name="Harbourside Family Practice",
            pms_site_id="10002",
            catalogues=bp_catalogues(),
        ),
        SiteConfig(
            id=DEFAULT_SITE_IDS[2],
            name="Unpaired Medical Centre",
            pms_site_id="10003",
            catalogues=bp_catalogues(),
            pairing_code="ABC123",  # Halo's own example code
        ),
    )


def default_integrators(key: str = DEFAULT_SUBSCRIPTION_KEY) -> tuple[IntegratorConfig, ...]:
    return (
        IntegratorConfig(
            id=DEFAULT_INTEGRATOR_ID,
            name="Mock Integrator",
            subscription_keys=(key, DEFAULT_SECONDARY_KEY),
            sites=DEFAULT_SITE_IDS[:2],
        ),
    )


def defaults() -> Settings:
    return Settings(sites=default_sites(), integrators=default_integrators())


# -- loading -----------------------------------------------------------------

_ENV_FIELDS: dict[str, tuple[str, type]] = {
    "MOCK_HALO_HOST": ("host", str),
    "MOCK_HALO_PORT": ("port", int),
    "MOCK_HALO_SEED": ("seed", int),
    "MOCK_HALO_PATIENTS": ("patients", int),
    "MOCK_HALO_TOKEN_LIFETIME": ("token_lifetime_s", int),
    "MOCK_HALO_JWT_SECRET": ("jwt_secret", str),
    "MOCK_HALO_GATEWAY_STYLE": ("gateway_style", str),
    "MOCK_HALO_CLOCK": ("clock", str),
    "MOCK_HALO_CLOCK_SPEED": ("clock_speed", float),
    "MOCK_HALO_CLOCK_START": ("clock_start", str),
    "MOCK_HALO_IMMEDIATE_RESULT_LIMIT": ("immediate_result_limit_bytes", int),
    "MOCK_HALO_MAX_REQUEST_BYTES": ("max_request_bytes", int),
    "MOCK_HALO_REQUEST_TIMEOUT": ("request_timeout_s", int),
    "MOCK_HALO_PAGE_SIZE": ("page_size_bytes", int),
    "MOCK_HALO_RESULT_RETENTION": ("result_retention_s", int),
    "MOCK_HALO_ASYNC_EXECUTION_LIMIT": ("async_execution_limit_s", int),
    "MOCK_HALO_ASYNC_RESULT_LIMIT": ("async_result_limit_bytes", int),
    "MOCK_HALO_IMMEDIATE_TIMEOUT": ("immediate_timeout_s", float),
    "MOCK_HALO_EXECUTION_TIMEOUT": ("execution_timeout_s", float),
    "MOCK_HALO_ASYNC_SUCCESS_WHEN": ("async_success_when", str),
    "MOCK_HALO_ADMIN_TOKEN": ("admin_token", str),
    "MOCK_HALO_MAX_QUERIES": ("max_queries", int),
    "MOCK_HALO_MAX_RESULT_BYTES": ("max_result_bytes", int),
    "MOCK_HALO_JOURNAL_CAPACITY": ("journal_capacity", int),
    "MOCK_HALO_STATE": ("state_file", str),
    "MOCK_HALO_LOG_LEVEL": ("log_level", str),
    "MOCK_HALO_REQUIRE_KEY_ON_DEVICE_API": ("require_key_on_device_api", bool),
    "MOCK_HALO_STRICT_TOKEN_PREFIX": ("strict_token_prefix", bool),
    "MOCK_HALO_ODBC": ("odbc", str),
    "MOCK_HALO_ODBC_DIALECT": ("odbc_dialect", str),
    "MOCK_HALO_ODBC_RESET": ("odbc_reset", str),
    "MOCK_HALO_ODBC_POOL_SIZE": ("odbc_pool_size", int),
    "MOCK_HALO_ODBC_LOGIN_TIMEOUT": ("odbc_login_timeout_s", int),
    "MOCK_HALO_ODBC_QUERY_TIMEOUT": ("odbc_query_timeout_s", int),
    "MOCK_HALO_WEBHOOK_TIMEOUT": ("webhook_timeout_s", float),
}

#: The first integrator's webhook from the environment (variable -> WebhookConfig field).
_WEBHOOK_ENV = {
    "MOCK_HALO_WEBHOOK_URL": "url",
    "MOCK_HALO_WEBHOOK_ASYNC_URL": "async_url",
    "MOCK_HALO_WEBHOOK_REGISTERED_URL": "registered_url",
    "MOCK_HALO_WEBHOOK_SECRET": "secret",
}

#: Documented in the README's configuration table; kept here so both agree.
ENV_VARIABLES = tuple(_ENV_FIELDS) + ("MOCK_HALO_CONFIG", "MOCK_HALO_SUBSCRIPTION_KEY", "MOCK_HALO_PAIRING_CODES", *_WEBHOOK_ENV)

_TOML_SCALARS = {name for name, _ in _ENV_FIELDS.values()}
#: The config file's tables (beside its scalar settings).
_TABLES = ("server", "sites", "integrators", "scenarios")


def load_settings(
    config_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build settings from defaults, a TOML file, the environment and overrides."""
    env = os.environ if env is None else env
    settings = defaults()
    path = config_path or env.get("MOCK_HALO_CONFIG")
    if path:
        settings = _apply_toml(settings, Path(path))
    settings = _apply_env(settings, env)
    if overrides:
        settings = _apply_mapping(settings, {k: v for k, v in overrides.items() if v is not None}, "overrides")
    validate(settings)
    return settings


def settings_from_mapping(data: Mapping[str, Any], source: str = "mapping") -> Settings:
    """Settings from a dict shaped like the TOML file (used by tests and the plugin)."""
    settings = _apply_toml_data(defaults(), dict(data), source)
    validate(settings)
    return settings


def _apply_toml(settings: Settings, path: Path) -> Settings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    return _apply_toml_data(settings, data, str(path))


def _apply_toml_data(settings: Settings, data: dict[str, Any], source: str) -> Settings:
    data = dict(data)
    server = data.pop("server", {}) or {}
    if not isinstance(server, dict):
        raise ConfigError(f"{source}: [server] must be a table")
    scalars = {**server, **{k: v for k, v in data.items() if k not in ("sites", "integrators", "scenarios")}}
    settings = _apply_mapping(settings, scalars, source)
    if "sites" in data:
        settings = replace(settings, sites=tuple(_parse_site(s, i, source) for i, s in enumerate(_table_list(data["sites"], "sites", source))))
        if "integrators" not in data:
            # Keep the default integrator, paired with every configured site.
            settings = replace(
                settings,
                integrators=tuple(
                    replace(i, sites=tuple(s.id for s in settings.sites)) for i in settings.integrators
                ),
            )
    if "integrators" in data:
        settings = replace(
            settings,
            integrators=tuple(_parse_integrator(i, n, source) for n, i in enumerate(_table_list(data["integrators"], "integrators", source))),
        )
    if "scenarios" in data:
        settings = with_scenarios(settings, _table_list(data["scenarios"], "scenarios", source), source)
    return replace(settings, source=source)


def with_scenarios(settings: Settings, rules: list[dict[str, Any]], source: str) -> Settings:
    """``settings`` with ``rules`` appended to its preloaded scenario rules (checked now: ConfigError)."""
    from mock_halo.scenarios import ScenarioError, parse_rule

    for index, rule in enumerate(rules):
        try:
            parse_rule(rule, f"rule-{index + 1}")
        except ScenarioError as exc:
            raise ConfigError(f"{source}: scenario {index + 1}: {exc}") from None
    return replace(settings, scenarios=settings.scenarios + tuple(dict(r) for r in rules))


def _table_list(value: Any, name: str, source: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{source}: '{name}' must be an array of tables ([[{name}]])")
    return value


def _apply_mapping(settings: Settings, values: Mapping[str, Any], source: str) -> Settings:
    changes: dict[str, Any] = {}
    aliases = {"token_lifetime": "token_lifetime_s", "subscription_key": None,
               "odbc_login_timeout": "odbc_login_timeout_s", "odbc_query_timeout": "odbc_query_timeout_s",
               "webhook_timeout": "webhook_timeout_s",
               "immediate_timeout": "immediate_timeout_s", "execution_timeout": "execution_timeout_s"}
    for key, value in values.items():
        target = aliases.get(key, key)
        if key == "subscription_key":
            changes["integrators"] = _with_primary_key(settings.integrators, str(value))
            continue
        if target not in _TOML_SCALARS:
            close = difflib.get_close_matches(str(key), sorted({*_TOML_SCALARS, *aliases, *_TABLES}), n=1, cutoff=0.6)
            raise ConfigError(f"{source}: unknown setting '{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        changes[target] = _coerce(target, value, source)
    return replace(settings, **changes)


def _with_primary_key(integrators: tuple[IntegratorConfig, ...], key: str) -> tuple[IntegratorConfig, ...]:
    first, *rest = integrators
    keys = (key,) + tuple(k for k in first.subscription_keys[1:] if k != key)
    return (replace(first, subscription_keys=keys), *rest)


def _coerce(name: str, value: Any, source: str) -> Any:
    expected = type(getattr(Settings(), name)) if getattr(Settings(), name) is not None else str
    try:
        if expected is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if expected is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if expected is float:
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: '{name}' must be {_KIND_WORDS.get(expected, 'a string')}, got {value!r}") from exc


#: How a setting's type is said in an error message.
_KIND_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def unknown_keys(where: str, unknown: set[str], known: set[str] | tuple[str, ...]) -> ConfigError:
    """``where: unknown key(s) ['prot'] (did you mean 'port'?)``: the closest known key for each."""
    hints = []
    for key in sorted(unknown):
        close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
        if close:
            hints.append(f"'{key}': did you mean '{close[0]}'?")
    return ConfigError(f"{where}: unknown key(s) {sorted(unknown)}" + (f" ({'; '.join(hints)})" if hints else ""))


def _apply_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    values: dict[str, Any] = {}
    for var, (name, _) in _ENV_FIELDS.items():
        if var in env and env[var] != "":
            values[name] = env[var]
    settings = _apply_mapping(settings, values, "environment") if values else settings
    key = env.get("MOCK_HALO_SUBSCRIPTION_KEY")
    if key:
        settings = replace(settings, integrators=_with_primary_key(settings.integrators, key))
    codes = env.get("MOCK_HALO_PAIRING_CODES")
    if codes:
        settings = _with_pairing_codes(settings, codes, "environment")
    hook = {field: env[var] for var, field in _WEBHOOK_ENV.items() if env.get(var)}
    if hook:
        first, *rest = settings.integrators
        known = first.webhook
        merged = {"url": None, "async_url": None, "registered_url": None, "secret": None}
        if known is not None:
            merged.update(url=known.url, async_url=known.async_url, registered_url=known.registered_url, secret=known.secret)
        merged.update(hook)
        webhook = webhook_config(**merged, where="environment: MOCK_HALO_WEBHOOK_*")
        settings = replace(settings, integrators=(replace(first, webhook=webhook), *rest))
    return settings


def site_from_mapping(data: dict[str, Any], index: int, source: str) -> SiteConfig:
    """One site from a dict shaped like a ``[[sites]]`` table (ConfigError naming the key)."""
    return _parse_site(data, index, source)


def _parse_site(data: dict[str, Any], index: int, source: str) -> SiteConfig:
    where = f"{source}: sites[{index}]"
    known = {"id", "name", "pms_type", "pms_site_id", "pms_version", "halo_link_version", "availability",
             "catalogues", "seed", "patients", "devices", "connection", "authoritative", "data", "pairing_code",
             *_SITE_ODBC_KEYS}
    unknown = set(data) - known
    if unknown:
        raise unknown_keys(where, unknown, known)
    site_id = _guid(data.get("id") or _derived_guid(f"site-{index}"), f"{where}.id")
    pms_type = data.get("pms_type", "BestPractice")
    if pms_type not in PMS_TYPES:
        raise ConfigError(f"{where}.pms_type must be one of {PMS_TYPES}, got {pms_type!r}")
    cats_raw = data.get("catalogues")
    if cats_raw is None:
        catalogues = bp_catalogues() if pms_type == "BestPractice" else (Catalogue("Patients", True),)
    else:
        catalogues = tuple(_parse_catalogue(c, f"{where}.catalogues[{i}]") for i, c in enumerate(cats_raw))
    availability = data.get("availability", "online")
    if availability not in AVAILABILITIES:
        raise ConfigError(f"{where}.availability must be one of {AVAILABILITIES}, got {availability!r}")
    return SiteConfig(
        id=site_id,
        name=str(data.get("name", f"Practice {index + 1}")),
        pms_type=pms_type,
        pms_site_id=str(data.get("pms_site_id", 10001 + index)),
        pms_version=str(data.get("pms_version", SiteConfig.pms_version)),
        halo_link_version=str(data.get("halo_link_version", SiteConfig.halo_link_version)),
        availability=availability,
        catalogues=catalogues,
        seed=_opt_int(data.get("seed"), f"{where}.seed"),
        patients=_opt_int(data.get("patients"), f"{where}.patients"),
        devices=tuple(str(d) for d in data.get("devices", ())),
        odbc=_parse_site_odbc(data, catalogues, where),
        authoritative=bool(data.get("authoritative", True)),
        pairing_code=_pairing_code(data.get("pairing_code"), f"{where}.pairing_code"),
        data_files=_parse_data_files(data.get("data", {}), catalogues, f"{where}.data", source),
    )


_SITE_ODBC_KEYS = ("odbc", "odbc_dialect", "odbc_reset", "odbc_pool_size", "odbc_login_timeout", "odbc_query_timeout")


def _parse_site_odbc(data: dict[str, Any], catalogues: tuple[Catalogue, ...], where: str) -> OdbcOptions | None:
    """``odbc = "..."`` (or the older ``connection``) or ``[sites.odbc]`` catalogue = "...", plus ``odbc_*``."""
    if "odbc" in data and "connection" in data:
        raise ConfigError(f"{where}: give 'odbc' or 'connection' (an older name for it), not both")
    value = data.get("odbc", data.get("connection"))
    if value is None and not any(k in data for k in _SITE_ODBC_KEYS):
        return None
    connection, per_catalogue = None, ()
    if isinstance(value, str):
        connection = _connection_string(value, f"{where}.odbc")
    elif isinstance(value, dict):
        names = {c.name.lower(): c.name for c in catalogues}
        pairs = []
        for name, text in value.items():
            if name.lower() not in names:
                raise ConfigError(f"{where}.odbc: '{name}' is not one of the site's catalogues "
                                  f"{sorted(names.values())}")
            if not isinstance(text, str):
                raise ConfigError(f"{where}.odbc.{name} must be an ODBC connection string")
            pairs.append((names[name.lower()], _connection_string(text, f"{where}.odbc.{name}")))
        missing = sorted(set(names.values()) - {n for n, _ in pairs})
        if missing:
            raise ConfigError(f"{where}.odbc: no connection string for catalogue(s) {missing}; give every catalogue "
                              "one, or use a single odbc = \"...\" for the whole site")
        per_catalogue = tuple(pairs)
    elif value is not None:
        raise ConfigError(f"{where}.odbc must be a connection string or a table of catalogue = \"connection string\"")

    def number(key: str, low: int, high: int) -> int | None:
        raw = data.get(key)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise ConfigError(f"{where}.{key} must be an integer {low}..{high}, got {raw!r}")
        return raw

    dialect, reset = data.get("odbc_dialect"), data.get("odbc_reset")
    if dialect is not None and dialect not in ODBC_DIALECTS:
        raise ConfigError(f"{where}.odbc_dialect must be one of {ODBC_DIALECTS}, got {dialect!r}")
    if reset is not None and reset not in ODBC_RESETS:
        raise ConfigError(f"{where}.odbc_reset must be one of {ODBC_RESETS}, got {reset!r}")
    return OdbcOptions(connection=connection, catalogues=per_catalogue, dialect=dialect, reset=reset,
                       pool_size=number("odbc_pool_size", 1, 64),
                       login_timeout_s=number("odbc_login_timeout", 0, 3600),
                       query_timeout_s=number("odbc_query_timeout", 0, 86_400))


def _connection_string(value: str, where: str) -> str:
    text = value.strip()
    if "=" not in text:
        raise ConfigError(f"{where} must be an ODBC connection string such as "
                          "\"DRIVER={ODBC Driver 18 for SQL Server};SERVER=...;UID=...;PWD=...\", got "
                          f"{redact(text)!r}")
    return text


def _parse_data_files(value: Any, catalogues: tuple[Catalogue, ...], where: str, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of catalogue = \"file.sqlite\"")
    names = {c.name.lower(): c.name for c in catalogues}
    base = Path(source).parent if source not in ("mapping", "overrides", "environment") else Path.cwd()
    files = []
    for name, path in value.items():
        if name.lower() not in names:
            raise ConfigError(f"{where}: '{name}' is not one of the site's catalogues {sorted(names.values())}")
        full = (base / str(path)).resolve()
        if not full.is_file():
            raise ConfigError(f"{where}.{name}: file not found: {full} (write one with `mock-halo fixtures --out`)")
        files.append((names[name.lower()], str(full)))
    return tuple(files)


def _parse_catalogue(value: Any, where: str) -> Catalogue:
    if isinstance(value, str):
        return Catalogue(value)
    if isinstance(value, dict) and "name" in value:
        return Catalogue(str(value["name"]), bool(value.get("default", value.get("is_default", False))))
    raise ConfigError(f"{where} must be a name or a table with 'name' and optional 'default'")


def _parse_integrator(data: dict[str, Any], index: int, source: str) -> IntegratorConfig:
    where = f"{source}: integrators[{index}]"
    known = {"id", "name", "subscription_keys", "subscription_key", "sites", "webhook"}
    unknown = set(data) - known
    if unknown:
        raise unknown_keys(where, unknown, known)
    keys = data.get("subscription_keys") or ([data["subscription_key"]] if "subscription_key" in data else [])
    if not keys:
        raise ConfigError(f"{where}: needs 'subscription_keys' (one or two keys)")
    return IntegratorConfig(
        id=_guid(data.get("id") or _derived_guid(f"integrator-{index}"), f"{where}.id"),
        name=str(data.get("name", f"Integrator {index + 1}")),
        subscription_keys=tuple(str(k) for k in keys),
        sites=tuple(_guid(s, f"{where}.sites") for s in data.get("sites", ())),
        webhook=_parse_webhook(data["webhook"], f"{where}.webhook") if "webhook" in data else None,
    )


def _parse_webhook(data: Any, where: str) -> WebhookConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table: {{ url = \"http://...\", secret = \"...\" }}")
    known = {"url", "async_url", "registered_url", "secret"}
    unknown = set(data) - known
    if unknown:
        raise unknown_keys(where, unknown, known)
    return webhook_config(**data, where=where)


def _pairing_code(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not text or len(text) > 64 or any(c.isspace() for c in text):
        raise ConfigError(f"{where} must be 1 to 64 characters without spaces, got {value!r}")
    return text


def _with_pairing_codes(settings: Settings, value: str, source: str) -> Settings:
    """``SITE=CODE,...`` (SITE: a site's GUID or its PMS id) sets those sites' pairing codes."""
    codes: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, code = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{source}: MOCK_HALO_PAIRING_CODES takes SITE=CODE pairs (SITE a GUID or PMS id), got {item!r}")
        codes[key.strip().lower()] = _pairing_code(code.strip(), f"{source}: MOCK_HALO_PAIRING_CODES[{key.strip()}]") or ""
    sites, used = [], set()
    for site in settings.sites:
        key = site.id if site.id in codes else site.pms_site_id.lower()
        if key in codes:
            used.add(key)
            site = replace(site, pairing_code=codes[key])
        sites.append(site)
    if set(codes) - used:
        raise ConfigError(f"{source}: MOCK_HALO_PAIRING_CODES names no configured site: {sorted(set(codes) - used)}")
    return replace(settings, sites=tuple(sites))


def _opt_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    return value


def _guid(value: Any, where: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise ConfigError(f"{where} must be a GUID, got {value!r}") from exc


def _derived_guid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mock-halo:{name}"))


def validate(settings: Settings) -> None:
    if not settings.sites:
        raise ConfigError("at least one site must be configured")
    ids = [s.id for s in settings.sites]
    if len(set(ids)) != len(ids):
        raise ConfigError("site ids must be unique")
    for site in settings.sites:
        covered = {name for name, _ in site.data_files}
        odbc = settings.site_odbc(site)
        if odbc is not None:
            _validate_odbc(site, odbc)
        if site.pms_type != "BestPractice" and odbc is None and covered != {c.name for c in site.catalogues}:
            raise ConfigError(
                f"site {site.id} ({site.pms_type}): mock-halo only generates Bp Premier practices; "
                "give every catalogue a data file ([sites.data]) or use pms_type = \"BestPractice\""
            )
        if not site.catalogues:
            raise ConfigError(f"site {site.id} has no catalogues")
        if sum(c.is_default for c in site.catalogues) > 1:
            raise ConfigError(f"site {site.id} has more than one default catalogue")
    if not settings.integrators:
        raise ConfigError("at least one integrator must be configured")
    all_keys = [k for i in settings.integrators for k in i.subscription_keys]
    if len(set(all_keys)) != len(all_keys):
        raise ConfigError("subscription keys must be unique across integrators")
    for integrator in settings.integrators:
        for site_id in integrator.sites:
            if site_id not in ids:
                raise ConfigError(f"integrator {integrator.name} is paired with unknown site {site_id}")
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port must be 0..65535, got {settings.port}")
    if settings.patients < 1 or settings.patients > 1_000_000:
        raise ConfigError(f"patients must be 1..1000000, got {settings.patients}")
    if not 1 <= settings.token_lifetime_s <= MAX_DURATION_S:
        raise ConfigError(f"token_lifetime must be from 1 second to {MAX_DURATION_S} (ten years)")
    if settings.result_retention_s > MAX_DURATION_S or settings.async_execution_limit_s > MAX_DURATION_S:
        raise ConfigError(f"result_retention_s and async_execution_limit_s can be at most {MAX_DURATION_S} (ten years)")
    if settings.gateway_style not in ("halo", "apim"):
        raise ConfigError(f"gateway_style must be 'halo' or 'apim', got {settings.gateway_style!r}")
    if settings.clock not in CLOCK_MODES:
        raise ConfigError(f"clock must be one of {CLOCK_MODES}, got {settings.clock!r}")
    if settings.clock_speed < 0:
        raise ConfigError("clock_speed cannot be negative")
    if settings.clock_start:
        try:
            in_range(parse_timestamp(settings.clock_start))
        except ValueError as exc:
            raise ConfigError(f"clock_start {settings.clock_start!r}: {exc}") from None
    if settings.page_size_bytes < 64:
        raise ConfigError(f"page_size_bytes must be at least 64, got {settings.page_size_bytes}")
    if settings.result_retention_s < 1:
        raise ConfigError("result_retention_s must be at least 1 second")
    for name in ("immediate_timeout_s", "execution_timeout_s"):
        value = getattr(settings, name)
        if not 0 < value <= 86_400:
            raise ConfigError(f"{name[:-2]} must be more than 0 and at most 86400 seconds, got {value}")
    if settings.async_execution_limit_s < 1:
        raise ConfigError("async_execution_limit_s must be at least 1 second")
    if settings.async_success_when not in ("firstPage", "allPages"):
        raise ConfigError(f"async_success_when must be 'firstPage' or 'allPages', got {settings.async_success_when!r}")
    if settings.immediate_result_limit_bytes < 1 or settings.async_result_limit_bytes < 1:
        raise ConfigError("immediate_result_limit_bytes and async_result_limit_bytes must be positive")
    if not 1 <= settings.request_timeout_s <= 3600:
        raise ConfigError(f"request_timeout must be 1..3600 seconds, got {settings.request_timeout_s}")
    if settings.max_queries < 1 or settings.max_result_bytes < 1 or settings.journal_capacity < 1:
        raise ConfigError("max_queries, max_result_bytes and journal_capacity must be positive")
    if settings.odbc and "=" not in settings.odbc:
        raise ConfigError(f"odbc must be an ODBC connection string (KEY=value;...), got {redact(settings.odbc)!r}")
    if settings.odbc_dialect not in ODBC_DIALECTS:
        raise ConfigError(f"odbc_dialect must be one of {ODBC_DIALECTS}, got {settings.odbc_dialect!r}")
    if settings.odbc_reset not in ODBC_RESETS:
        raise ConfigError(f"odbc_reset must be one of {ODBC_RESETS}, got {settings.odbc_reset!r}")
    if not 1 <= settings.odbc_pool_size <= 64:
        raise ConfigError(f"odbc_pool_size must be 1..64, got {settings.odbc_pool_size}")
    if not 0 < settings.webhook_timeout_s <= 60:
        raise ConfigError(f"webhook_timeout must be more than 0 and at most 60 seconds, got {settings.webhook_timeout_s}")
    if settings.odbc_login_timeout_s < 0 or settings.odbc_query_timeout_s < 0:
        raise ConfigError("odbc_login_timeout and odbc_query_timeout cannot be negative (0: no timeout)")


def shared_reload(settings: Settings, site: SiteConfig) -> str | None:
    """Why reloading ``site``'s database would replace another site's data (None if it would not).

    Sites that share a database see the same rows; with ``odbc_reset = "reload"``
    each site's reload loads its own practice over the other's.
    """
    odbc = settings.site_odbc(site)
    if odbc is None or odbc.reset != "reload":
        return None
    mine = {odbc.connection_for(c.name)[0] for c in site.catalogues}
    for other in settings.sites:
        theirs = settings.site_odbc(other) if other.id != site.id else None
        if theirs is None:
            continue
        shared = mine & {theirs.connection_for(c.name)[0] for c in other.catalogues}
        if shared:
            return (f"site {site.id} reloads (odbc_reset = \"reload\") the database {redact(next(iter(shared)))!r} "
                    f"that site {other.id} uses too: each site's reload replaces the other's data; use "
                    "odbc_reset = \"keep\" or give each site its own database")
    return None


def _validate_odbc(site: SiteConfig, odbc: SiteOdbc) -> None:
    if site.data_files:
        raise ConfigError(f"site {site.id}: 'data' files are for the embedded engine; a site with an ODBC "
                          "connection reads its catalogues from that database (load it with "
                          "`mock-halo fixtures --target`)")
    for name, connection in ((c.name, odbc.connection_for(c.name)[0]) for c in site.catalogues):
        if odbc.dialect == "auto" and detect_dialect(connection) is None:
            raise ConfigError(f"site {site.id}: cannot tell the database of catalogue {name} from its connection "
                              f"string {redact(connection)!r} (no SQL Server or PostgreSQL DRIVER=); set "
                              "odbc_dialect = \"mssql\" or \"postgresql\"")


def example_toml() -> str:
    """A commented example configuration (``mock-halo config-example``)."""
    return EXAMPLE_TOML


EXAMPLE_TOML = f"""\
# mock-halo configuration (every key is optional)
seed = 42                 # seeds ids and the fake practice data
patients = 200            # patients per site unless a site says otherwise
token_lifetime = 3600     # seconds a device token lives
clock = "real"            # "real" or "virtual" (frozen until moved)
clock_speed = 1.0         # with clock = "real": 60.0 runs an hour a minute
gateway_style = "halo"    # "halo" or "apim" shape for key/token errors

[server]
host = "127.0.0.1"
port = 8080

[[sites]]
id = "{DEFAULT_SITE_IDS[0]}"
name = "Halo Clinic South"
pms_type = "BestPractice"
pms_site_id = "10001"
availability = "online"   # online | offline | unreachable
patients = 500
devices = []              # allowed device ids; empty allows any
catalogues = [{{ name = "BPSPatients", default = true }}, {{ name = "BPSSamples" }}]
# Run this site's queries on a real database instead (README "Real databases (ODBC)"):
# odbc = "DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=db;UID=sa;PWD=...;TrustServerCertificate=yes"
# odbc_reset = "keep"     # keep | reload: what a reset does to that database

[[integrators]]
name = "My Integration"
subscription_keys = ["{DEFAULT_SUBSCRIPTION_KEY}"]
sites = ["{DEFAULT_SITE_IDS[0]}"]
# Signed query-completion notifications (README "Webhooks"); async_url / registered_url
# instead of url send each source to its own address.
# webhook = {{ url = "http://127.0.0.1:9000/halo/{{source}}/{{siteId}}", secret = "change-me" }}

# Scenario rules loaded at startup (and restored on every reset); see the README.
[[scenarios]]
id = "busy-appointments"
match = {{ surface = "immediate", sql = "BPS_Appointments", ordinal = 2, count = 1 }}
outcome = {{ error = 429, retryAfter = 5 }}
"""
