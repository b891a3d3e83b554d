#!/usr/bin/env bash
# Serve the site with a Celery worker and beat; Ctrl-C stops all three in a few seconds.
#
# Each runs in its own process group (set -m), so Ctrl-C reaches only this
# script, which then tells each one once how to stop: runserver (the
# autoreloader and its child) and beat SIGTERM, the worker SIGQUIT -- a cold
# shutdown: a job still running is cancelled and, being acks_late, goes back to
# the queue for the next start, instead of being waited for (a street's register
# takes a minute) or lost (a pool child killed under a job loses its message).
# Whatever is still alive after STOP_TIMEOUT seconds is killed, and named.
set -euo pipefail
set -m
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DEBUG="${DEBUG:-1}"
VAR_DIR="${VAR_DIR:-var}"
PORT="${PORT:-8000}"
STOP_TIMEOUT="${STOP_TIMEOUT:-10}"
mkdir -p "$VAR_DIR"

"$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 &
worker=$!
"$BIN/celery" -A config beat --loglevel=INFO --schedule="$VAR_DIR/celerybeat-schedule" &
beat=$!
echo "管理后台 / admin: http://127.0.0.1:$PORT/admin/   API: http://127.0.0.1:$PORT/api/docs/"
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" &
web=$!

running() {
  # Process groups (one per service) with a process left in them.
  for group in "$worker" "$beat" "$web"; do
    if pgrep -g "$group" >/dev/null; then echo "$group"; fi
  done
}

stop() {
  trap - INT TERM EXIT
  kill -QUIT "$worker" 2>/dev/null || true
  kill -TERM "$beat" 2>/dev/null || true
  kill -TERM -- "-$web" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while [ -n "$(running)" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
  done
  for group in $(running); do
    echo "serve.sh: $(ps -o args= -p "$group" | cut -c1-60) did not stop in ${STOP_TIMEOUT}s; killed" >&2
    kill -KILL -- "-$group" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
wait -n "$worker" "$beat" "$web"
