#!/usr/bin/env bash
# A database outage under load: wrk keeps reading GET /v1/gminas/{teryt}
# while PostgreSQL is stopped for OUTAGE_SECONDS (10 by default) and started
# again. Prints the connect attempts a second during the outage (from
# /metrics), the server's log lines in that time, how long PostgreSQL took to
# start again, and the time from its return to the server's first 200.
#   tests/bench/db_outage.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
trap 'kill "${WRK_PID:-}" 2>/dev/null || true; bench_stop' EXIT

bench_setup
export IPS_JWT_SECRET=${IPS_JWT_SECRET:-bench-secret-of-at-least-32-bytes-long}
work=$(mktemp -d)
log=$work/server.log
# the server's log goes to a file, to be counted
IPS_LOG_LEVEL=warning bench_start_server 2>"$log"
outage=${OUTAGE_SECONDS:-10}
url="$BASE/v1/gminas/1604013"
attempts() { curl -s "$BASE/metrics" | awk '/^ips_db_connect_attempts_total/ {print $2}'; }

echo "ips-api $(build/ips-api version), $(nproc) cores; wrk -t2 -c32 on $url through a ${outage}s outage"
wrk -t2 -c32 -d$((outage + 10))s "$url" >"$work/wrk.out" 2>&1 &
WRK_PID=$!
sleep 3
before=$(attempts)
lines_before=$(wc -l <"$log")
deploy/pg-local.sh stop .data/bench-pg 2>/dev/null
sleep "$outage"
during=$(( $(attempts) - before ))
lines=$(( $(wc -l <"$log") - lines_before ))
t0=$(date +%s.%N)
deploy/pg-local.sh start .data/bench-pg ips_bench >/dev/null 2>&1
t1=$(date +%s.%N)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ]; do sleep 0.01; done
t2=$(date +%s.%N)
wait "$WRK_PID" || true
printf 'connect attempts during the outage: %d (%.1f a second)\n' "$during" "$(echo "$during / $outage" | bc -l)"
printf 'server log lines during the outage: %d\n' "$lines"
printf 'PostgreSQL started again in %.2f s\n' "$(echo "$t1 - $t0" | bc -l)"
printf 'first 200 %.2f s after the database was back\n' "$(echo "$t2 - $t1" | bc -l)"
grep -E 'Requests/sec|Non-2xx' "$work/wrk.out" || true
