# Shared steps of scripts/run and scripts/test. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Create or reuse .venv; reinstall only when a requirements file changed.
ensure_venv() {
  local reqs="$1" stamp=".venv/.installed-$(basename "$1")"
  if [ ! -x .venv/bin/python ]; then
    say "Creating the virtualenv (.venv)"
    "$PY" -m venv .venv
  fi
  local want
  want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing dependencies from $reqs"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$reqs"
    echo "$want" > "$stamp"
  fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local i
  for i in $(seq 1 50); do port_open "$1" "$2" && return 0; sleep 0.2; done
  return 1
}

# redis-server itself: the chaos test and the Redis-outage test start private ones, even when a shared
# Redis already answers. Installed from Debian's packages when missing and we are root.
ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian's redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null \
      || die "apt-get install redis-server failed."
    return 0
  fi
  die "redis-server is not installed: run 'sudo apt-get install redis-server' (the tests start private ones)."
}

# Redis on 127.0.0.1:6379: use it, or start it.
ensure_redis() {
  ensure_redis_server
  port_open 127.0.0.1 6379 && return 0
  say "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --logfile "${TMPDIR:-/tmp}/conecta-redis.log"
  wait_port 127.0.0.1 6379 || die "Redis did not start; see ${TMPDIR:-/tmp}/conecta-redis.log"
}

# PostgreSQL on 127.0.0.1:5432: use it, start the installed cluster, or say what to do.
ensure_postgres() {
  port_open 127.0.0.1 5432 && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    say "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    wait_port 127.0.0.1 5432 && return 0
  fi
  die "PostgreSQL is not running on 127.0.0.1:5432 (trust auth, database 'test') and could not be started."
}

# Debian's Chromium for the browser tests (Playwright drives it; no browser is ever downloaded).
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
      || die "apt-get install chromium failed."
    return 0
  fi
  die "chromium is not installed: run 'sudo apt-get install chromium' (the browser tests need it)."
}

# The message catalogs: extract every user-facing string (babel.cfg says where) into messages.pot.
extract_translations() {
  .venv/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k N_ --sort-by-file --no-location \
    --project Conecta -w 110 -o conecta/translations/messages.pot . 2>&1 | grep -v "^extracting messages from"
  # pybabel marks the template's header fuzzy; nothing in it is a guess, and no catalog of ours is fuzzy.
  sed -i '/^#, fuzzy$/d' conecta/translations/messages.pot
}

# Compile the .po catalogs to the .mo files the app reads (not committed: built here, by every setup).
compile_translations() {
  .venv/bin/python -c "from conecta.i18n import compile_catalogs; compile_catalogs()"
}
