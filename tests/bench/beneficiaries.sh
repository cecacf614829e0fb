#!/usr/bin/env bash
# Beneficiaries and attendance against PostgreSQL itself: wrk -t2 -c32 on
#   GET /v1/beneficiaries?limit=50  with personal data (admin) and without (integration)
#   PUT /v1/deliveries/{id}/participants/{beneficiary_id}
# each next to pgbench -M prepared -c32 -j2 running the SQL the handler runs.
# Uses the data of tests/bench/reports_scale.sh when it is there (1 000 000
# beneficiaries), else makes 10 000.
#   tests/bench/beneficiaries.sh      (BENCH_SECONDS=20 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
work=$(mktemp -d)
trap 'bench_stop; rm -rf "$work"' EXIT
seconds=${BENCH_SECONDS:-20}

bench_setup
export IPS_JWT_SECRET=bench-secret-of-at-least-32-bytes-long
psql -q "$IPS_DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'
SET session_replication_role = replica;
INSERT INTO beneficiaries (partner, first_name, last_name, gender, teryt_gmina, consent_on, email, phone, pesel)
SELECT CASE WHEN n % 2 = 0 THEN 'byczyna' ELSE 'chorzow' END, 'Bench', 'Beneficiary ' || n,
       'female', '1604013', DATE '2025-01-01', 'b' || n || '@example.org', '+48 77 000 00 00', NULL
  FROM generate_series(1, greatest(0, 10000 - (SELECT count(*) FROM beneficiaries))) n;
INSERT INTO deliveries (partner, service_id, started_at, hours, topic)
SELECT 'byczyna', (SELECT id FROM services WHERE kind = 'training'), now(), 2, 'Bench training ' || n
  FROM generate_series(1, greatest(0, 1000 - (SELECT count(*) FROM deliveries WHERE partner = 'byczyna'))) n;
SET session_replication_role = DEFAULT;
SQL
psql -Atq "$IPS_DATABASE_URL" -c "SELECT id FROM deliveries WHERE partner = 'byczyna' AND deleted_at IS NULL LIMIT 1000" > "$work/deliveries"
psql -Atq "$IPS_DATABASE_URL" -c "SELECT id FROM beneficiaries WHERE NOT erased AND deleted_at IS NULL LIMIT 100000" > "$work/beneficiaries"
psql -q "$IPS_DATABASE_URL" <<SQL
DROP TABLE IF EXISTS bench_pairs_d, bench_pairs_b;
CREATE TABLE bench_pairs_d AS SELECT row_number() OVER () AS n, id::uuid FROM (SELECT id FROM deliveries WHERE partner = 'byczyna' AND deleted_at IS NULL LIMIT 1000) x;
CREATE TABLE bench_pairs_b AS SELECT row_number() OVER () AS n, id::uuid FROM (SELECT id FROM beneficiaries WHERE NOT erased AND deleted_at IS NULL LIMIT 100000) x;
CREATE UNIQUE INDEX ON bench_pairs_d (n);
CREATE UNIQUE INDEX ON bench_pairs_b (n);
SQL
nd=$(wc -l < "$work/deliveries"); nb=$(wc -l < "$work/beneficiaries")
for role in admin integration coordinator; do
  echo "bench-password-$$" | build/ips-api create-user "bench-$role-$$" --partner byczyna --role "$role" >/dev/null
done

# pgbench: the engine's own list SQL with every filter NULL, limit 51, and
# the PII scope '*' (admin) or NULL (integration)
build/tests/bench/engine-sql beneficiaries list > "$work/list.tmpl"
last=$(grep -o '\$[0-9]*' "$work/list.tmpl" | tr -d '$' | sort -n | tail -1)
perl -pe "s/\\\$$last::text/'*'/g; s/\\\$$((last - 1))::integer/51/g; s/\\\$\\d+::(\\w+)/NULL::\$1/g" "$work/list.tmpl" > "$work/list_pii.sql"
perl -pe "s/\\\$$((last - 1))::integer/51/g; s/\\\$\\d+::(\\w+)/NULL::\$1/g" "$work/list.tmpl" > "$work/list_nopii.sql"
# attendance: the statements participants.c runs for a PUT
cat > "$work/put.sql" <<SQL
\\set d random(1, $nd)
\\set b random(1, $nb)
\\set a random(0, 1)
SELECT partner FROM deliveries WHERE id = (SELECT id FROM bench_pairs_d WHERE n = :d) AND deleted_at IS NULL;
\\startpipeline
BEGIN;
SELECT set_config('ips.actor', 'bench', true), set_config('ips.partner', 'byczyna', true), set_config('ips.role', 'coordinator', true), set_config('ips.request_id', 'bench', true);
\\endpipeline
SELECT deleted_at IS NULL AND NOT erased FROM beneficiaries WHERE id = (SELECT id FROM bench_pairs_b WHERE n = :b);
SELECT attended, deleted_at IS NULL FROM participants WHERE delivery_id = (SELECT id FROM bench_pairs_d WHERE n = :d) AND beneficiary_id = (SELECT id FROM bench_pairs_b WHERE n = :b) FOR UPDATE;
INSERT INTO participants (delivery_id, beneficiary_id, partner, attended) VALUES ((SELECT id FROM bench_pairs_d WHERE n = :d), (SELECT id FROM bench_pairs_b WHERE n = :b), 'byczyna', :a = 1) ON CONFLICT (delivery_id, beneficiary_id) DO UPDATE SET attended = EXCLUDED.attended, version = participants.version + 1, updated_at = now();
COMMIT;
SELECT json_build_object('beneficiary_id', p.beneficiary_id, 'attended', p.attended, 'first_name', b.first_name, 'last_name', b.last_name, 'partner', b.partner)::text FROM participants p JOIN beneficiaries b ON b.id = p.beneficiary_id WHERE p.delivery_id = (SELECT id FROM bench_pairs_d WHERE n = :d) AND p.beneficiary_id = (SELECT id FROM bench_pairs_b WHERE n = :b);
SQL

token_for() {
  curl -s "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"grant_type\":\"password\",\"username\":\"bench-$1-$$\",\"password\":\"bench-password-$$\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

bench_start_server
echo "ips-api $(build/ips-api version), $(nproc) cores, $seconds s each, 32 connections, $nb beneficiaries"
bench_wrk "API  beneficiaries?limit=50 PII" "$BASE/v1/beneficiaries?limit=50" -H "Authorization: Bearer $(token_for admin)"
pgb       "SQL  list of 50 with PII" "$work/list_pii.sql"
bench_wrk "API  beneficiaries?limit=50 no PII" "$BASE/v1/beneficiaries?limit=50" -H "Authorization: Bearer $(token_for integration)"
pgb       "SQL  list of 50 without PII" "$work/list_nopii.sql"
bench_wrk "API  PUT participants/{id}" "$BASE" -H "Authorization: Bearer $(token_for coordinator)" \
  -s tests/bench/wrk/attendance.lua -- "$work/deliveries" "$work/beneficiaries"
pgb       "SQL  attendance PUT (8 statements, 7 trips)" "$work/put.sql"
echo "server peak RSS: $(bench_peak_rss) MiB"
