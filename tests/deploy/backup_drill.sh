#!/usr/bin/env bash
# A backup that restores (TAP on stdout): a cluster of its own archiving
# its WAL with pgBackRest, migrated and given records by the binary, a full
# backup, then deploy/backup/restore-drill.sh --exact restores it into a
# scratch cluster and compares. $1: the ips-api binary; $2: the repository.
set -uo pipefail
bin=$1 root=$2
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/ips-backup-test.XXXXXX")
chmod 777 "$work"
n=0 failed=0
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$work/out" | tail -30; }
step() { # step NAME COMMAND...: runs it, output to $work/out
  local name=$1; shift
  if "$@" > "$work/out" 2>&1; then ok "$name"; else not_ok "$name"; fi
}
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf="$work/pgbackrest.conf"
cat > "$conf" <<CONF
[global]
repo1-path=$work/repo
log-path=$work/log
lock-path=$work/lock
start-fast=y
compress-type=zst
log-level-console=warn
[drill]
pg1-path=$work/data
pg1-port=$port
pg1-socket-path=$work
pg1-user=ips
CONF
chmod 644 "$conf"
cp "$root/deploy/backup/restore-drill.sh" "$work/restore-drill.sh"
chmod 755 "$work/restore-drill.sh"

step "a cluster archiving its WAL with pgBackRest" bash -c "
  $(declare -f as_pg)
  as_pg '$bindir/initdb' -D '$work/data' -U ips --auth=trust -E UTF8 --locale=C.UTF-8 &&
  cat >> '$work/data/postgresql.conf' <<PGCONF &&
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$conf --stanza=drill archive-push %p'
fsync = off
PGCONF
  as_pg '$bindir/pg_ctl' -D '$work/data' -l '$work/pg.log' -w -t 60 start &&
  psql -XAtq -h 127.0.0.1 -p $port -U ips -d postgres -c 'CREATE DATABASE ips'"
url="postgresql://ips@127.0.0.1:$port/ips"
step "migrated and given records by the binary" bash -c "
  IPS_DATABASE_URL='$url' IPS_LOG_LEVEL=warning '$bin' migrate &&
  echo 'drill-password-long-enough' | IPS_DATABASE_URL='$url' IPS_LOG_LEVEL=warning '$bin' create-user drill-admin --partner byczyna --role admin &&
  psql -XAtq '$url' -c \"INSERT INTO es_entities (partner, name, legal_form, teryt_gmina, status)
    SELECT 'byczyna', 'Drill entity ' || n, 'social_cooperative', (SELECT min(teryt) FROM gminas), 'active'
      FROM generate_series(1, 200) n\""
step "pgbackrest stanza-create, check and a full backup" as_pg bash -c "
  pgbackrest --config='$conf' --stanza=drill stanza-create &&
  pgbackrest --config='$conf' --stanza=drill check &&
  pgbackrest --config='$conf' --stanza=drill --type=full backup"
step "restore-drill.sh restores the backup and finds every record" \
  as_pg env PG_BINDIR="$bindir" TMPDIR="$work" "$work/restore-drill.sh" --exact "$conf" drill "$url"
sed -n 's/^/# /p' "$work/out" | grep -E "es_entities|restored and started" || true
# the drill must fail when a record differs: one changed on the primary, the count the same
psql -XAtq "$url" -c "UPDATE es_entities SET name = name || ' renamed' WHERE name = 'Drill entity 7'" > "$work/out" 2>&1
if as_pg env PG_BINDIR="$bindir" TMPDIR="$work" "$work/restore-drill.sh" --exact "$conf" drill "$url" > "$work/out" 2>&1; then
  not_ok "restore-drill.sh --exact fails when a record changed on the primary since the backup"
else
  ok "restore-drill.sh --exact fails when a record changed on the primary since the backup"
fi
grep -E "^es_entities" "$work/out" | sed 's/^/# /' || true
# the drill must fail when the restore lacks records: one more record on the primary
psql -XAtq "$url" -c "INSERT INTO es_entities (partner, name, legal_form, teryt_gmina, status)
  SELECT 'byczyna', 'Drill entity late', 'social_cooperative', min(teryt), 'active' FROM gminas" > "$work/out" 2>&1
if as_pg env PG_BINDIR="$bindir" TMPDIR="$work" "$work/restore-drill.sh" --exact "$conf" drill "$url" > "$work/out" 2>&1; then
  not_ok "restore-drill.sh --exact fails when the primary has a record the backup has not"
else
  ok "restore-drill.sh --exact fails when the primary has a record the backup has not"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
