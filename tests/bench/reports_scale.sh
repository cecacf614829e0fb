#!/usr/bin/env bash
# The reports at scale: 100 000 ES entities, 1 000 000 beneficiaries,
# 300 000 deliveries and 3 000 000 attendance rows generated in PostgreSQL
# (triggers off for the load, then the indicators' summary rebuilt), then
# the time of the indicators report for a full year (also for one partner),
# checked against the straightforward query over the raw rows
# (indicators_raw.sql), and the participant CSV export's rows/s and the
# server's peak RSS before and after it. Ends with a PASS or FAIL line per
# target: indicators <= 1 s and identical, CSV >= 150 000 rows/s with the
# peak RSS at most 16 MiB above what it was before.
#   tests/bench/reports_scale.sh      (the data is made once in .data/bench-pg)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
trap bench_stop EXIT

bench_setup
export IPS_JWT_SECRET=bench-secret-of-at-least-32-bytes-long
if [ "$(psql -Atq "$IPS_DATABASE_URL" -c "SELECT count(*) >= 1000000 FROM beneficiaries")" != t ]; then
  echo "generating the data set (a few minutes)..."
  psql -q "$IPS_DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'
SET session_replication_role = replica;  -- no audit, feed or FK triggers while loading
SELECT setseed(0.42);
INSERT INTO es_entities (partner, name, legal_form, teryt_gmina, status)
SELECT CASE WHEN n % 2 = 0 THEN 'byczyna' ELSE 'chorzow' END, 'Scale entity ' || n,
       (ARRAY['social_cooperative', 'foundation', 'association', 'cis', 'cooperative'])[1 + n % 5],
       (SELECT array_agg(teryt ORDER BY teryt) FROM gminas)[1 + n % 71], 'active'
  FROM generate_series(1, 100000) n;
CREATE TEMP TABLE scale_entities AS SELECT row_number() OVER () AS n, id FROM es_entities WHERE name LIKE 'Scale entity %';
CREATE INDEX ON scale_entities (n);
CREATE TEMP TABLE scale_gminas AS SELECT row_number() OVER (ORDER BY teryt) AS n, teryt FROM gminas;
INSERT INTO beneficiaries (partner, first_name, last_name, gender, education, labour_status, teryt_gmina,
                           birth_date, consent_on, support_start)
SELECT CASE WHEN i % 2 = 0 THEN 'byczyna' ELSE 'chorzow' END, 'Imię' || i, 'Nazwisko' || (i % 5000),
       CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END,
       (ARRAY['primary', 'lower_secondary', 'upper_secondary', 'post_secondary', 'tertiary'])[1 + i % 5],
       (ARRAY['employed', 'unemployed', 'long_term_unemployed', 'inactive', 'self_employed'])[1 + i % 5],
       sg.teryt, DATE '1960-01-01' + (i % 15000), DATE '2025-01-01', DATE '2025-01-01' + (i % 300)
  FROM generate_series(1, 1000000) i JOIN scale_gminas sg ON sg.n = 1 + i % 71;
CREATE TEMP TABLE scale_services AS SELECT row_number() OVER (ORDER BY code) AS n, id, kind FROM services;
INSERT INTO deliveries (partner, service_id, es_entity_id, started_at, hours, topic)
SELECT CASE WHEN i % 2 = 0 THEN 'byczyna' ELSE 'chorzow' END, s.id,
       CASE WHEN s.kind IN ('training', 'seminar') THEN NULL ELSE e.id END,
       TIMESTAMPTZ '2025-01-01 09:00+01' + (i % 360) * interval '1 day', 1 + (i % 8) * 0.5, 'Scale delivery ' || i
  FROM generate_series(1, 300000) i JOIN scale_services s ON s.n = 1 + i % 7
  JOIN scale_entities e ON e.n = 1 + i % 100000;
CREATE TEMP TABLE scale_deliveries AS SELECT row_number() OVER () AS n, id, partner FROM deliveries WHERE topic LIKE 'Scale delivery %';
CREATE TEMP TABLE scale_beneficiaries AS SELECT row_number() OVER () AS n, id FROM beneficiaries WHERE first_name LIKE 'Imię%';
CREATE INDEX ON scale_beneficiaries (n);
INSERT INTO participants (delivery_id, beneficiary_id, partner, attended)
SELECT d.id, b.id, d.partner, (d.n + k) % 10 <> 0
  FROM scale_deliveries d CROSS JOIN generate_series(0, 9) k
  JOIN scale_beneficiaries b ON b.n = 1 + (d.n * 10 + k * 7919) % 1000000
ON CONFLICT DO NOTHING;
SET session_replication_role = DEFAULT;
SELECT report_rebuild();  -- the loader bypassed the summary's triggers
ANALYZE;
SQL
fi
psql -Atq "$IPS_DATABASE_URL" -c "SELECT 'es_entities ' || (SELECT count(*) FROM es_entities) || ', beneficiaries ' ||
  (SELECT count(*) FROM beneficiaries) || ', deliveries ' || (SELECT count(*) FROM deliveries) || ', attendance ' ||
  (SELECT count(*) FROM participants)"
user=bench-$$
echo "bench-password-$$" | build/ips-api create-user "$user" --partner byczyna --role admin >/dev/null
bench_start_server
token=$(curl -s "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"grant_type\":\"password\",\"username\":\"$user\",\"password\":\"bench-password-$$\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
result=0
verdict() {  # verdict NAME OK DETAIL
  if [ "$2" = 1 ]; then echo "PASS $1 ($3)"; else echo "FAIL $1 ($3)"; result=1; fi
}
compare() {  # compare API.json RAW.json: prints IDENTICAL or the differences
  python3 - "$1" "$2" <<'PY'
import json, sys
from decimal import Decimal
a, b = (json.load(open(f), parse_float=Decimal) for f in sys.argv[1:3])
print("IDENTICAL" if a == b else "DIFFERENT: api %s raw %s" % (json.dumps(a, default=str)[:300], json.dumps(b, default=str)[:300]))
PY
}
indicators() {  # indicators LABEL PARTNER: times the API (3 runs), compares with the raw query
  local label=$1 partner=$2 worst=0 t
  for i in 1 2 3; do
    t=$(curl -s -o "$PWD/.data/indicators-api.json" -w '%{time_total}' -H "Authorization: Bearer $token" \
      "$BASE/v1/reports/indicators?from=2025-01-01&to=2025-12-31${partner:+&partner=$partner}")
    echo "indicators $label (run $i): $t s"
    worst=$(python3 -c "print(max($worst, $t))")
  done
  psql -Atq "$IPS_DATABASE_URL" -v from=2025-01-01 -v to=2025-12-31 -v partner="$partner" \
    -f tests/bench/indicators_raw.sql > "$PWD/.data/indicators-raw.json"
  local same
  same=$(compare .data/indicators-api.json .data/indicators-raw.json)
  verdict "indicators $label <= 1 s" "$(python3 -c "print(int($worst <= 1.0))")" "slowest of 3: $worst s"
  verdict "indicators $label identical to the raw query" "$([ "$same" = IDENTICAL ] && echo 1 || echo 0)" "$same"
  rm -f .data/indicators-api.json .data/indicators-raw.json
}
indicators 2025 ""
indicators "2025, partner byczyna" byczyna
rss_before=$(bench_peak_rss)
out=$(curl -s -w '%{time_total} %{size_download} %{http_code}' -o "$PWD/.data/participants-scale.csv" \
  "$BASE/v1/reports/participants.csv?from=2025-01-01&to=2025-12-31" -H "Authorization: Bearer $token")
rss_after=$(bench_peak_rss)
read -r seconds bytes code <<<"$out"
rows=$(( $(wc -l < .data/participants-scale.csv) - 1 ))
rate=$(python3 -c "print(int($rows / $seconds))")
echo "participants.csv 2025: $seconds s, $bytes bytes, HTTP $code, $rows rows, $rate rows/s"
echo "server peak RSS: $rss_before MiB before the export, $rss_after MiB after it"
verdict "participants.csv >= 150000 rows/s" "$(python3 -c "print(int($code == 200 and $rate >= 150000))")" "$rate rows/s"
verdict "participants.csv memory flat" "$(python3 -c "print(int($rss_after - $rss_before <= 16))")" \
  "peak RSS $rss_before -> $rss_after MiB"
rm -f .data/participants-scale.csv
exit $result
