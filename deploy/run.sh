#!/usr/bin/env bash
# Builds ips-api, starts a local PostgreSQL in .data/pg (unless IPS_DATABASE_URL
# is set), migrates, loads the demo data and serves on IPS_LISTEN
# (default 127.0.0.1:8080). Ctrl-C or SIGTERM stops the server and the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_packages "${BUILD_PACKAGES[@]}"
build build --buildtype=release

own_cluster=
if [ -z "${IPS_DATABASE_URL:-}" ]; then
  log "starting the local PostgreSQL cluster in .data/pg"
  IPS_DATABASE_URL=$(deploy/pg-local.sh start .data/pg ips)
  own_cluster=1
fi
export IPS_DATABASE_URL

server=
stop_all() {
  trap - INT TERM EXIT
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ -n "$own_cluster" ]; then
    log "stopping the local PostgreSQL cluster"
    deploy/pg-local.sh stop .data/pg || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

build/ips-api migrate
log "loading demo data"
psql "$IPS_DATABASE_URL" -q -v ON_ERROR_STOP=1 -f sql/seed/demo.sql >&2

listen=${IPS_LISTEN:-127.0.0.1:8080}
cat >&2 <<TXT

ips-api is starting on http://$listen
  database: $IPS_DATABASE_URL
  try:      curl http://$listen/v1/gminas/1604013
Press Ctrl-C to stop.

TXT
build/ips-api serve &
server=$!
wait "$server"
