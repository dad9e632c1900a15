"""The SQL engine: T-SQL from integrators, run on the fake practice databases.

Public interface (docs/architecture.md)::

    engine = open_engine(site_config, settings, now=clock.now)
    outcome = engine.execute(SqlCommand(text=..., execution_mode="reader", parameters=[...]))
    engine.reset(); engine.close()

Errors are :class:`SqlError` (SQL Server's number and wording) and
:class:`ParameterError` (a parameter value .NET could not convert).
"""

from mock_halo.sql.engine import SqliteEngine, open_engine
from mock_halo.sql.errors import ParameterError, SqlError
from mock_halo.sql.model import SqlCommand, SqlOutcome, SqlParameter

__all__ = ["ParameterError", "SqlCommand", "SqlError", "SqlOutcome", "SqlParameter", "SqliteEngine",
           "open_engine"]
