#!/usr/bin/env bash
# The resource engine against PostgreSQL itself: wrk -t2 -c32 on
#   GET /v1/es-entities/{random id}   (10 000 entities, coordinator token)
#   GET /v1/es-entities?limit=50
#   POST /v1/es-entities              (distinct NIPs)
# each next to pgbench -M prepared -c32 -j2 running the SQL the handler runs
# (printed by build/tests/bench/engine-sql, the engine's own generator),
# pipelined where the handler pipelines them.
# The ratio API/pgbench is the figure that matters.
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
INSERT INTO es_entities (partner, name, legal_form, teryt_gmina, city, employees, status)
SELECT 'byczyna', 'Bench entity ' || n, 'social_cooperative',
       (SELECT teryt FROM gminas ORDER BY teryt OFFSET n % 71 LIMIT 1), 'Opole', n % 50, 'active'
  FROM generate_series(1, 10000 - (SELECT count(*) FROM es_entities WHERE name LIKE 'Bench entity %')) n;
DROP TABLE IF EXISTS bench_ids;
CREATE TABLE bench_ids AS
  SELECT row_number() OVER (ORDER BY id) AS n, id FROM es_entities WHERE name LIKE 'Bench entity %';
CREATE UNIQUE INDEX ON bench_ids (n);
-- earlier runs' creates go (no app deletes hard: no foreign key checks needed)
SET session_replication_role = replica;
DELETE FROM es_entities WHERE name LIKE 'Bench POST %' OR name = 'Bench pgbench';
SET session_replication_role = DEFAULT;
CREATE SEQUENCE IF NOT EXISTS bench_nip;
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
  sql get | sed 's/\$1::uuid/(SELECT id FROM bench_ids WHERE n = :n)/'; } > "$work/read.sql"
# every filter NULL, the limit 51 (one more than the page)
sql list | perl -pe 's/\$(\d+)::integer(?=\s*$)/51/; s/\$\d+::(\w+)/NULL::$1/g' > "$work/list.sql"
{ echo '\startpipeline'
  echo 'BEGIN;'
  echo "SELECT set_config('ips.actor', 'bench', true), set_config('ips.partner', 'byczyna', true),"
  echo "  set_config('ips.role', 'coordinator', true), set_config('ips.request_id', 'bench', true);"
  echo '\endpipeline'
  echo "SELECT EXISTS (SELECT 1 FROM project_partners WHERE code = 'byczyna');"
  echo "SELECT EXISTS (SELECT 1 FROM gminas WHERE teryt = '1604013');"
  echo '\startpipeline'
  sql insert | perl -pe "s/\\\$1::text/'Bench pgbench'/; s/\\\$2::text/'cis'/;
      s/\\\$4::text/bench_nip(nextval('bench_nip'))/; s/\\\$6::text/'1604013'/;
      s/\\\$21::text/'byczyna'/; s/\\\$\\d+::(\\w+)/NULL::\$1/g; s/\$/;/"
  echo 'COMMIT;'
  echo '\endpipeline'; } > "$work/create.sql"


bench_start_server
token=$(curl -s "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"grant_type\":\"password\",\"username\":\"$user\",\"password\":\"bench-password-$$\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
auth=(-H "Authorization: Bearer $token")

echo "ips-api $(build/ips-api version), $(nproc) cores, $seconds s each, 32 connections"
bench_wrk "API  GET /v1/es-entities/{id}" "$BASE" "${auth[@]}" -s tests/bench/wrk/random_get.lua -- "$work/ids"
pgb       "SQL  read by id" "$work/read.sql"
bench_wrk "API  GET /v1/es-entities?limit=50" "$BASE/v1/es-entities?limit=50" "${auth[@]}"
pgb       "SQL  list of 50" "$work/list.sql"
bench_wrk "API  POST /v1/es-entities" "$BASE" "${auth[@]}" -s tests/bench/wrk/create.lua -- "$(( $$ % 8 + 1 ))"
pgb       "SQL  create (6 statements, 4 trips)" "$work/create.sql"
echo "server peak RSS: $(bench_peak_rss) MiB"
