"""Every example in README.md, run from the README itself.

Each fenced block of the README is preceded by a marker: ``<!-- example: NAME -->`` (run or
checked here by the function registered for NAME) or ``<!-- not-run: why -->``. A block without a
marker, an example without a check, or a check without an example fails, so README and tests
cannot drift. Examples that talk to the emulator run against a real ``mock-halo serve`` on a free
loopback port (the only edit: ``127.0.0.1:8080``/``localhost:8080`` become its address) and must
print real data, which they pick the way a user would: by asking for it.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from live_server import BIN, ServeProcess
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.config import DEFAULT_INTEGRATOR_ID as DEFAULT_INTEGRATOR
from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY, load_settings
from mock_halo.contract.runner import parser as contract_parser
from mock_halo.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"^<!-- (example|not-run): (.+?) -->$")
SITE = DEFAULT_SITE_IDS[0]


@dataclass(frozen=True)
class Block:
    kind: str | None  # "example", "not-run", or None when unmarked
    label: str
    lang: str
    code: str
    line: int


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks of ``text`` with the marker on the line before each (if any)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            lang = lines[i][3:].strip()
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            mark = MARKER.match(before.strip())
            blocks.append(Block(mark.group(1) if mark else None, mark.group(2) if mark else "", lang,
                                "\n".join(lines[i + 1:end]), i + 1))
            i = end + 1
        else:
            i += 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
EXAMPLES = {b.label: b for b in BLOCKS if b.kind == "example"}
CHECKS: dict[str, Callable[..., None]] = {}


def check(name: str):
    def register(fn):
        CHECKS[name] = fn
        return fn
    return register


def test_every_fenced_block_of_the_readme_is_marked():
    unmarked = [f"README.md:{b.line} ({b.lang or 'no language'})" for b in BLOCKS if b.kind is None]
    assert not unmarked, "fenced blocks need <!-- example: NAME --> or <!-- not-run: why -->: " + ", ".join(unmarked)
    labels = [b.label for b in BLOCKS if b.kind == "example"]
    assert len(labels) == len(set(labels)), f"example names repeat: {labels}"


def test_every_example_has_a_check_and_every_check_an_example():
    assert set(EXAMPLES) == set(CHECKS)


# -- running examples ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def live():
    """A real ``mock-halo serve`` (embedded defaults, real clock), as a user starts it."""
    with ServeProcess() as server:
        yield server


@pytest.fixture
def server(live):
    """The live server, reset to its start for each example."""
    httpx.post(f"{live.base_url}/_mock/reset").raise_for_status()
    return live


def aimed_at(code: str, base_url: str) -> str:
    """The example with the README's default address replaced by the live server's."""
    netloc = urlsplit(base_url).netloc
    return code.replace("http://127.0.0.1:8080", base_url).replace("localhost:8080", netloc)


def run_sh(code: str, tmp_path: Path) -> str:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (Debian: curl; bash scripts/test.sh installs it as root)")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def run_python(code: str, tmp_path: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout.splitlines()


def json_documents(text: str) -> list:
    """The JSON documents printed one after another (curl prints no newline between them)."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return found
        document, i = decoder.raw_decode(text, i)
        found.append(document)


def quickstart_setup() -> str:
    """The quick start's curl block with its output dropped: it sets SITE and TOKEN."""
    return "{\n" + EXAMPLES["quickstart-curl"].code + "\n} > /dev/null\n"


def named_people(rows: list[dict], *keys: str) -> None:
    assert rows, "no rows"
    for row in rows:
        for key in keys:
            assert isinstance(row[key], str) and row[key].strip(), row


def test_example(name: str, request: pytest.FixtureRequest) -> None:
    CHECKS[name](request)


def pytest_generate_tests(metafunc):
    if metafunc.function is test_example:
        metafunc.parametrize("name", sorted(CHECKS))


# -- the checks, one per example -------------------------------------------------------------------
@check("serve-script")
def _serve_script(request):
    if not (ROOT / ".venv" / "bin" / "mock-halo").exists():
        pytest.skip("this checkout has no .venv yet (bash scripts/test.sh or scripts/serve.sh creates it)")
    command = shlex.split(EXAMPLES["serve-script"].code)
    with ServeProcess("--port", "0", command=command, cwd=str(ROOT)) as served:
        assert httpx.get(f"{served.base_url}/_mock/health").json()["status"] == "ok"
        assert "installing" not in served.output, "serve.sh reinstalled an installed project:\n" + served.output


@check("quickstart-curl")
def _quickstart_curl(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    out = run_sh(aimed_at(EXAMPLES["quickstart-curl"].code, server.base_url), tmp_path)
    first, rest = out.split("\n", 1)
    rows = ast.literal_eval(first)
    assert len(rows) == 5
    named_people(rows, "Firstname", "Surname")
    assert [r["Surname"].lower() for r in rows] == sorted(r["Surname"].lower() for r in rows)
    assert json.loads(rest) == rows  # mock-halo decode prints the same rows


@check("quickstart-python")
def _quickstart_python(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    listed, one, error = run_python(aimed_at(EXAMPLES["quickstart-python"].code, server.base_url), tmp_path)
    patients, [patient] = ast.literal_eval(listed), ast.literal_eval(one)
    assert len(patients) == 3
    named_people(patients, "Firstname", "Surname")
    named_people([patient], "Firstname", "Surname")
    assert (patient["Firstname"], patient["Surname"]) == (patients[0]["Firstname"], patients[0]["Surname"])
    assert re.match(r"\d{4}-\d\d-\d\dT", patient["DOB"])
    assert error.startswith("400 ") and "'errorCode': 208" in error and "BPS_Patientz" in error


@check("fhir-curl")
def _fhir_curl(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    code = quickstart_setup() + EXAMPLES["fhir-curl"].code + '\necho; echo "$FAMILY"'
    out = run_sh(aimed_at(code, server.base_url), tmp_path)
    documents, family = out.rstrip("\n").rsplit("\n", 1)
    searched, posted = json_documents(documents)
    assert family.strip()
    for bundle in (searched, posted):
        assert bundle["resourceType"] == "Bundle" and bundle["total"] >= 1, bundle
        families = [e["resource"]["name"][0]["family"] for e in bundle["entry"]]
        assert families and all(f.lower().startswith(family.lower()) for f in families), families
    births = [e["resource"].get("birthDate", "") for e in posted["entry"]]
    assert births == sorted(births)


@check("control-plane-curl")
def _control_plane_curl(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    out = run_sh(aimed_at(quickstart_setup() + EXAMPLES["control-plane-curl"].code, server.base_url), tmp_path)
    clock, rule, refused, journal, site, reset = json_documents(out)
    assert clock["now"].endswith("Z")
    assert rule["id"] and rule["outcome"]["error"] == 429
    assert refused["error"]["status"] == 429 and "Try again in 5 seconds" in refused["error"]["message"]
    [entry] = journal["entries"]
    assert (entry["status"], entry["surface"], entry["scenarios"]) == (429, "immediate", [rule["id"]])
    assert (site["id"], site["availability"]) == (SITE, "offline")
    assert reset["reset"] == "all"


@check("sql-directives")
def _sql_directives(request):
    """Each line, sent as a user would (async for lifecycle outcomes, immediate for the rest),
    gets the outcome its own directive names."""
    server = request.getfixturevalue("server")
    base = server.base_url
    control = httpx.Client(base_url=f"{base}/_mock")
    lines = [line for line in EXAMPLES["sql-directives"].code.splitlines() if line.strip()]
    assert len(lines) >= 5
    for sql in lines:
        # A fresh token for each line: the clock moves hours between them.
        halo = httpx.Client(base_url=f"{base}/device/sites/{SITE}/queries", headers=_headers(httpx, SITE, base))
        if status := re.search(r"status=(\w+)", sql):
            created = halo.post("/async", json={"command": {"text": sql}})
            assert created.status_code == 201, created.text
            control.post("/clock/advance", json={"duration": "3h"}).raise_for_status()
            polled = halo.get(f"/{created.json()['id']}", headers=_headers(httpx, SITE, base))
            assert polled.json()["status"] == status.group(1), sql
        elif error := re.search(r"error=(\d+)", sql):
            answer = halo.post("/immediate", json={"command": {"text": sql}})
            assert answer.status_code == int(error.group(1)), sql
            if retry := re.search(r"retryAfter=(\d+)", sql):
                assert answer.headers["Retry-After"] == retry.group(1)
        else:
            number = re.search(r"sqlError=(\d+) \"(.+)\"", sql)
            answer = halo.post("/immediate", json={"command": {"text": sql}})
            assert answer.status_code == 400, sql
            details = answer.json()["errorDetails"]
            assert (details["errorCode"], details["errorMessage"]) == (int(number.group(1)), number.group(2))


@check("control-client")
def _control_client(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    refused, clock, journal, real = run_python(aimed_at(EXAMPLES["control-client"].code, server.base_url), tmp_path)
    assert refused.startswith("429 5 Rate limit is exceeded")
    assert clock.startswith("ClockState(now=")
    assert ast.literal_eval(journal) == [("/integrator/token", 429, ["rule-1"])]
    now = datetime.fromisoformat(re.search(r"now='([^']+)'", real).group(1))
    assert "frozen=False" in real and abs(now.timestamp() - time.time()) < 5


@check("pytest-plugin")
def _pytest_plugin(request):
    """The plugin example as a user's own test file, with warnings as errors."""
    run_as_user_test(request.getfixturevalue("tmp_path"), "test_integration.py", EXAMPLES["pytest-plugin"].code)


def run_as_user_test(tmp_path: Path, name: str, code: str) -> None:
    """``code`` as a user's own one-test file, run by pytest with warnings as errors: it must pass."""
    (tmp_path / name).write_text(code + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider", name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


@check("client-property-test")
def _client_property_test(request):
    """The property test as a user's own test file (run from the repository root so ``examples``
    imports), with warnings as errors; 25 examples instead of 200 to keep the suite quick."""
    tmp_path = request.getfixturevalue("tmp_path")
    code = EXAMPLES["client-property-test"].code.replace("max_examples=200", "max_examples=25")
    (tmp_path / "test_client.py").write_text(code + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider",
                           "test_client.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


@check("client-failure-report")
def _client_failure_report(request):
    """The sample report is what the naive example client's run under that one fault prints
    (``...`` in the README stands for any text)."""
    from examples.naive_client import fetch_patients
    from mock_halo.chaos import ChaosRunner, HttpError, Schedule

    run = ChaosRunner(load_settings(env={}), max_requests=40).run(
        Schedule((HttpError(surface="async", status=429, retry_after=1),)),
        lambda halo: fetch_patients(halo.http, site_id=halo.site_id, subscription_key=halo.subscription_key,
                                    sleep=halo.sleep))
    actual = str(run).splitlines()
    position = 0
    for line in EXAMPLES["client-failure-report"].code.splitlines():
        if line.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in line.split("...")) + "$")
        found = next((i for i in range(position, len(actual)) if pattern.match(actual[i])), None)
        assert found is not None, f"README line {line!r} not in the report (from line {position}):\n{run}"
        position = found + 1


@check("chaos-profile")
def _chaos_profile(request):
    """The profile loads as chaos rules an emulator accepts, and its draws replay."""
    from mock_halo.config import with_scenarios
    from mock_halo.scenarios.chaos import load_profile

    path = request.getfixturevalue("tmp_path") / "profile.json"
    path.write_text(EXAMPLES["chaos-profile"].code, encoding="utf-8")
    rules = load_profile(str(path))
    assert [r["id"] for r in rules][:2] == ["chaos-rate-limited", "chaos-unavailable"]
    settings = with_scenarios(load_settings(env={}, overrides={"clock": "virtual"}), rules, "README")
    emulator = Emulator(settings)
    try:
        with TestClient(create_app(emulator=emulator)) as client:
            assert [r["match"]["seed"] for r in client.get("/_mock/scenarios").json()["rules"]] == [7] * len(rules)
    finally:
        emulator.close()


@check("bigger-practice-toml")
def _bigger_practice(request):
    """``mock-halo fixtures --out practice.sqlite`` (small) then the TOML serves that file."""
    tmp_path = request.getfixturevalue("tmp_path")
    written = subprocess.run([sys.executable, "-m", "mock_halo", "fixtures", "--patients", "25", "--out",
                              str(tmp_path / "practice.sqlite")], capture_output=True, text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    config = tmp_path / "mock-halo.toml"
    config.write_text(EXAMPLES["bigger-practice-toml"].code, encoding="utf-8")
    settings = load_settings(str(config), env={}, overrides={"clock": "virtual"})
    [site] = settings.sites
    assert site.name == "Big Practice"
    rows = immediate_rows(settings, site.id, "SELECT COUNT(*) AS n FROM BPS_Patients")
    assert rows[0]["n"] > 0


@check("odbc-toml")
def _odbc_toml(request):
    """The ODBC example loads (nothing connects at startup) with both sites on their databases."""
    tmp_path = request.getfixturevalue("tmp_path")
    config = tmp_path / "odbc.toml"
    config.write_text(EXAMPLES["odbc-toml"].code, encoding="utf-8")
    settings = load_settings(str(config), env={})
    first, second = (settings.site_odbc(site) for site in settings.sites)
    assert "ODBC Driver 18" in first.connection and (first.dialect, first.reset) == ("auto", "keep")
    assert (first.pool_size, first.login_timeout_s, first.query_timeout_s) == (4, 15, 30)
    assert {name for name, _ in second.catalogues} == {"BPSPatients", "BPSSamples"}


@check("scenarios-toml")
def _scenarios_toml(request):
    """The preloaded rule fires on the second immediate query on BPS_Appointments, once."""
    tmp_path = request.getfixturevalue("tmp_path")
    config = tmp_path / "rules.toml"
    config.write_text(EXAMPLES["scenarios-toml"].code, encoding="utf-8")
    settings = load_settings(str(config), env={}, overrides={"clock": "virtual", "patients": 20})
    rule = tomllib.loads(EXAMPLES["scenarios-toml"].code)["scenarios"][0]
    with in_process(settings) as client:
        headers = _headers(client, SITE)
        answers = [client.post(f"/device/sites/{SITE}/queries/immediate", headers=headers,
                               json={"command": {"text": "SELECT TOP 1 * FROM BPS_Appointments"}}) for _ in range(3)]
    fired = answers[rule["match"]["ordinal"] - 1]
    assert (fired.status_code, fired.headers["Retry-After"]) == (rule["outcome"]["error"], str(rule["outcome"]["retryAfter"]))
    assert [a.status_code for a in answers].count(200) == 3 - rule["match"]["count"]


@check("contract-commands")
def _contract_commands(request):
    """Every ``mock-halo contract`` line parses with the runner's own options and the install line
    names a real extra; the line for a running emulator runs (its basic tests, to stay quick) against
    the live server while it holds a user's state, and leaves that state and its clock alone."""
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    ran = False
    for line in EXAMPLES["contract-commands"].code.splitlines():
        words = shlex.split(aimed_at(line, server.base_url), comments=True)
        if words[:2] == ["pip", "install"]:
            assert_installable(words[2])
        elif words[:2] == ["mock-halo", "contract"]:
            options = contract_parser().parse_args(words[2:])
            if options.target == server.base_url:
                control = httpx.Client(base_url=f"{server.base_url}/_mock")
                control.post("/scenarios", json={"id": "mine", "match": {"surface": "fhir"}, "outcome": {"latency": "1ms"}})
                done = subprocess.run([str(BIN / "mock-halo"), *words[1:], "-k", "basics"], cwd=tmp_path,
                                      capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, done.stdout + done.stderr
                assert "NOT used: the emulator holds state" in done.stdout and "--allow-reset" in done.stdout
                assert [r["id"] for r in control.get("/scenarios").json()["rules"]] == ["mine"]
                assert control.get("/clock").json()["speed"] == 1.0
                ran = True
        else:
            pytest.fail(f"unexpected line in the contract example: {line}")
    assert ran, "the example has no line for a running emulator at http://127.0.0.1:8080"


@check("log-lines")
def _log_lines(request):
    """The live server logs these very lines (times and milliseconds aside) for the same requests:
    the rule from the control line, a token, and an immediate query the rule refuses."""
    server = request.getfixturevalue("server")
    lines = EXAMPLES["log-lines"].code.splitlines()
    rule = json.loads(next(line for line in lines if " control " in line).split("ms ", 1)[1])
    start = len(server.lines)
    base = server.base_url
    httpx.post(f"{base}/_mock/scenarios", json=rule).raise_for_status()
    headers = _headers(httpx, SITE, base)
    refused = httpx.post(f"{base}/device/sites/{SITE}/queries/immediate", headers=headers,
                         json={"command": {"text": "SELECT TOP 1 * FROM BPS_Appointments"}})
    assert refused.status_code == rule["outcome"]["error"]
    for line in lines:
        escaped = re.escape(line.split(" ", 1)[1])  # the time of day left out
        server.wait_for(re.sub(r"\d+(?:\\\.\d+)?ms", lambda m: r"[\d.]+ms", escaped), start=start)


@check("install-commands")
def _install_commands(request):
    """Each line installs the checkout or the wheel the test command builds, with extras that exist."""
    for line in EXAMPLES["install-commands"].code.splitlines():
        words = shlex.split(line, comments=True)
        assert words[:2] == ["pip", "install"] and len(words) == 3, line
        assert_installable(words[2])


def assert_installable(spec: str) -> None:
    """``spec`` is ``.``/``.[extras]`` or our wheel's name with extras, and every extra exists."""
    from mock_halo import __version__

    match = re.fullmatch(r"(\.|(?:[\w./-]+/)?mock_halo-([\w.]+)-py3-none-any\.whl)(?:\[([\w,]+)\])?", spec)
    assert match, f"not an install of this checkout or its wheel: {spec}"
    assert match.group(2) in (None, __version__), f"{spec}: the wheel's version is {__version__}"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra in (match.group(3) or "").split(","):
        assert not extra or extra in extras, f"{spec}: no extra named {extra!r}"


@check("github-actions")
def _github_actions(request):
    """The workflow is valid YAML and its mock-halo commands use real options and extras."""
    workflow = yaml.safe_load(EXAMPLES["github-actions"].code)
    runs = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    contract_runs = [shlex.split(r, comments=True) for r in runs if r.startswith("mock-halo contract")]
    assert contract_runs
    for words in contract_runs:
        contract_parser().parse_args(words[2:])
    for r in runs:
        if r.startswith("pip install"):
            assert_installable(shlex.split(r, comments=True)[2])


@check("project-layout")
def _project_layout(request):
    """Every folder and file the layout names exists."""
    for line in EXAMPLES["project-layout"].code.splitlines():
        if not line.strip() or line.startswith(" " * 8):
            continue
        parent = ROOT / "mock_halo" if line.startswith("  ") else ROOT
        names = line.split()
        names = [n for n in names if n.endswith(".py")] or [names[0]]
        for name in names:
            assert (parent / name).exists(), f"{parent / name} named in the README's layout does not exist"


@check("docker-commands")
def _docker_commands(request):
    """The files named exist and the published port is the one the image listens on."""
    code = EXAMPLES["docker-commands"].code
    for path in re.findall(r"-f (\S+)", code):
        assert (ROOT / path).exists(), path
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    port = re.search(r"MOCK_HALO_PORT=(\d+)", dockerfile).group(1)
    assert f"-p 8080:{port}" in code and f"EXPOSE {port}" in dockerfile
    assert "MOCK_HALO_HOST=0.0.0.0" in dockerfile  # so host calls are not loopback: the token matters
    token = re.search(r"-e MOCK_HALO_ADMIN_TOKEN=(\S+)", code).group(1)
    assert f"Authorization: Bearer {token}" in code and f"MOCK_HALO_ADMIN_TOKEN={token} mock-halo contract" in code
    # What the container does with a host's calls: a caller from Docker's bridge network.
    settings = load_settings(env={"MOCK_HALO_ADMIN_TOKEN": token, "MOCK_HALO_HOST": "0.0.0.0"}, overrides={"clock": "virtual"})
    emulator = Emulator(settings)
    try:
        with TestClient(create_app(emulator=emulator), client=("172.17.0.1", 50000)) as host:
            assert host.get("/_mock/clock", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert host.get("/_mock/clock").status_code == 401
            assert "subscriptionKey" in host.get("/_mock/info", headers={"Authorization": f"Bearer {token}"}).text
            contract_line = next(line for line in code.splitlines() if "mock-halo contract" in line)
            contract_parser().parse_args(shlex.split(contract_line)[3:])
    finally:
        emulator.close()


# -- in-process helpers for the configuration examples ----------------------------------------------
def _headers(client, site: str, base: str = "") -> dict[str, str]:
    """Device-call headers with a fresh token, from ``client`` (a TestClient, or httpx with ``base``)."""
    token = client.post(f"{base}/integrator/token", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
                        data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "readme", "site_id": site})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}", "DeviceId": "readme"}


@contextlib.contextmanager
def in_process(settings) -> Iterator[TestClient]:
    emulator = Emulator(settings)
    try:
        with TestClient(create_app(emulator=emulator)) as client:
            yield client
    finally:
        emulator.close()


def immediate_rows(settings, site: str, sql: str) -> list[dict]:
    with in_process(settings) as client:
        answer = client.post(f"/device/sites/{site}/queries/immediate", json={"command": {"text": sql}},
                             headers=_headers(client, site))
    assert answer.status_code == 200, answer.text
    return json.loads(base64.b64decode(answer.json()["result"]["data"]))


@check("discovery-sql")
def _discovery_sql(request):
    """The discovery query, sent through Halo's API, lists APPOINTMENTS' columns in order with their types."""
    from mock_halo.practice import table_columns

    got = immediate_rows(load_settings(env={}, overrides={"clock": "virtual", "patients": 20}), SITE,
                         EXAMPLES["discovery-sql"].code)
    declared = table_columns()["APPOINTMENTS"]
    assert [r["name"] for r in got] == [c.name for c in declared]
    assert [r["is_nullable"] for r in got] == [c.nullable for c in declared]
    assert [r["type_name"] for r in got] == [c.base for c in declared]


# -- webhooks ------------------------------------------------------------------------------------
#: Where the README's webhook examples send notifications; checks swap in a real receiver.
README_RECEIVER = "http://127.0.0.1:9000"


@contextlib.contextmanager
def webhook_receiver() -> Iterator:
    from mock_halo.pytest_plugin import WebhookReceiver

    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


def receiver_base(receiver) -> str:
    return receiver.url.rsplit("/", 1)[0]


def live_async_query(base: str, sql: str = "SELECT TOP 3 Surname FROM BPS_Patients") -> str:
    created = httpx.post(f"{base}/device/sites/{SITE}/queries/async", json={"command": {"text": sql}},
                         headers=_headers(httpx, SITE, base))
    assert created.status_code == 201, created.text
    return created.json()["id"]


def live_now(base: str):
    from mock_halo.clock import parse_timestamp

    return parse_timestamp(httpx.get(f"{base}/_mock/clock").json()["now"])


@check("webhook-toml")
def _webhook_toml(request):
    """The configured integrator's receiver gets a notification signed with the file's secret."""
    tmp_path = request.getfixturevalue("tmp_path")
    with webhook_receiver() as receiver:
        code = EXAMPLES["webhook-toml"].code.replace(README_RECEIVER, receiver_base(receiver))
        (tmp_path / "hooks.toml").write_text(code, encoding="utf-8")
        settings = load_settings(str(tmp_path / "hooks.toml"), env={}, overrides={"clock": "virtual", "patients": 20})
        secret = tomllib.loads(code)["integrators"][0]["webhook"]["secret"]
        with in_process(settings) as client:
            created = client.post(f"/device/sites/{SITE}/queries/async", headers=_headers(client, SITE),
                                  json={"command": {"text": "SELECT 1 AS one"}}).json()
            client.post("/_mock/clock/advance", json={"duration": "1m"}).raise_for_status()
            [received] = receiver.wait(1)
            now = client.get("/_mock/clock").json()["now"]
    from mock_halo.clock import parse_timestamp

    event = received.verify(secret, now=parse_timestamp(now))
    assert event["queryId"] == created["id"] and received.path == f"/halo/async/{SITE}"


@check("webhook-config-curl")
def _webhook_config_curl(request):
    """The curl sets the webhook; the next completed async query is delivered there, signed."""
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    with webhook_receiver() as receiver:
        code = aimed_at(EXAMPLES["webhook-config-curl"].code, server.base_url).replace(README_RECEIVER, receiver_base(receiver))
        [config] = json_documents(run_sh(code, tmp_path))
        assert config["enabled"] and config["hasSecret"] and config["url"].startswith(receiver_base(receiver))
        query_id = live_async_query(server.base_url)
        httpx.post(f"{server.base_url}/_mock/clock/advance", json={"duration": "1m"}).raise_for_status()
        [received] = receiver.wait(1)
        assert received.verify("change-me", now=live_now(server.base_url))["queryId"] == query_id


@check("webhook-receiver")
def _webhook_receiver(request):
    """The receiver, run as written (on a free port), prints a verified notification and rejects a forged one."""
    import socket
    import threading
    from datetime import UTC, datetime

    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    base = server.base_url
    # The receiver checks timestamps against the wall clock: bring the live clock back to it.
    httpx.post(f"{base}/_mock/clock/set", json={"time": datetime.now(UTC).isoformat(), "backwards": True}).raise_for_status()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = EXAMPLES["webhook-receiver"].code.replace("9000", str(port))
    process = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        hook = {"url": f"http://127.0.0.1:{port}/halo/{{source}}/{{siteId}}", "secret": "change-me"}
        httpx.put(f"{base}/_mock/webhooks/config/{DEFAULT_INTEGRATOR}", json=hook).raise_for_status()
        good = live_async_query(base)
        forged = live_async_query(base, "SELECT 1 AS one /* mock-halo: webhook=badSignature */")
        httpx.post(f"{base}/_mock/clock/advance", json={"duration": "1m"}).raise_for_status()
        assert httpx.post(f"{base}/_mock/webhooks/flush", json={"timeout": 20}).json()["settled"]
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
    assert any(line.startswith(f"async query {good} completed at ") for line in lines), lines
    assert any(line.startswith("rejected: X-Halo-Signature-256 does not match") for line in lines), lines
    states = {d["queryId"]: d["state"] for d in httpx.get(f"{base}/_mock/webhooks").json()["deliveries"]}
    assert states == {good: "delivered", forged: "failed"}  # its 401 is final


@check("webhooks-curl")
def _webhooks_curl(request):
    """The listing has every field the README's sample shows; the redelivery is a new delivery of #1."""
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    base = server.base_url
    with webhook_receiver() as receiver:
        receiver.respond(500)
        httpx.put(f"{base}/_mock/webhooks/config/{DEFAULT_INTEGRATOR}",
                  json={"url": receiver.url, "secret": "change-me"}).raise_for_status()
        query_id = live_async_query(base)
        httpx.post(f"{base}/_mock/clock/advance", json={"duration": "3s"}).raise_for_status()
        assert httpx.post(f"{base}/_mock/webhooks/flush", json={"timeout": 20}).json()["settled"]
        code = EXAMPLES["webhooks-curl"].code
        listing, redelivered = json_documents(run_sh(aimed_at(code, base), tmp_path))
    [delivery] = listing["deliveries"]
    assert (delivery["id"], delivery["queryId"], delivery["state"]) == (1, query_id, "scheduled")
    assert delivery["attempts"][0]["status"] == 500 and delivery["nextAttemptAt"]
    shown = set(re.findall(r'"(\w+)":', "\n".join(line for line in code.splitlines() if line.startswith("#"))))
    real = set(listing) | set(delivery) | set(delivery["attempts"][0])
    assert shown <= real, f"the README shows fields the listing does not have: {shown - real}"
    assert redelivered["redeliveryOf"] == 1 and redelivered["notificationId"] == delivery["notificationId"]


@check("webhooks-pytest")
def _webhooks_pytest(request):
    """The webhook fixture example as a user's own test file, with warnings as errors."""
    run_as_user_test(request.getfixturevalue("tmp_path"), "test_webhooks.py", EXAMPLES["webhooks-pytest"].code)


@check("webhook-faults-curl")
def _webhook_faults_curl(request):
    """The rule faults the next async query's notification: a duplicate, both marked."""
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    base = server.base_url
    [rule] = json_documents(run_sh(aimed_at(EXAMPLES["webhook-faults-curl"].code, base), tmp_path))
    assert rule["outcome"] == {"webhook": {"duplicate": 1, "outOfOrder": True}}
    with webhook_receiver() as receiver:
        httpx.put(f"{base}/_mock/webhooks/config/{DEFAULT_INTEGRATOR}",
                  json={"url": receiver.url, "secret": "change-me"}).raise_for_status()
        query_id = live_async_query(base)
        httpx.post(f"{base}/_mock/clock/advance", json={"duration": "2m"}).raise_for_status()
        first, second = receiver.wait(2)
    assert first.body == second.body and first.json()["queryId"] == query_id
    marked = [d["faults"] for d in httpx.get(f"{base}/_mock/webhooks").json()["deliveries"]]
    assert marked == [["duplicate", "outOfOrder"]] * 2


@check("integrator-curl")
def _integrator_curl(request):
    """The key alone: a stored procedure's rows, an async query found by batch status, its page streamed."""
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    users, clock, statuses, streamed = json_documents(run_sh(aimed_at(EXAMPLES["integrator-curl"].code, server.base_url), tmp_path))
    assert users and all(isinstance(user["UserID"], int) for user in users), users
    assert clock["now"].endswith("Z")
    [result] = statuses["results"]
    assert (result["status"], result["query"]["status"]) == ("found", "successful"), result
    assert result["query"]["result"]["rows"] == len(streamed) == 3
    named_people(streamed, "Firstname", "Surname")
    assert [r["Surname"].lower() for r in streamed] == sorted(r["Surname"].lower() for r in streamed)


@check("integrator-python")
def _integrator_python(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    patient, statuses, complete, ids = run_python(aimed_at(EXAMPLES["integrator-python"].code, server.base_url), tmp_path)
    patient = ast.literal_eval(patient)
    assert patient["Surname"].startswith("M") and isinstance(patient["InternalID"], int)
    assert ast.literal_eval(statuses) == [("found", "successful")] * 2
    assert complete == "True"
    assert str(patient["InternalID"]) in ast.literal_eval(ids)


@check("pairing-curl")
def _pairing_curl(request):
    server, tmp_path = request.getfixturevalue("server"), request.getfixturevalue("tmp_path")
    before, paired, after = json_documents(run_sh(aimed_at(EXAMPLES["pairing-curl"].code, server.base_url), tmp_path))
    assert before == {"sites": []}
    assert (paired["id"], paired["practiceManagementSiteId"], paired["availability"]) == (DEFAULT_SITE_IDS[2], "10003", "online")
    assert [site["id"] for site in after["sites"]] == [paired["id"]]  # (its heartbeat may have moved on)
