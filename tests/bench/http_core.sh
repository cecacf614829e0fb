#!/usr/bin/env bash
# wrk -t2 -c32 on GET /healthz (HTTP layer only) and GET /v1/gminas/{teryt}
# (one pooled, prepared read), and the server's peak RSS during them.
#   tests/bench/http_core.sh        (BENCH_SECONDS=20 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
trap bench_stop EXIT

bench_setup
export IPS_JWT_SECRET=${IPS_JWT_SECRET:-bench-secret-of-at-least-32-bytes-long}
bench_start_server
echo "ips-api $(build/ips-api version), $(nproc) cores, wrk -t2 -c32 -d${BENCH_SECONDS:-20}s"
bench_wrk "GET /healthz" "$BASE/healthz"
bench_wrk "GET /v1/gminas/1604013" "$BASE/v1/gminas/1604013"
bench_wrk "GET /v1/gminas?limit=50" "$BASE/v1/gminas?limit=50"
echo "server peak RSS: $(bench_peak_rss) MiB"
