"""The emulator's domain state: everything a request can see or change.

No Starlette here. ``Emulator`` holds the settings, the one clock, the id
source, the token service, each site's state (SQL engine and the worker thread
its SQL runs on) and the query store, and ``reset()`` puts all of it back to
the start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mock_halo.auth import TokenService
from mock_halo.clock import Clock, as_utc, in_range, parse_timestamp
from mock_halo.config import IntegratorConfig, Settings, SiteConfig, load_settings
from mock_halo.config import validate as validate_settings
from mock_halo.ids import IdSource
from mock_halo.journal import Journal
from mock_halo.pairing import Pairings, pairing_code
from mock_halo.lifecycle.profile import LifecycleLimits
from mock_halo.lifecycle.service import Lifecycle
from mock_halo.lifecycle.store import QueryStore
from mock_halo.runner import SiteRunner, current_deadline
from mock_halo.scenarios import ScenarioBook
from mock_halo.webhooks.outbox import Webhooks


#: When the configured sites' Halo Link was installed (their ``createdAt``): the July 2023 Bp
#: Premier data update, which bundles Halo Link (halo-facts 14.1).
INSTALLED_AT = datetime(2023, 7, 17, tzinfo=UTC)


@dataclass
class SiteState:
    """A site as the emulator runs it: its config and SQL engine.

    Availability lives in the lifecycle (it changes over time); ask
    ``Emulator.availability``.
    """

    config: SiteConfig
    _engine: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: where the site's SQL runs (mock_halo/runner.py): one piece at a time, off the event loop
    runner: SiteRunner = field(init=False)

    def __post_init__(self) -> None:
        self.runner = SiteRunner(self.config.id, interrupt=self._interrupt)

    @property
    def id(self) -> str:
        return self.config.id

    def _interrupt(self) -> None:
        engine = self._engine
        interrupt = getattr(engine, "interrupt", None)
        if interrupt is not None:
            interrupt()


class WorkingEngine:
    """A site's engine as a piece of work on its runner uses it: every command runs
    under the work's deadline (:func:`mock_halo.runner.current_deadline`)."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def execute(self, command: Any) -> Any:
        return self._engine.execute(command, deadline=current_deadline())


class Emulator:
    """All state of one emulator instance."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or load_settings(env={})
        self.clock = clock or _clock_from_settings(self.settings)
        self.ids = IdSource(self.settings.seed)
        self.tokens = TokenService(self.settings, self.clock, self.ids)
        self.queries = QueryStore(self.settings.max_queries, self.settings.max_result_bytes)
        self.sites: dict[str, SiteState] = {s.id: SiteState(config=s) for s in self.settings.sites}
        self.lifecycle = Lifecycle(
            self.clock,
            self.ids,
            self.queries,
            executors=self._executor,
            availability={s.id: s.availability for s in self.settings.sites},
            # Due SQL waits for the operations to run it on the site's worker thread.
            sql_inline=False,
            limits=LifecycleLimits(
                async_execution_limit=timedelta(seconds=self.settings.async_execution_limit_s),
                page_size_bytes=self.settings.page_size_bytes,
                retention=timedelta(seconds=self.settings.result_retention_s),
                success_when=self.settings.async_success_when,
                async_result_limit_bytes=self.settings.async_result_limit_bytes,
            ),
        )
        # The control plane's state: scenario rules (preloaded ones come back
        # on reset), the request journal and each site's added latency.
        self.scenarios = ScenarioBook(getattr(self.settings, "scenarios", ()), seed=lambda: self.settings.seed)
        self.journal = Journal(self.settings.journal_capacity)
        self.site_latency_ms: dict[str, int] = {}
        # Signed notifications when queries complete; the app's lifespan runs their sender.
        self.webhooks = Webhooks(self.clock, lambda: self.settings)
        self.lifecycle.on_completed(self.webhooks.completed)
        # Which integrators may query which sites beyond the configuration; sites added
        # through the control plane (GUID -> when), gone at the next full reset.
        self.pairings = Pairings()
        self.started_at = self.clock.now()
        self._added_sites: dict[str, datetime] = {}
        #: engine work of a reset or reseed collected for the caller (None: done at once)
        self._engine_work: list[tuple[SiteState, Callable[[], None]]] | None = None

    # -- sites and engines --------------------------------------------------
    def site(self, site_id: str) -> SiteState | None:
        return self.sites.get(site_id.lower())

    def engine(self, site: SiteState):
        """The site's SQL engine, opened on first use (loading its practice data)."""
        engine = site._engine
        if engine is None:
            with site._lock:
                if site._engine is None and self.settings.site_odbc(site.config) is not None:
                    # A real database (SQL Server or PostgreSQL) through ODBC: mock_halo/odbc.
                    from mock_halo.odbc import open_odbc_engine

                    site._engine = open_odbc_engine(site.config, self.settings, now=self.lifecycle.sql_now)
                elif site._engine is None:
                    from mock_halo.sql import open_engine

                    # GETDATE() in a deferred async execution is its own start time.
                    site._engine = open_engine(
                        site.config, self.settings, now=self.lifecycle.sql_now, templates=_file_templates(site.config, self.settings)
                    )
                engine = site._engine
        return engine

    def working_engine(self, site: SiteState) -> WorkingEngine:
        """The site's engine for work on its runner (opened on first use, on that thread)."""
        return WorkingEngine(self.engine(site))

    def _executor(self, site_id: str):
        return self.working_engine(self.sites[site_id]).execute

    def availability(self, site_id: str) -> str:
        """``online``, ``offline`` or ``unreachable`` at the clock's now."""
        return self.lifecycle.availability(site_id)

    def set_availability(self, site_id: str, state: str, at: datetime | None = None) -> None:
        """``state`` from ``at`` on (default now; changes are made in time order)."""
        if state not in ("online", "offline", "unreachable"):
            raise ValueError(f"availability must be online, offline or unreachable, not {state!r}")
        self.lifecycle.set_availability(site_id, state, at)

    # -- pairing and added sites (halo-facts 9) -------------------------------------
    def paired(self, integrator: IntegratorConfig, site_id: str) -> bool:
        """Whether ``integrator`` has an active pairing with ``site_id``."""
        return self.pairings.paired(integrator, site_id)

    def pairing_code(self, site: SiteState) -> str | None:
        return pairing_code(site.config)

    def site_created_at(self, site: SiteState) -> datetime:
        """When the site's Halo Link was installed: configured sites at :data:`INSTALLED_AT`."""
        return self._added_sites.get(site.id, INSTALLED_AT)

    def added_at(self, site: SiteState) -> datetime | None:
        """When the site was added through the control plane (None: it is configured)."""
        return self._added_sites.get(site.id)

    def add_site(self, config: SiteConfig, paired_with: Iterable[str] = ()) -> SiteState:
        """A new site until the next full reset, paired with the integrators named (ValueError:
        a configuration that does not validate, or an unknown integrator)."""
        integrators = list(paired_with)
        unknown = [i for i in integrators if self.settings.integrator(i) is None]
        if unknown:
            raise ValueError(f"pairedWith names no configured integrator: {unknown}")
        settings = replace(self.settings, sites=(*self.settings.sites, config))
        validate_settings(settings)
        self.settings = settings
        state = self.sites[config.id] = SiteState(config=config)
        self.lifecycle.add_site(config.id, config.availability)
        self._added_sites[config.id] = self.lifecycle.now()
        for integrator_id in integrators:
            self.pairings.give(integrator_id, config.id)
        return state

    def _remove_added_sites(self) -> None:
        for site_id in self._added_sites:
            state = self.sites.pop(site_id)
            state.runner.close()
            if state._engine is not None:
                state._engine.close()
            self.lifecycle.remove_site(site_id)
            self.pairings.forget_site(site_id)
        self.settings = replace(self.settings, sites=tuple(s for s in self.settings.sites if s.id not in self._added_sites))
        self._added_sites.clear()

    def warm(self) -> None:
        """Open every site's engine now, its practice data loaded (``serve`` does this before
        listening), so no request pays for that inside its deadline."""
        for site in self.sites.values():
            self._warm(site)

    def _warm(self, site: SiteState) -> None:
        warm = getattr(self.engine(site), "warm", None)
        if warm is not None:
            warm()

    @contextmanager
    def engine_work(self) -> Iterator[list[tuple[SiteState, Callable[[], None]]]]:
        """Collect, rather than do, the engine work of the resets and reseeds inside the block (a
        site's engine reset, reloading an external database: seconds on PostgreSQL): the list
        of (site, call) it yields, for the caller to run on each site's thread
        (``SiteWork.settle``). Outside such a block that work is done at once."""
        outer, self._engine_work = self._engine_work, []
        try:
            yield self._engine_work
        finally:
            self._engine_work = outer

    def _on_engine(self, site: SiteState, call: Callable[[], None]) -> None:
        if self._engine_work is None:
            call()
        else:
            self._engine_work.append((site, call))

    # -- reset ----------------------------------------------------------------
    def reset(self, site_id: str | None = None) -> None:
        """Back to the start: all state, or one site's data, queries and availability.

        SQL in flight on those sites is cancelled first: queued work never runs and a
        running statement stops at once (its request answers 504; an async execution or
        registered run is forgotten with its query), so the reset never waits for it.
        Resetting the engines (reloading an external database) is engine work: done at
        once, or collected by :meth:`engine_work` to run on the sites' threads.
        """
        targets = [self.sites[site_id]] if site_id else list(self.sites.values())
        for site in targets:
            site.runner.cancel_all()
        for site in targets:
            engine = site._engine
            if engine is not None and (site_id or site.id not in self._added_sites):
                self._on_engine(site, engine.reset)
        # The lifecycle forgets the queries and restores configured availability.
        self.lifecycle.reset(site_id)
        self.webhooks.reset(site_id)
        self.pairings.reset(site_id)
        if site_id:
            self.site_latency_ms.pop(site_id, None)
        else:
            self._remove_added_sites()
            self.tokens.reset()
            self.ids.reset()
            self.scenarios.reset()
            self.journal.reset()
            self.site_latency_ms.clear()

    def set_clock(self, instant: datetime, *, backwards: bool = False) -> None:
        """Jump the clock to ``instant``; earlier than now only with ``backwards``.

        Moving back is a full reset first: every query, page and registered run
        would otherwise have happened in the future of the new now.
        """
        instant = in_range(as_utc(instant))
        if backwards and instant < self.clock.now():
            self.reset()
            self.lifecycle.rewind()
        self.clock.set(instant, backwards=backwards)

    def return_to_real_time(self, speed: float = 1.0) -> None:
        """Run the clock from the wall clock's now at ``speed`` (1: real time).

        When the clock had been moved ahead this is a move back, so everything
        resets first, exactly as with ``set_clock(..., backwards=True)``.
        """
        self.set_clock(self.clock.wall_now(), backwards=True)
        self.clock.set_speed(speed)

    def state_summary(self) -> dict[str, int]:
        """What a full reset would throw away; all zero for an emulator as it started.

        ``requests``: Halo API requests since the start or the last reset; ``queries``:
        stored queries and registrations; ``scenarioRules``: rules added, removed or
        matched since then; ``sites``: sites whose availability or latency was changed,
        sites added through the control plane and pairings made through the API;
        ``webhooks``: webhook deliveries kept and webhooks set through the control plane.
        """
        counts = self.lifecycle.counts()
        changed_sites = sum(
            1 for site in self.sites.values()
            if self.availability(site.id) != site.config.availability or self.site_latency_ms.get(site.id, 0)
        )
        return {
            "requests": self.journal.recorded,
            "queries": counts["queries"] + counts["registered"],
            "scenarioRules": self.scenarios.changes(),
            "sites": changed_sites + len(self._added_sites) + self.pairings.made,
            "webhooks": self.webhooks.changes(),
        }

    def reseed(self, seed: int) -> None:
        """A new seed for ids and the practice data, then a full reset.

        Engines close and reopen on next use with data generated from ``seed``
        (sites with their own ``seed`` in the config keep it); an external database
        that reloads is loaded again now (engine work, see :meth:`engine_work`).
        """
        self.settings = replace(self.settings, seed=seed)
        self.ids._seed = seed
        self._close_engines()
        self.reset()
        for site in self.sites.values():
            if self.settings.site_odbc(site.config) is not None:
                # An external database is loaded again now (as at startup), not in the next query's deadline.
                self._on_engine(site, lambda site=site: self._warm(site))

    def close(self) -> None:
        """Stop every site's worker thread and close the engines."""
        for site in self.sites.values():
            site.runner.close()
        self._close_engines()

    def _close_engines(self) -> None:
        for site in self.sites.values():
            site.runner.cancel_all()
            if site._engine is not None:
                site._engine.close()
                site._engine = None


def _file_templates(site: SiteConfig, settings: Settings):
    """Templates for catalogues given as files; generated ones for the rest (None: all generated)."""
    if not site.data_files:
        return None
    from mock_halo.practice import build_catalogue, load_catalogue_file

    files = dict(site.data_files)
    return {
        c.name: load_catalogue_file(files[c.name]) if c.name in files
        else build_catalogue(site.pms_type, c.name, settings.site_seed(site), settings.site_patients(site))
        for c in site.catalogues
    }


def _clock_from_settings(settings: Settings) -> Clock:
    start = parse_timestamp(settings.clock_start) if settings.clock_start else None
    if settings.clock == "virtual":
        return Clock.virtual(start)
    return Clock.real(speed=settings.clock_speed, start=start)
