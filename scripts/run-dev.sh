#!/usr/bin/env bash
# Development server: Django runserver, a Celery worker, Celery beat and the mailbox sync
# (`manage.py mailbox_sync`: it reads the SDRs' connected mailboxes; with none connected, as in
# the demo, it only waits) in one foreground command. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops
# all four and everything they started (Ctrl-C with status 0); if any of them exits on its own,
# the others are stopped too and the script fails.
#
# Each child runs in its own session (setsid), so its whole process group (runserver's
# autoreloader child, the worker's prefork pool) can be signalled at once and nothing is
# left behind. Called by `make run`, through scripts/embedded_pg.py when DATABASE_URL is unset
# (the private PostgreSQL, stopped after this script ends); the environment decides the
# broker (sdrcrm/settings.py): with no REDIS_URL it is Celery's filesystem broker.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=${PY:-.venv/bin/python}
# PORT, and SDRCRM_BASE_URL from it (the links in emails lead to this run).
# shellcheck source=scripts/dev-env.sh
source scripts/dev-env.sh
# DEBUG off, as in production: the product's own error pages (sdrcrm/errorpages.py), never
# Django's debug pages (DJANGO_DEBUG=1 brings those back). The static files come straight from
# the source tree through WhiteNoise (SDRCRM_STATIC_FROM_SOURCE=0: collectstatic, as in
# production).
export DJANGO_DEBUG=${DJANGO_DEBUG:-0}
export SDRCRM_STATIC_FROM_SOURCE=${SDRCRM_STATIC_FROM_SOURCE:-1}
# Development mode: the development secret key is allowed, also with DJANGO_DEBUG=0.
export SDRCRM_DEV=${SDRCRM_DEV:-1}
VAR_DIR=${SDRCRM_VAR_DIR:-var}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
URL="http://127.0.0.1:${PORT}/"

mkdir -p "$VAR_DIR"
if [[ -z ${CELERY_BROKER_URL:-}${REDIS_URL:-} ]]; then
    # Celery's filesystem broker (sdrcrm/settings.py) fails if its folders are missing.
    mkdir -p "$VAR_DIR/celery/queue" "$VAR_DIR/celery/processed" "$VAR_DIR/celery/control"
fi

is_true() {
    case "${1,,}" in 1 | true | yes | on) return 0 ;; *) return 1 ;; esac
}

if is_true "$DJANGO_DEBUG" || is_true "$SDRCRM_STATIC_FROM_SOURCE"; then
    # WhiteNoise reads the files from their folders; it expects STATIC_ROOT to exist.
    mkdir -p "$VAR_DIR/staticfiles"
else
    # The production pipeline: WhiteNoise serves the manifest storage from STATIC_ROOT, which
    # collectstatic fills.
    "$PY" manage.py collectstatic --noinput -v0
fi

pids=()
names=()

start() {
    local name=$1
    shift
    setsid "$@" &
    pids+=("$!")
    names+=("$name")
}

# A child that has exited but is not yet reaped (a zombie) counts as gone.
running() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ $state != Z* ]]
}

# SIGTERM to each child (the worker then stops its own pool: a warm shutdown takes a few
# seconds), SIGKILL to their whole process groups after STOP_TIMEOUT seconds.
stopped=0
stop_all() {
    local pid deadline=$((SECONDS + STOP_TIMEOUT))
    [[ $stopped -eq 0 ]] || return 0
    stopped=1
    trap '' INT TERM HUP
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        while running "$pid" && ((SECONDS < deadline)); do
            sleep 0.2
        done
    done
    # Whatever is left in the groups: a child past the timeout, or a grandchild that
    # outlived its parent.
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}

on_signal() {
    echo
    echo "run-dev: stopping web, worker, beat and the mailbox sync..."
    stop_all
    echo "run-dev: stopped."
    exit "$1"
}

trap stop_all EXIT # whatever ends this script, the children go with it
# Ctrl-C is how a developer ends the run: a clean stop, status 0 (make then reports no error).
# SIGTERM and SIGHUP come from elsewhere (a supervisor, a closed terminal): their usual status.
trap 'on_signal 0' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# Nothing a developer cannot act on: runserver's "do not use in production" banner (this is
# the development run), and the worker's warning about running as root (a container's usual
# user; the worker takes no pickled messages, which is what makes root dangerous).
export DJANGO_RUNSERVER_HIDE_WARNING=true
start web "$PY" manage.py runserver "127.0.0.1:${PORT}"
start worker "$PY" -W "ignore:You're running the worker with superuser privileges" \
    -m celery -A sdrcrm worker --loglevel=INFO
start beat "$PY" -m celery -A sdrcrm beat --loglevel=INFO \
    --schedule "${VAR_DIR}/celerybeat-schedule"
start sync "$PY" manage.py mailbox_sync

# Announce once the web process answers /healthz (give up if it exits, or after 60 s).
if "$PY" - "${URL}healthz" "${pids[0]}" <<'EOF'; then
import sys
import time
import urllib.error
import urllib.request


def web_running():
    try:
        with open(f"/proc/{sys.argv[2]}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


deadline = time.monotonic() + 60
while time.monotonic() < deadline and web_running():
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2):
            sys.exit(0)
    except urllib.error.HTTPError as exc:
        if exc.code == 503:  # up, but the database or the broker is not
            print(f"run-dev: /healthz answered 503: {exc.read().decode()}", file=sys.stderr)
            sys.exit(0)
        time.sleep(0.5)  # someone else on the port, until runserver gives up
    except OSError:
        time.sleep(0.5)
sys.exit(1)
EOF
    logins="${VAR_DIR}/demo-logins.txt"
    {
        echo
        echo "=================================================================="
        echo " sdrcrm is running at ${URL}"
        echo " (web + Celery worker + Celery beat + mailbox sync; Ctrl-C stops them all)"
        if [[ -s $logins ]]; then
            echo
            sed 's/^/ /' "$logins"
        fi
        echo "=================================================================="
        echo
    } >&2
else
    echo "run-dev: ${URL}healthz did not answer; see the log above." >&2
fi

# Wait until one child exits: then it was not us who stopped it.
set +e
wait -n "${pids[@]}"
status=$?
set -e
for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "run-dev: ${names[$i]} exited (status ${status}); stopping the others." >&2
    fi
done
stop_all
exit $((status == 0 ? 1 : status))
