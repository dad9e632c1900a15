"""docker/: no Docker engine runs here, so the files are checked by reading them: the compose
file's services, health check and start order, that its connection string and commands are
ones the emulator and `mock-halo fixtures` accept, and that the Dockerfile installs what the
ODBC engines need."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from mock_halo.config import load_settings
from mock_halo.odbc import open_odbc_engine
from mock_halo.odbc.mssql import MssqlEngine
from mock_halo.odbc.mssql_driver import DRIVER_NAME
from mock_halo.fixtures_cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def interpolate(value, env: dict[str, str]):
    """What `docker compose` does to values: ${VAR:-default} from the environment, $$ -> $."""
    if isinstance(value, str):
        replaced = _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value.replace("$$", "\0"))
        return replaced.replace("\0", "$")
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


@pytest.fixture(scope="module")
def compose() -> dict:
    return interpolate(yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8")), {})


def test_services_start_in_order_sql_server_then_fixtures_then_emulator(compose):
    services = compose["services"]
    assert set(services) == {"sqlserver", "fixtures", "mock-halo"}
    assert services["sqlserver"]["image"].startswith("mcr.microsoft.com/mssql/server:2022")
    assert services["fixtures"]["depends_on"] == {"sqlserver": {"condition": "service_healthy"}}
    assert services["mock-halo"]["depends_on"] == {"fixtures": {"condition": "service_completed_successfully"}}
    assert services["fixtures"]["image"] == services["mock-halo"]["image"]
    build = services["fixtures"]["build"]
    assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"


def test_sql_server_accepts_the_eula_and_has_a_working_health_check(compose):
    server = compose["services"]["sqlserver"]
    env = server["environment"]
    assert env["ACCEPT_EULA"] == "Y" and env["MSSQL_PID"] == "Developer"
    password = env["MSSQL_SA_PASSWORD"]
    classes = [r"[A-Z]", r"[a-z]", r"\d", r"[^A-Za-z0-9]"]
    assert len(password) >= 8 and sum(bool(re.search(c, password)) for c in classes) >= 3  # SQL Server's rule
    kind, command = server["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    args = shlex.split(command)
    assert args[0] == "/opt/mssql-tools18/bin/sqlcmd" and "-C" in args and "-b" in args
    assert args[args.index("-P") + 1] == "$MSSQL_SA_PASSWORD"  # the container's variable, not compose's
    check = server["healthcheck"]
    seconds = {k: int(check[k].rstrip("s")) for k in ("interval", "start_period")}
    # SQL Server needs some 15-60 s to accept logins on first start: give it two minutes or more.
    assert seconds["start_period"] + check["retries"] * seconds["interval"] >= 120


def test_the_emulator_accepts_the_connection_configuration(compose):
    env = {k: str(v) for k, v in compose["services"]["mock-halo"]["environment"].items()}
    connection = env["MOCK_HALO_ODBC"]
    assert f"DRIVER={{{DRIVER_NAME}}}" in connection and "SERVER=sqlserver,1433" in connection
    assert "PWD=MockHalo!2026" in connection  # the same default password as the server's
    settings = load_settings(env=env)
    assert all(settings.site_odbc(site).connection == connection for site in settings.sites)
    engine = open_odbc_engine(settings.sites[0], settings, connect=lambda *a, **k: pytest.fail("no connection yet"))
    try:
        assert isinstance(engine, MssqlEngine) and engine.reset_policy == "keep"
        assert {n: r.database for n, r in engine.routes.items()} == {"BPSPatients": "BPSPatients",
                                                                    "BPSSamples": "BPSSamples"}
    finally:
        engine.close()


def test_the_init_step_loads_what_the_emulators_first_site_would_generate(compose):
    fixtures = compose["services"]["fixtures"]
    shell, flag, script = fixtures["command"]
    assert (shell, flag) == ("sh", "-c")
    argv = shlex.split(script)
    assert argv[:2] == ["mock-halo", "fixtures"]
    connection = fixtures["environment"]["MOCK_HALO_ODBC"]
    argv = [connection if a == "$MOCK_HALO_ODBC" else a for a in argv[2:]]
    args = build_parser().parse_args(argv)
    assert args.target == connection == compose["services"]["mock-halo"]["environment"]["MOCK_HALO_ODBC"]
    assert args.catalogue == ["BPSPatients", "BPSSamples"] and not args.same_database
    emulator_env = {k: str(v) for k, v in compose["services"]["mock-halo"]["environment"].items()}
    settings = load_settings(env=emulator_env)
    assert (args.seed, args.patients) == (settings.site_seed(settings.sites[0]), settings.patients)


def test_a_password_from_the_environment_reaches_server_and_connection_alike():
    raw = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    compose = interpolate(raw, {"MSSQL_SA_PASSWORD": "Other#Pass9"})
    assert compose["services"]["sqlserver"]["environment"]["MSSQL_SA_PASSWORD"] == "Other#Pass9"
    assert "PWD=Other#Pass9;" in compose["services"]["mock-halo"]["environment"]["MOCK_HALO_ODBC"]


def dockerfile() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_has_the_odbc_drivers_the_engines_need():
    steps = dockerfile()
    runs = " ".join(arg for op, arg in steps if op == "RUN")
    packages = set(re.search(r"apt-get install -y --no-install-recommends ([^&]+)&&", runs).group(1).split())
    assert {"unixodbc", "libgssapi-krb5-2", "odbc-postgresql"} <= packages
    assert 'pip install --no-cache-dir ".[mssql]"' in runs
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(d.startswith("mssql-python-odbc") for d in extras["mssql"])
    assert any(d.startswith("pyodbc") for d in extras["mssql"])
    assert "python -m mock_halo.odbc.mssql_driver --odbcinst /etc/odbcinst.ini" in runs


def test_the_image_copies_what_exists_and_serves_with_a_health_check():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    for op, arg in steps:
        if op == "COPY":
            *sources, _ = arg.split()
            assert all((ROOT / s).exists() for s in sources), arg
    assert ("CMD", '["mock-halo", "serve"]') in steps
    health = next(arg for op, arg in steps if op == "HEALTHCHECK")
    assert "http://127.0.0.1:8080/_mock/health" in health
    ignored = (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert ".venv" in ignored and ".git" in ignored
