#!/usr/bin/env bash
# deploy/backup/restore-drill.sh - proves that the backups restore: the
# latest pgBackRest backup of STANZA, as it was when the backup ended, is
# restored into a scratch folder, started there on a free port of
# 127.0.0.1 beside the real cluster, and compared with PRIMARY_URL: the
# same schema version, and no table with more records than the primary
# has (records are soft-deleted, so the primary only grows), with records
# at all; with --exact, for a primary nobody wrote to since the backup,
# every table of the schema with the same count and the same content (a
# checksum of its rows). Then the scratch cluster is removed.
# Run as the user that owns the clusters (postgres):
#   deploy/backup/restore-drill.sh [--exact] CONFIG STANZA PRIMARY_URL
# Prints each table's counts and the time the restore took; exits non-zero
# when anything differs.
set -euo pipefail
exact=0
if [ "${1:-}" = --exact ]; then exact=1; shift; fi
[ $# -eq 3 ] || { echo "usage: $0 [--exact] CONFIG STANZA PRIMARY_URL" >&2; exit 2; }
config=$1 stanza=$2 primary=$3
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ips-restore-drill.XXXXXX")
data="$scratch/data"
cleanup() {
  "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

started=$(date +%s.%N)
pgbackrest --config="$config" --stanza="$stanza" --pg1-path="$data" --type=immediate --target-action=promote \
  --archive-mode=off restore >&2
# the restored cluster listens on loopback only, beside the real one
cat >> "$data/postgresql.auto.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$scratch'
archive_mode = off
CONF
"$bindir/pg_ctl" -D "$data" -l "$scratch/restore.log" -w -t 120 start >&2
restored_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); \
  n = p.netloc.rsplit("@", 1); host = "127.0.0.1:" + sys.argv[2]; \
  print(u.urlunsplit((p.scheme, (n[0] + "@" if len(n) == 2 else "") + host, p.path, p.query, p.fragment)))' "$primary" "$port")
# a promoted cluster answers once its recovery is over
for _ in $(seq 120); do
  [ "$(psql -XAtq "$restored_url" -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
  sleep 0.5
done
seconds=$(python3 -c "import sys; print(round($(date +%s.%N) - $started, 1))")

failed=0
total=0
v_primary=$(psql -XAtq "$primary" -c 'SELECT max(version) FROM schema_migrations')
v_restored=$(psql -XAtq "$restored_url" -c 'SELECT max(version) FROM schema_migrations')
echo "schema version: primary $v_primary, restored $v_restored"
[ "$v_primary" = "$v_restored" ] || failed=1
if [ "$exact" -eq 1 ]; then
  tables=$(psql -XAtq "$primary" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
else
  tables="es_entities beneficiaries deliveries participants partnership_members services users audit_log changes"
fi
# a table's rows as text, sorted, hashed: the same on both sides when every
# record is the same
checksum() { psql -XAtq "$1" -c "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"$2\" t"; }
for table in $tables; do
  p=$(psql -XAtq "$primary" -c "SELECT count(*) FROM \"$table\"")
  r=$(psql -XAtq "$restored_url" -c "SELECT count(*) FROM \"$table\"")
  total=$((total + r))
  if [ "$exact" -eq 1 ]; then
    cp=$(checksum "$primary" "$table")
    cr=$(checksum "$restored_url" "$table")
    if [ "$cp" = "$cr" ]; then same="the same content"; else same="DIFFERENT content"; fi
    echo "$table: primary $p, restored $r, $same"
    [ "$p" = "$r" ] && [ "$cp" = "$cr" ] || failed=1
  else
    echo "$table: primary $p, restored $r"
    [ "$r" -le "$p" ] || failed=1
  fi
done
# an empty restore proves nothing
[ "$total" -gt 0 ] || failed=1
echo "restored and started in $seconds s"
if [ "$failed" -ne 0 ]; then echo "restore drill: FAILED" >&2; exit 1; fi
echo "restore drill: OK"
