#!/usr/bin/env bash
# gzip content coding: wrk -t2 -c32 on
#   GET /v1/beneficiaries?limit=200   (admin: personal data included)
#   GET /v1/beneficiaries/{random id} (one record, under the 1 KiB threshold)
# each without Accept-Encoding and with `Accept-Encoding: gzip`, in one run,
# with the server's CPU time per request; and the sizes of the list's two
# answers. The GET by id must cost the same either way (it is not coded).
#   tests/bench/compression.sh        (BENCH_SECONDS=20 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
work=$(mktemp -d)
trap 'bench_stop; rm -rf "$work"' EXIT
seconds=${BENCH_SECONDS:-20}

bench_setup
export IPS_JWT_SECRET=bench-secret-of-at-least-32-bytes-long
# 200 beneficiaries with every field filled, written with the triggers on
# (their stored JSON made as a write makes it)
psql -q "$IPS_DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT FROM (SELECT set_config('ips.actor', 'bench', false), set_config('ips.partner', 'byczyna', false),
       set_config('ips.role', 'admin', false), set_config('ips.request_id', 'bench-gzip', false)) s;
INSERT INTO beneficiaries (partner, first_name, last_name, gender, birth_date, teryt_gmina, consent_on, email,
                           phone, street, postal_code, education, labour_status, support_start)
SELECT 'byczyna', 'Gzip', 'Beneficjent ' || n || ' ' || md5(n::text), CASE WHEN n % 2 = 0 THEN 'female' ELSE 'male' END,
       DATE '1980-01-01' + n::integer, '1604013', DATE '2025-01-01', 'gzip.' || n || '@example.org', '+48 77 400 ' || lpad(n::text, 3, '0'),
       'ul. Długa ' || n, '46-220', 'upper_secondary', 'unemployed', DATE '2025-02-01'
  FROM generate_series(1, greatest(0, 200 - (SELECT count(*) FROM beneficiaries WHERE first_name = 'Gzip'))) n;
SQL
psql -Atq "$IPS_DATABASE_URL" -c "SELECT id FROM beneficiaries WHERE first_name = 'Gzip' AND deleted_at IS NULL" > "$work/ids"
echo "bench-password-$$" | build/ips-api create-user "bench-gzip-$$" --partner byczyna --role admin >/dev/null

bench_start_server
token=$(bench_token "bench-gzip-$$" "bench-password-$$")
auth=(-H "Authorization: Bearer $token")
gzip=(-H 'Accept-Encoding: gzip')
list="$BASE/v1/beneficiaries?q=Gzip&limit=200"
[ "$(curl -s "${auth[@]}" "$list" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')" = 200 ] ||
  { echo "the list does not have 200 items" >&2; exit 1; }
identity_bytes=$(curl -s "${auth[@]}" "$list" | wc -c)
gzip_bytes=$(curl -s "${auth[@]}" "${gzip[@]}" "$list" | wc -c)
echo "ips-api $(build/ips-api version), $(nproc) cores, $seconds s each, 32 connections"
printf 'list of 200: %s bytes identity, %s bytes gzip (%.1f%%)\n' "$identity_bytes" "$gzip_bytes" \
  "$(awk -v a="$gzip_bytes" -v b="$identity_bytes" 'BEGIN {print 100 * a / b}')"

bench_warm "$list" "${auth[@]}"
bench_wrk "API  GET list of 200 (identity)" "$list" "${auth[@]}"
plain_rps=$BENCH_RPS
bench_wrk "API  GET list of 200 (gzip)" "$list" "${auth[@]}" "${gzip[@]}"
gzip_rps=$BENCH_RPS
bench_warm "$BASE" "${auth[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids" beneficiaries
bench_wrk "API  GET by id (no Accept-Encoding)" "$BASE" "${auth[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids" beneficiaries
id_rps=$BENCH_RPS
bench_wrk "API  GET by id (gzip asked, not coded)" "$BASE" "${auth[@]}" "${gzip[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids" beneficiaries
id_gzip_rps=$BENCH_RPS
printf 'list of 200: gzip/identity req/s %.2f (the CPU of coding, for a client that saves ~9/10 of the bytes)\n' \
  "$(bench_div "$gzip_rps" "$plain_rps")"
echo "targets:"
bench_target "list of 200" "gzip/identity bytes" "$(bench_div "$gzip_bytes" "$identity_bytes")" '<=' 0.25
bench_target "GET by id" "gzip asked/not asked req/s" "$(bench_div "$id_gzip_rps" "$id_rps")" '>=' 0.9
