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
# Set before the cluster starts, so that an early Ctrl-C stops it too.
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${IPS_DATABASE_URL:-}" ]; then
  log "starting the local PostgreSQL cluster in .data/pg"
  own_cluster=1
  IPS_DATABASE_URL=$(deploy/pg-local.sh start .data/pg ips)
fi
export IPS_DATABASE_URL

# Tokens must survive a restart: keep a random HS256 secret in .data unless
# a key is configured.
if [ -z "${IPS_JWT_SECRET:-}" ] && [ -z "${IPS_JWT_PRIVATE_KEY_FILE:-}" ]; then
  mkdir -p .data
  if [ ! -s .data/jwt-secret ]; then
    (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n=' > .data/jwt-secret)
  fi
  IPS_JWT_SECRET=$(cat .data/jwt-secret)
  export IPS_JWT_SECRET
fi

build/ips-api migrate
log "loading demo data"
psql "$IPS_DATABASE_URL" -q -v ON_ERROR_STOP=1 -f sql/seed/demo.sql >&2

listen=${IPS_LISTEN:-127.0.0.1:8080}
cat >&2 <<TXT

ips-api is starting on http://$listen
  database: $IPS_DATABASE_URL

Demo users (password for all: demo-haslo-2026):
  admin                 admin        byczyna
  koordynator.byczyna   coordinator  byczyna
  doradca.byczyna       advisor      byczyna
  koordynator.chorzow   coordinator  chorzow
  doradca.chorzow       advisor      chorzow
  audytor               auditor      byczyna
  integracja            integration  chorzow

Get a token:
  curl -s http://$listen/v1/auth/token -H 'Content-Type: application/json' \\
    -d '{"grant_type":"password","username":"admin","password":"demo-haslo-2026"}'

Press Ctrl-C to stop.

TXT
build/ips-api serve &
server=$!
wait "$server"
