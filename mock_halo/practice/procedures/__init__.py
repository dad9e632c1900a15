"""Bp Premier's stored procedures (bp-premier-schema 5), emulated in Python over the practice tables.

Importing this package registers them in :mod:`mock_halo.sql.procedures` (the engines' registry,
which knows no Bp procedure itself); one module per family. Each is one decorated function
whose parameters are declared as in T-SQL, so discovery (``sys.parameters``) and the T-SQL
definitions for a real SQL Server (``mock_halo/odbc/mssql_procedures.sql``, checked against
this registry) agree. Writes go through the engine's own connection (inside the command's
transaction), so they are visible to later queries.
"""

from . import appointments, patients, users  # noqa: F401 - registers the procedures
from .appointments import SLOT, away_reason, free_slots

__all__ = ["SLOT", "away_reason", "free_slots"]
