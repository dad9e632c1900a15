"""The PostgreSQL back end: T-SQL translated for PostgreSQL and run by the batch interpreter there.

The connections, pool and fixture loading are in :mod:`mock_halo.odbc`.
"""
