# shellcheck shell=bash
# The development run's environment (sourced by scripts/run-dev.sh, and by its test): the links
# in emails (unsubscribe, notifications, digest) point at the address this run serves, unless
# SDRCRM_BASE_URL says otherwise.
PORT=${PORT:-8000}
export SDRCRM_BASE_URL=${SDRCRM_BASE_URL:-http://127.0.0.1:${PORT}}
