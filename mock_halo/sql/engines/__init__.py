"""The engines integrators' T-SQL runs on: embedded SQLite (the default) and PostgreSQL (through ODBC).

Each engine has its back end (what the front end's trees become) and its session (how the batch
interpreter runs statements on its connection).
"""
