# Shared steps of scripts/serve.sh and scripts/test.sh (sourced, not run).

PYTHON=${PYTHON:-python3}

# The project's virtual environment, created on first use. On Debian without
# python3-venv it installs that package when it can (root + apt-get).
ensure_venv() {
  if [ -x .venv/bin/python ]; then
    return
  fi
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "==> installing python3-venv (apt-get)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv .venv
    else
      echo "error: '$PYTHON -m venv' failed; install your distribution's python3-venv package" >&2
      exit 1
    fi
  fi
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
}

# pip install the project (editable) with the given extras spec, e.g. ".[test]".
install_project() {
  echo "==> installing mock-halo$( [ "$1" != "." ] && echo " ${1#.}") into .venv"
  .venv/bin/python -m pip install -q -e "$1"
}

# Debian packages some tests need, installed when we are root on Debian/Ubuntu;
# otherwise those tests skip and say why.
install_system_packages() {
  local wanted=("$@") missing=()
  for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing system packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: not root or no apt-get: tests needing ${missing[*]} will skip" >&2
  fi
}
