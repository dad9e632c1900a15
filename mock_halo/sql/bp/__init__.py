"""Bp Premier's stored procedures (halo-facts 14.2), emulated in Python over the fixture tables.

Importing this package registers them in :mod:`mock_halo.sql.procedures`; one
module per family. Writes go through the engine's own connection (inside the
command's transaction), so they are visible to later queries.
"""

from mock_halo.sql.bp import appointments, patients, users  # noqa: F401 - registers the procedures
