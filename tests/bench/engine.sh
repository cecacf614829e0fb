#!/usr/bin/env bash
# The resource engine against PostgreSQL itself and against a minimal peer
# service: wrk -t2 -c32 on
#   GET /v1/es-entities/{random id}   (10 000 entities, coordinator token),
#                                     in both IPS_HTTP_MODE values
#   GET /v1/es-entities?limit=50
#   POST /v1/es-entities              (distinct NIPs, audit, change feed,
#                                     idempotency key)
# each next to
#   - pgbench -M prepared -c32 -j2 running the SQL the handler runs (printed
#     by build/tests/bench/engine-sql, the engine's own generator), pipelined
#     where the handler pipelines them;
#   - pgbench of the least SQL that gives the same answer: row_to_json by
#     primary key, the page of 50 as one json_agg row;
#   - tests/bench/peer, a minimal Fastify 5 + pg service running that least
#     SQL behind an HS256 token check, with a pg pool as large as the
#     server's (skipped, saying why, without Node >= 20).
# Then a "targets" block: each ratio of the run with its target, PASS/FAIL.
# Ratios within one run are the figures that matter; the server's CPU time
# per request (from /proc) helps to profile it.
#   tests/bench/engine.sh        (BENCH_SECONDS=20 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
work=$(mktemp -d)
trap 'bench_stop; rm -rf "$work"' EXIT
seconds=${BENCH_SECONDS:-20}

bench_setup
export IPS_JWT_SECRET=bench-secret-of-at-least-32-bytes-long
psql -q "$IPS_DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
-- entity n has the id bench_uuid(n), so that pgbench can name one by number
-- without a lookup of its own
CREATE OR REPLACE FUNCTION bench_uuid(n bigint) RETURNS uuid IMMUTABLE LANGUAGE sql AS $$
  SELECT ('b0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid $$;
-- earlier runs' creates go, and entities of older runs with random ids (no
-- app deletes hard: no foreign key checks needed)
SET session_replication_role = replica;
DELETE FROM es_entities WHERE name LIKE 'Bench POST %' OR name = 'Bench pgbench'
   OR (name LIKE 'Bench entity %' AND id::text NOT LIKE 'b0000000-0000-4000-8000-%');
SET session_replication_role = DEFAULT;
INSERT INTO es_entities (id, partner, name, legal_form, teryt_gmina, city, employees, status)
SELECT bench_uuid(n), 'byczyna', 'Bench entity ' || n, 'social_cooperative',
       (SELECT teryt FROM gminas ORDER BY teryt OFFSET n % 71 LIMIT 1), 'Opole', n % 50, 'active'
  FROM generate_series(1, 10000) n
ON CONFLICT (id) DO NOTHING;
DROP TABLE IF EXISTS bench_ids;
CREATE TABLE bench_ids AS
  SELECT row_number() OVER (ORDER BY id) AS n, id FROM es_entities WHERE name LIKE 'Bench entity %';
CREATE UNIQUE INDEX ON bench_ids (n);
CREATE SEQUENCE IF NOT EXISTS bench_nip;
CREATE SEQUENCE IF NOT EXISTS bench_idem;
DELETE FROM idempotency_keys WHERE key LIKE 'bench-%' OR scope = 'bench|pgbench';
-- a valid NIP from a counter, for pgbench's inserts (skips checksum 10)
CREATE OR REPLACE FUNCTION bench_nip(k bigint) RETURNS text LANGUAGE sql AS $$
  SELECT b || c FROM (SELECT b, (6*substr(b,1,1)::int + 5*substr(b,2,1)::int + 7*substr(b,3,1)::int
    + 2*substr(b,4,1)::int + 3*substr(b,5,1)::int + 4*substr(b,6,1)::int + 5*substr(b,7,1)::int
    + 6*substr(b,8,1)::int + 7*substr(b,9,1)::int) % 11 AS c
    FROM (SELECT (900000000 + k)::text AS b) x) y WHERE c < 10 $$;
ANALYZE es_entities;
SQL
psql -Atq "$IPS_DATABASE_URL" -c "SELECT id FROM bench_ids" > "$work/ids"
user=bench-$$
echo "bench-password-$$" | build/ips-api create-user "$user" --partner byczyna --role coordinator >/dev/null

# pgbench scripts from the engine's own SQL
sql() { build/tests/bench/engine-sql es-entities "$1"; }
{ echo '\set n random(1, 10000)'
  sql get | sed 's/\$1::uuid/bench_uuid(:n)/'; } > "$work/read.sql"
# every filter NULL, the limit 51 (one more than the page)
sql list | perl -pe 's/\$(\d+)::integer(?=\s*$)/51/; s/\$\d+::(\w+)/NULL::$1/g' > "$work/list.sql"
# a create with an Idempotency-Key, trip for trip as the handler runs it; the
# key statements are those of src/resource/idempotency.c (the key from a
# sequence, a stored body of the size of the real one)
{ echo '\startpipeline'
  echo 'BEGIN;'
  echo "SELECT set_config('ips.actor', 'bench', true), set_config('ips.partner', 'byczyna', true),"
  echo "  set_config('ips.role', 'coordinator', true), set_config('ips.request_id', 'bench', true);"
  echo '\endpipeline'
  echo "SELECT set_config('lock_timeout', '5000ms', true);"
  echo "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ('bench|pgbench', 'pgbench-' || nextval('bench_idem'),"
  echo "  repeat('0', 64)) ON CONFLICT (scope, key) DO NOTHING RETURNING 1;"
  echo "SELECT EXISTS (SELECT 1 FROM project_partners WHERE code = 'byczyna');"
  echo "SELECT EXISTS (SELECT 1 FROM gminas WHERE teryt = '1604013');"
  sql insert | perl -pe "s/\\\$1::text/'Bench pgbench'/; s/\\\$2::text/'cis'/;
      s/\\\$4::text/bench_nip(nextval('bench_nip'))/; s/\\\$6::text/'1604013'/;
      s/\\\$21::text/'byczyna'/; s/\\\$\\d+::(\\w+)/NULL::\$1/g; s/\$/;/"
  echo "UPDATE idempotency_keys SET status = 201, body = repeat('x', 560), etag = '\"1\"',"
  echo "  location = '/v1/es-entities/' || gen_random_uuid() WHERE scope = 'bench|pgbench' AND key = 'pgbench-' || currval('bench_idem');"
  echo 'COMMIT;'; } > "$work/create.sql"
# the least SQL that gives the answers: the row by primary key, the page
{ echo '\set n random(1, 10000)'
  echo 'SELECT row_to_json(e) FROM es_entities e WHERE id = bench_uuid(:n);'; } > "$work/read_min.sql"
echo "SELECT json_agg(e) FROM (SELECT * FROM es_entities WHERE deleted_at IS NULL
  ORDER BY created_at DESC, id DESC LIMIT 50) e;" > "$work/list_min.sql"

# api_get LABEL: the GET by id on the running server, after a warm-up; sets
# get_rps, get_p99 and get_rss (the server's peak RSS after it).
api_get() {
  bench_warm "$BASE" "${auth[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids"
  bench_wrk "$1" "$BASE" "${auth[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids"
  get_rps=$BENCH_RPS get_p99=$BENCH_P99_MS get_rss=$(bench_peak_rss)
}

echo "ips-api $(build/ips-api version), $(nproc) cores, $seconds s each, 32 connections, 10 000 entities"

# GET by id, pool mode first (its own server), then the default mode
IPS_HTTP_MODE=pool bench_start_server
token=$(bench_token "$user" "bench-password-$$")
auth=(-H "Authorization: Bearer $token")
api_get "API  GET by id (pool, $(bench_db_pool_size) db conns)"
pool_rps=$get_rps pool_p99=$get_p99 pool_rss=$get_rss
bench_stop_server

bench_start_server
pool_size=$(bench_db_pool_size)
token=$(bench_token "$user" "bench-password-$$")
auth=(-H "Authorization: Bearer $token")
bench_start_peer "$pool_size"
api_get "API  GET by id (thread-per-conn, $pool_size)"
tpc_rps=$get_rps tpc_p99=$get_p99 tpc_rss=$get_rss
pgb       "SQL  engine's read by id" "$work/read.sql"
pgb       "SQL  row_to_json by id (minimal)" "$work/read_min.sql"
min_rps=$BENCH_TPS min_p99=$BENCH_P99_MS
peer_rps= peer_p99= peer_list_rps=
if [ -n "$PEER_BASE" ]; then
  bench_warm "$PEER_BASE" "${auth[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids"
  BENCH_CPU_PID=$PEER_PID bench_wrk "Fastify GET by id (pg pool $pool_size)" "$PEER_BASE" "${auth[@]}" \
    -s tests/bench/wrk/random_get.lua -- "$work/ids"
  peer_rps=$BENCH_RPS peer_p99=$BENCH_P99_MS
fi

bench_warm "$BASE/v1/es-entities?limit=50" "${auth[@]}"
bench_wrk "API  GET ?limit=50" "$BASE/v1/es-entities?limit=50" "${auth[@]}"
list_rps=$BENCH_RPS list_p99=$BENCH_P99_MS
pgb       "SQL  engine's list of 50" "$work/list.sql"
pgb       "SQL  json_agg page of 50 (minimal)" "$work/list_min.sql"
agg_rps=$BENCH_TPS agg_p99=$BENCH_P99_MS
if [ -n "$PEER_BASE" ]; then
  bench_warm "$PEER_BASE/v1/es-entities?limit=50" "${auth[@]}"
  BENCH_CPU_PID=$PEER_PID bench_wrk "Fastify GET ?limit=50" "$PEER_BASE/v1/es-entities?limit=50" "${auth[@]}"
  peer_list_rps=$BENCH_RPS
fi
bench_stop_peer

bench_wrk "API  POST (Idempotency-Key)" "$BASE" "${auth[@]}" -s tests/bench/wrk/create.lua -- "$(( $$ % 8 + 1 ))"
create_rps=$BENCH_RPS
pgb       "SQL  same create (9 statements, 8 trips)" "$work/create.sql"
create_tps=$BENCH_TPS
echo "server peak RSS: $tpc_rss MiB after its GET by id, $(bench_peak_rss) MiB at the end;" \
  "$pool_rss MiB in pool mode"

echo
echo "targets"
bench_target "GET by id" "API/pgbench-minimal" "$(bench_div "$tpc_rps" "$min_rps")" ">=" 0.5
bench_target "GET by id" "API/Fastify" "$(bench_div "$tpc_rps" "$peer_rps")" ">=" 2
bench_target "GET by id" "API p99/Fastify p99" "$(bench_div "$tpc_p99" "$peer_p99")" "<=" 1
bench_target "GET by id" "API p99/pgbench-minimal p99" "$(bench_div "$tpc_p99" "$min_p99")" "<=" 4
# the mode long polls need (the default) is not the slower one
bench_target "GET by id" "thread-per-conn/pool mode" "$(bench_div "$tpc_rps" "$pool_rps")" ">=" 1
bench_target "List of 50" "API/pgbench-json_agg" "$(bench_div "$list_rps" "$agg_rps")" ">=" 0.7
bench_target "List of 50" "API p99/pgbench-json_agg p99" "$(bench_div "$list_p99" "$agg_p99")" "<=" 2
bench_target "Create" "API/pgbench-same-transaction" "$(bench_div "$create_rps" "$create_tps")" ">=" 0.5
bench_target "RSS" "peak MiB under GET" "$(awk -v a="$tpc_rss" -v b="$pool_rss" 'BEGIN {print (a + 0 > b + 0 ? a : b)}')" "<=" 40
list_vs_peer=$(bench_div "$list_rps" "$peer_list_rps")
[ -n "$list_vs_peer" ] && list_vs_peer=$(printf '%.2f' "$list_vs_peer")
echo "(no target) List of 50: API/Fastify ${list_vs_peer:--};" \
  "GET by id p99: thread-per-conn ${tpc_p99}ms, pool mode ${pool_p99}ms"
