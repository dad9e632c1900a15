#!/usr/bin/env bash
# Install everything the tests need (system packages where possible, the project
# with its test extras into ./.venv) and run the whole test suite.
# Extra arguments go to pytest (e.g. -k immediate).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
if command -v dpkg >/dev/null; then
  install_system_packages wrk
fi
ensure_venv
install_project ".[test]"
echo "==> running the test suite"
exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
