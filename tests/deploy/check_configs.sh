#!/usr/bin/env bash
# The deployment files as their own tools read them (TAP on stdout):
#   - each systemd unit in deploy/systemd passes `systemd-analyze verify`
#     (with ExecStart pointing at the binary under test) and its exposure
#     is "OK" or better in `systemd-analyze security --offline`;
#   - the backup service and timers in deploy/backup pass it too;
#   - deploy/nginx passes `nginx -t` with a self-signed certificate.
# $1: the ips-api binary; $2: the repository root.
set -uo pipefail
bin=$1 root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$work/out"; }

# ---- systemd ----
mkdir -p "$work/units"
for unit in "$root"/deploy/systemd/*.service; do
  sed "s#/usr/local/bin/ips-api#$bin#g" "$unit" > "$work/units/$(basename "$unit")"
done
for unit in "$work"/units/*.service; do
  name=$(basename "$unit")
  # a template is verified as one of its instances
  [[ $name == *@.service ]] && { cp "$unit" "$work/units/${name%@.service}@8081.service"; name=${name%@.service}@8081.service; }
  if (cd "$work/units" && systemd-analyze verify "./$name") > "$work/out" 2>&1 && [ ! -s "$work/out" ]; then
    ok "systemd-analyze verify $name is clean"
  else
    not_ok "systemd-analyze verify $name is clean"
  fi
  (cd "$work/units" && systemd-analyze security --offline=yes "./$name") > "$work/out" 2>&1
  level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$work/out")
  case "${level#* }" in
    PERFECT | SAFE | OK) ok "systemd-analyze security rates $name ${level} (OK or better)" ;;
    *) not_ok "systemd-analyze security rates $name ${level:-nothing} (OK or better)" ;;
  esac
done

# ---- the backup units ----
mkdir -p "$work/backup"
cp "$root"/deploy/backup/*.service "$root"/deploy/backup/*.timer "$work/backup/"
cp "$work/backup/ips-api-backup@.service" "$work/backup/ips-api-backup@full.service"
if (cd "$work/backup" && systemd-analyze verify ./ips-api-backup@full.service ./ips-api-backup-full.timer \
      ./ips-api-backup-diff.timer) > "$work/out" 2>&1 && [ ! -s "$work/out" ]; then
  ok "systemd-analyze verify of the backup service and timers is clean"
else
  not_ok "systemd-analyze verify of the backup service and timers is clean"
fi

# ---- nginx ----
prefix="$work/nginx"
mkdir -p "$prefix/conf/ips-api" "$prefix/logs" "$prefix/ssl"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=api.example.org" \
  -keyout "$prefix/ssl/privkey.pem" -out "$prefix/ssl/fullchain.pem" > "$work/out" 2>&1 ||
  not_ok "a self-signed certificate for the nginx test"
for f in "$root"/deploy/nginx/*.conf; do
  sed "s#/etc/ssl/ips-api/#$prefix/ssl/#g" "$f" > "$prefix/conf/ips-api/$(basename "$f")"
done
cat > "$prefix/conf/nginx.conf" <<CONF
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log;
events {}
http {
    access_log off;
    include ips-api/ips-api.conf;
}
CONF
if nginx -t -p "$prefix/" -c "$prefix/conf/nginx.conf" > "$work/out" 2>&1 && grep -q "test is successful" "$work/out"; then
  ok "nginx -t accepts deploy/nginx"
else
  not_ok "nginx -t accepts deploy/nginx"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
