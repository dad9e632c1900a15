"""The SQL engine: T-SQL from integrators, run on the fake practice databases.

Public interface (docs/architecture.md)::

    engine = open_engine(site_config, settings, now=clock.now)
    outcome = engine.execute(SqlCommand(text=..., execution_mode="reader", parameters=[...]))
    engine.reset(); engine.close(); engine.cache_info()

Errors are :class:`SqlError` (SQL Server's number and wording) and
:class:`ParameterError` (a parameter value .NET could not convert).

How a command flows (one subpackage each):

* ``frontend/``   T-SQL text -> a cached ``Script`` of ``Statement`` s, once for every engine:
  ``limits`` (nesting depth and size checked on the tokens, before anything recursive parses them),
  ``dialect`` (parse, SQL Server syntax errors), ``flow`` (statements and control flow), ``program``
  (steps for the interpreter), ``unsupported`` (constructs not emulated yet), ``top`` / ``dml``
  (reshaped forms), ``resolve`` + ``typing_rules`` + ``builtins`` (names, 207/208/209/4104, static
  types), ``precedence`` (SQL Server's data type precedence), ``temp_tables`` (``#t`` / ``@t``),
  ``translate`` (the entry point and its cache; an engine's subclass adds the back end)
* ``engines/``    one back end per engine, each only emitting (``emitter``: the shared base, in the
  manner of sqlglot's generators), and one session per engine: ``sqlite/`` (the embedded engine, the
  ``mh_*`` functions, the authorizer, SQLite's errors) and ``postgres/`` (connections in
  :mod:`mock_halo.odbc`)
* ``runtime/``    ``params`` (request parameters, .NET conversion rules), ``interpreter`` (variables,
  control flow, TRY/CATCH over a ``Session``), ``session`` (what every engine's session shares),
  ``results`` (the ``SqlOutcome``)
* ``semantics/``  SQL Server's meaning in plain Python: ``kinds``, ``errors`` (every message),
  ``convert``, ``dates``, ``strings``, ``formatting``, ``encode`` (values as Halo's JSON rows)
* ``procedures``  the stored-procedure registry (``bp/``: the Bp Premier procedures); ``testing`` a
  miniature site for tests
"""

from mock_halo.sql.engines.sqlite.engine import SqliteEngine, open_engine
from mock_halo.sql.model import SqlCommand, SqlOutcome, SqlParameter
from mock_halo.sql.semantics.errors import ParameterError, ResultTooLarge, SqlError

__all__ = ["ParameterError", "ResultTooLarge", "SqlCommand", "SqlError", "SqlOutcome", "SqlParameter", "SqliteEngine",
           "open_engine"]
