"""Real databases through ODBC (pyodbc): SQL Server as written, PostgreSQL translated.

* :mod:`mock_halo.odbc.pool` - connection pool (size, timeouts, health check);
* :mod:`mock_halo.odbc.errors` - driver errors -> SQL Server numbers;
* :mod:`mock_halo.odbc.engine` - :class:`OdbcEngine`, the shared base;
* :mod:`mock_halo.odbc.mssql` - SQL Server: ``sp_executesql``, ``EXEC``, fixtures.
"""

from mock_halo.odbc.engine import OdbcEngine, Result, Route, collect, outcome, plain
from mock_halo.odbc.pool import ConnectionPool, PoolSettings

__all__ = ["ConnectionPool", "OdbcEngine", "PoolSettings", "Result", "Route", "collect", "outcome", "plain"]
