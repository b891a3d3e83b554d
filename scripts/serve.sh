#!/usr/bin/env bash
# Serve the site with a Celery worker and beat; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do
    # runserver's autoreloader and Celery's pool run as children of these
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
"$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 &
pids+=($!)
"$BIN/celery" -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule &
pids+=($!)
echo "管理后台 / admin: http://127.0.0.1:8000/admin/   API: http://127.0.0.1:8000/api/docs/"
"$BIN/python" manage.py runserver 127.0.0.1:8000 &
pids+=($!)
wait -n "${pids[@]}"
