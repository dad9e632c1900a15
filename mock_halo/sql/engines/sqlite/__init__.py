"""The embedded engine: one SQLite connection per site, with SQL Server's built-ins as Python functions."""
