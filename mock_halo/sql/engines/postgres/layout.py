"""How a site's catalogues are laid out in PostgreSQL: the names the back end and the loader share.

Each catalogue is a schema named after it in lower case (``BPSPatients`` ->
``bpspatients``); the ``mock_halo`` schema holds the SQL functions for the
T-SQL built-ins PostgreSQL lacks; a declared text length is a CHECK constraint
named ``mh_len:<table>.<column>`` (so its violation can be reported as SQL
Server's 2628).
"""

from __future__ import annotations

SUPPORT_SCHEMA = "mock_halo"
#: Name prefix of the CHECK constraints that enforce declared text lengths: ``mh_len:<table>.<column>``.
LENGTH_CHECK = "mh_len:"


def schema_name(catalogue: str) -> str:
    """The PostgreSQL schema of a catalogue: its name in lower case."""
    return catalogue.lower()
