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
# Skipped when .venv already holds it for this pyproject.toml: a stamp records the
# digest of pyproject.toml and each extras spec installed with it (plain "." is
# satisfied by any of them). The code itself is an editable install: no reinstall.
install_project() {
  local spec=$1 stamp=.venv/.mock-halo-installed digest
  digest=$(sha256sum pyproject.toml | cut -c1-16)
  if [ -f "$stamp" ] && [ -x .venv/bin/mock-halo ] \
     && { grep -qxF "$digest $spec" "$stamp" || { [ "$spec" = "." ] && grep -q "^$digest " "$stamp"; }; }; then
    return 0
  fi
  echo "==> installing mock-halo$( [ "$spec" != "." ] && echo " ${spec#.}") into .venv"
  .venv/bin/python -m pip install -q -e "$spec"
  { grep "^$digest " "$stamp" 2>/dev/null || true; echo "$digest $spec"; } | sort -u > "$stamp.new"
  mv "$stamp.new" "$stamp"
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

# A throwaway PostgreSQL cluster for the ODBC tests: initdb into a temporary
# directory, start it on a free loopback port, create database mock_halo and
# export MOCK_HALO_TEST_PG_DSN (an ODBC connection string). stop_pg_cluster
# stops it and removes the directory. Without PostgreSQL's server binaries or
# the ODBC driver it prints why and exports nothing (those tests then skip).
PG_DIR=""
start_pg_cluster() {
  local bin
  # (`|| true`: under `set -o pipefail` an ls that matches nothing would end the script silently)
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "note: no PostgreSQL server binaries (Debian: postgresql): the PostgreSQL ODBC tests will skip" >&2
    return 0
  fi
  if ! command -v odbcinst >/dev/null || ! odbcinst -q -d 2>/dev/null | grep -q "PostgreSQL Unicode"; then
    echo "note: no 'PostgreSQL Unicode' ODBC driver (Debian: odbc-postgresql): the PostgreSQL ODBC tests will skip" >&2
    return 0
  fi
  local port run=()
  PG_DIR=$(mktemp -d /tmp/mock-halo-pg.XXXXXX)
  port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  echo "==> starting a throwaway PostgreSQL cluster on 127.0.0.1:$port"
  "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { echo "error: initdb failed (see $PG_DIR/initdb.log)" >&2; cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
    || { echo "error: PostgreSQL did not start:" >&2; cat "$PG_DIR/log" >&2; return 1; }
  "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres mock_halo
  export MOCK_HALO_TEST_PG_DSN="DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=$port;DATABASE=mock_halo;UID=postgres;PWD=postgres;BoolsAsChar=0"
  PG_BIN=$bin
  PG_RUN=("${run[@]}")
}

stop_pg_cluster() {
  [ -n "$PG_DIR" ] || return 0
  "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}
