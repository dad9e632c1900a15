"""The PostgreSQL the ODBC tests use: reachable, UTF-8, and one database per worker."""

from pg_support import pg_dsn, with_database  # noqa: F401 - pg_dsn is a fixture


def test_with_database_replaces_or_adds_the_database():
    assert with_database("DRIVER={x};SERVER=h;DATABASE=a;UID=u", "b") == "DRIVER={x};SERVER=h;DATABASE=b;UID=u"
    assert with_database("DRIVER={x};database = a", "b") == "DRIVER={x};database = b"
    assert with_database("DRIVER={x};SERVER=h;", "b") == "DRIVER={x};SERVER=h;DATABASE=b"


def test_the_worker_database_is_fresh_and_speaks_unicode(pg_dsn):
    import pyodbc

    with pyodbc.connect(pg_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0].startswith("mh_test_")
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchone()[0] == 0
        assert conn.execute("SELECT upper(?)", "Zoë").fetchone()[0] == "ZOË"
