#!/usr/bin/env bash
# Install mock-halo into ./.venv (first run only) and start the emulator with its
# embedded defaults. Extra arguments go to `mock-halo serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_venv
install_project "."
exec .venv/bin/mock-halo serve "$@"
