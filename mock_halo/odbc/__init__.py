"""Real databases through ODBC (pyodbc): SQL Server as written, PostgreSQL translated.

* :mod:`mock_halo.odbc.pool` - connection pool (size, timeouts, health check);
* :mod:`mock_halo.odbc.errors` - driver errors -> SQL Server numbers;
* :mod:`mock_halo.odbc.engine` - :class:`OdbcEngine`, the shared base;
* :mod:`mock_halo.odbc.mssql` - SQL Server: ``sp_executesql``, ``EXEC``;
  :mod:`mock_halo.odbc.mssql_load` - fixtures and procedures into SQL Server;
* :mod:`mock_halo.odbc.postgres` - PostgreSQL (T-SQL translated).

:func:`open_odbc_engine` opens the engine a site's configuration asks for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_halo.odbc.engine import OdbcEngine, Result, Route, collect, outcome, plain
from mock_halo.odbc.pool import ConnectionPool, PoolSettings

if TYPE_CHECKING:
    from mock_halo.config import Settings, SiteConfig

__all__ = ["ConnectionPool", "OdbcEngine", "PoolSettings", "Result", "Route", "collect", "dialect_of",
           "open_odbc_engine", "outcome", "plain"]


def dialect_of(connection: str, configured: str = "auto") -> str:
    """``mssql`` or ``postgresql``: as configured, else from the connection string's DRIVER."""
    from mock_halo.config import ConfigError, detect_dialect, redact

    if configured in ("mssql", "postgresql"):
        return configured
    found = detect_dialect(connection)
    if found is None:
        raise ConfigError(f"cannot tell the database from {redact(connection)!r}: set odbc_dialect to "
                          "\"mssql\" or \"postgresql\"")
    return found


def open_odbc_engine(site: SiteConfig, settings: Settings, *, now: Callable[[], datetime] | None = None,
                     connect: Callable[..., Any] | None = None) -> OdbcEngine:
    """The ODBC engine for ``site`` (which must have an ODBC connection configured).

    One pool per distinct connection string. With one connection string for the
    whole site, SQL Server switches to the catalogue's database for each command
    and PostgreSQL uses the catalogue's schema. ``odbc_reset = "reload"`` loads
    the fixtures at startup (``Emulator.warm``; else before the first command)
    and on every reset; ``"keep"`` never touches the data. Nothing connects while the engine opens, so a database that
    is down gives the commands Halo-shaped errors rather than failing the open.
    """
    from mock_halo.config import ConfigError

    from mock_halo.config import shared_reload

    odbc = settings.site_odbc(site)
    if odbc is None:
        raise ConfigError(f"site {site.id} has no ODBC connection string")
    clash = shared_reload(settings, site)
    if clash is not None:
        logging.getLogger("mock_halo.odbc").warning(clash)
    pool_settings = PoolSettings(size=odbc.pool_size, login_timeout_s=odbc.login_timeout_s,
                                 query_timeout_s=odbc.query_timeout_s)
    pools: dict[str, ConnectionPool] = {}
    dialects: set[str] = set()
    plan: list[tuple[str, str, bool]] = []
    for catalogue in site.catalogues:
        connection, shared = odbc.connection_for(catalogue.name)
        dialects.add(dialect_of(connection, odbc.dialect))
        plan.append((catalogue.name, connection, shared))
    if len(dialects) != 1:
        raise ConfigError(f"site {site.id}: all catalogues must be on the same kind of database, got {sorted(dialects)}")
    dialect = dialects.pop()
    routes: dict[str, Route] = {}
    on_connect = None
    if dialect == "mssql":
        from mock_halo.odbc.mssql import prepare_connection as on_connect
    for name, connection, shared in plan:
        if connection not in pools:
            pools[connection] = ConnectionPool(connection, pool_settings, connect=connect, on_connect=on_connect)
        database = name if shared and dialect == "mssql" else None
        routes[name] = Route(name, pools[connection], database)
    default = site.default_catalogue
    seed, patients = settings.site_seed(site), settings.site_patients(site)
    if dialect == "postgresql":
        from mock_halo.odbc.postgres import PostgresEngine

        engine: OdbcEngine = PostgresEngine(routes, default, now=now, pms_type=site.pms_type, seed=seed,
                                            patients=patients, reset_policy=odbc.reset, site=site.id)
    else:
        from mock_halo.odbc.mssql import MssqlEngine
        from mock_halo.odbc.mssql_load import reload_routes

        engine = MssqlEngine(routes, default, reset_policy=odbc.reset, site=site.id,
                             reload=lambda: reload_routes(routes, seed, patients, pms_type=site.pms_type,
                                                           anchor=(now or datetime.now)()))
    engine.load_pending = odbc.reset == "reload"
    return engine
