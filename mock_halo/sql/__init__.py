"""The SQL engine: T-SQL from integrators, run on the fake practice databases.

Public interface (docs/architecture.md)::

    engine = open_engine(site_config, settings, now=clock.now)
    outcome = engine.execute(SqlCommand(text=..., execution_mode="reader", parameters=[...]))
    engine.reset(); engine.close(); engine.cache_info()

Errors are :class:`SqlError` (SQL Server's number and wording) and
:class:`ParameterError` (a parameter value .NET could not convert).

How a command flows (one module each):

* ``params``      request parameters -> storage-form values (.NET conversion rules)
* ``translate``   cached (text, catalogue) -> ``Script`` of ``Statement`` s, via
  ``dialect`` (parse, SQL Server syntax errors), ``guard`` (constructs not emulated yet),
  ``dml`` (joined UPDATE/DELETE), ``resolve`` + ``typing_rules`` (names, 207/208/209/4104,
  static types), ``rewrite`` + ``builtins`` (SQL Server semantics on SQLite)
* ``batch``       runs a script in a transaction, shapes the ``SqlOutcome`` (``encode``)
* ``functions`` / ``strings`` / ``dates`` / ``convert`` / ``formatting``: the ``mh_*`` built-ins
* ``security``    the authorizer; ``sqlite_errors`` maps what only SQLite notices
* ``procedures``  the stored-procedure registry; ``testing`` a miniature site for tests
"""

from mock_halo.sql.engine import SqliteEngine, open_engine
from mock_halo.sql.errors import ParameterError, SqlError
from mock_halo.sql.model import SqlCommand, SqlOutcome, SqlParameter

__all__ = ["ParameterError", "SqlCommand", "SqlError", "SqlOutcome", "SqlParameter", "SqliteEngine",
           "open_engine"]
