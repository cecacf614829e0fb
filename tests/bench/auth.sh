#!/usr/bin/env bash
# What authentication costs: wrk -t2 -c32 on GET /v1/me with an HS256 token
# and with an RS256 token (verification cache on and off), next to /healthz
# of the same run, and the time one password sign-in takes (argon2id).
#   tests/bench/auth.sh        (BENCH_SECONDS=20 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
keys=$(mktemp -d)
trap 'bench_stop; rm -rf "$keys"' EXIT

bench_setup
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/private.pem" 2>/dev/null
openssl pkey -in "$keys/private.pem" -pubout -out "$keys/public.pem"
user=bench-$$
echo "bench-password-$$" | build/ips-api create-user "$user" --partner byczyna --role coordinator >/dev/null

token_of() {
  curl -s "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"grant_type\":\"password\",\"username\":\"$user\",\"password\":\"bench-password-$$\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

echo "ips-api $(build/ips-api version), $(nproc) cores, wrk -t2 -c32 -d${BENCH_SECONDS:-20}s"

export IPS_JWT_SECRET=bench-secret-of-at-least-32-bytes-long
bench_start_server
bench_wrk "GET /healthz" "$BASE/healthz"
token=$(token_of)
bench_wrk "GET /v1/me HS256 (cache on)" "$BASE/v1/me" -H "Authorization: Bearer $token"
times=$(for _ in $(seq 10); do
  curl -s -o /dev/null -w '%{time_total}\n' "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"grant_type\":\"password\",\"username\":\"$user\",\"password\":\"bench-password-$$\"}"
done)
echo "password sign-in: $(awk '{s += $1} END {printf "%.1f", s / NR * 1000}' <<<"$times") ms each (mean of 10, as curl sees it)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true

unset IPS_JWT_SECRET
export IPS_JWT_PRIVATE_KEY_FILE=$keys/private.pem IPS_JWT_PUBLIC_KEY_FILE=$keys/public.pem
for cache in on off; do
  IPS_AUTH_CACHE=$cache bench_start_server
  token=$(token_of)
  bench_wrk "GET /v1/me RS256 (cache $cache)" "$BASE/v1/me" -H "Authorization: Bearer $token"
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
done
SERVER_PID=
