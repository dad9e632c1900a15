"""Microsoft's ODBC Driver 18 for SQL Server from PyPI, registered with unixODBC.

The ``mssql-python-odbc`` wheel (a dependency of Microsoft's ``mssql-python``)
ships ``libmsodbcsql-18.*.so`` for glibc Linux distributions. pyodbc can load
it by path (``DRIVER={/path/libmsodbcsql-18.6.so.2.1}``) or, once it is listed
in ``odbcinst.ini``, by its usual name ``ODBC Driver 18 for SQL Server``, so
connection strings are the same as on a machine with Microsoft's package
installed. The Docker image registers it at build time::

    python -m mock_halo.odbc.mssql_driver --odbcinst /etc/odbcinst.ini

The driver needs unixODBC (``libodbc.so.2``, ``libltdl.so.7``) and Kerberos's
``libgssapi_krb5.so.2`` on the system (Debian: ``unixodbc libgssapi-krb5-2``).
"""

from __future__ import annotations

import argparse
import configparser
import platform
import sys
from pathlib import Path

DRIVER_NAME = "ODBC Driver 18 for SQL Server"
#: Library folders inside the wheel, by distribution family (Debian first: this project's images).
_DISTROS = ("debian_ubuntu", "rhel", "suse")
_ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def bundled_driver(distro: str | None = None) -> Path | None:
    """The driver library in the installed ``mssql-python-odbc`` wheel (None if it is not installed)."""
    try:
        import mssql_python_odbc
    except ImportError:
        return None
    libs = Path(mssql_python_odbc.get_libs_dir())
    arch = _ARCHES.get(platform.machine().lower(), platform.machine().lower())
    for family in ((distro,) if distro else _DISTROS):
        found = sorted((libs / "linux" / family / arch / "lib").glob("libmsodbcsql-18*.so*"))
        if found:
            return found[-1]
    return None


def register(odbcinst: Path, driver: Path, name: str = DRIVER_NAME) -> None:
    """Add (or replace) the ``[name]`` driver section of ``odbcinst``, keeping every other section."""
    config = configparser.ConfigParser(interpolation=None)
    config.optionxform = str  # keep the keys' case (Driver, Description)
    if odbcinst.exists():
        config.read(odbcinst, encoding="utf-8")
    config[name] = {"Description": "Microsoft ODBC Driver 18 for SQL Server (from the mssql-python-odbc wheel)",
                    "Driver": str(driver), "UsageCount": "1"}
    odbcinst.parent.mkdir(parents=True, exist_ok=True)
    with open(odbcinst, "w", encoding="utf-8") as out:
        config.write(out, space_around_delimiters=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_halo.odbc.mssql_driver",
                                     description=f"Register the bundled '{DRIVER_NAME}' with unixODBC.")
    parser.add_argument("--odbcinst", type=Path, default=Path("/etc/odbcinst.ini"),
                        help="unixODBC driver list to update (default /etc/odbcinst.ini)")
    parser.add_argument("--print", action="store_true", help="only print the driver library's path")
    args = parser.parse_args(argv)
    driver = bundled_driver()
    if driver is None:
        print("error: the mssql-python-odbc package is not installed (the mssql extra: pip install '.[mssql]')",
              file=sys.stderr)
        return 1
    if args.print:
        print(driver)
        return 0
    register(args.odbcinst, driver)
    print(f"registered [{DRIVER_NAME}] -> {driver} in {args.odbcinst}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
