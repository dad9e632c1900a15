"""The install story: the wheel ``bash scripts/test.sh`` builds, installed into a fresh virtual
environment with one extra at a time, as a user on a new machine would.

``[pytest]`` alone runs the README's plugin example with warnings as errors (no deprecation
warning from Starlette's TestClient, no missing HTTP library); adding ``[contract]`` runs
``mock-halo contract`` on the suite shipped inside the wheel. Needs PyPI for the dependencies.
"""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest
from test_readme_examples import EXAMPLES

from mock_halo import __version__

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str, cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(argv)}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_wheel_installs_with_its_extras_and_works(tmp_path):
    wheel = ROOT / "dist" / f"mock_halo-{__version__}-py3-none-any.whl"
    if not wheel.exists():
        pytest.skip(f"no {wheel.relative_to(ROOT)}: bash scripts/test.sh builds it")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python, bin_dir = env / "bin" / "python", env / "bin"
    # --no-compile: the modules a run imports are compiled as they load; compiling every module of every
    # dependency up front (schemathesis, hypothesis, ...) was half of the install's time
    pip = (str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile")
    run(*pip, f"{wheel}[pytest]", cwd=tmp_path)
    assert __version__ in run(str(bin_dir / "mock-halo"), "--version", cwd=tmp_path)

    (tmp_path / "test_integration.py").write_text(EXAMPLES["pytest-plugin"].code + "\n", encoding="utf-8")
    out = run(str(python), "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider", "test_integration.py", cwd=tmp_path)
    assert "1 passed" in out

    run(*pip, f"{wheel}[contract]", cwd=tmp_path)
    out = run(str(bin_dir / "mock-halo"), "contract", "-k", "basics", cwd=tmp_path)
    assert "mock-halo contract: OK" in out and str(env) in out.split("suite", 1)[1].splitlines()[0]


def test_the_license_file_matches_the_declared_license_and_ships_in_the_wheel():
    import tomllib
    import zipfile

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == {"text": "MIT"} and (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    wheel = ROOT / "dist" / f"mock_halo-{__version__}-py3-none-any.whl"
    if not wheel.exists():
        pytest.skip(f"no {wheel.relative_to(ROOT)}: bash scripts/test.sh builds it")
    with zipfile.ZipFile(wheel) as archive:
        licenses = [n for n in archive.namelist() if n.endswith("/LICENSE") and ".dist-info/" in n]
        assert licenses and archive.read(licenses[0]).decode().startswith("MIT License")
