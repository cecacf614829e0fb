#!/usr/bin/env bash
# A flood of password sign-ins on loopback: 200 at once with the right
# password, then 40 wrong ones for distinct usernames from the same client,
# two at a time (so that they are checked, not refused as 503).
# Prints the server's peak RSS (VmHWM) and how many answers were 200, 503,
# 401 and 429. Bounded: each request has a 30 s timeout, two rounds only.
#   tests/bench/signin_flood.sh      (SIGNINS=200 by default; any IPS_* of
#                                     the environment reaches the server)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
work=$(mktemp -d)
trap 'bench_stop; rm -rf "$work"' EXIT

signins=${SIGNINS:-200}
[ "$signins" -ge 1 ] && [ "$signins" -le 1000 ] || { echo "SIGNINS must be 1..1000" >&2; exit 2; }

bench_setup
user=flood-$$
password=flood-password-$$
echo "$password" | build/ips-api create-user "$user" --partner byczyna --role coordinator >/dev/null
export IPS_JWT_SECRET=${IPS_JWT_SECRET:-bench-secret-of-at-least-32-bytes-long}
bench_start_server
echo "ips-api $(build/ips-api version), $(nproc) cores; server RSS at start: $(bench_peak_rss) MiB"

# flood FILE N AT-ONCE BODY-MAKER: N sign-ins, AT-ONCE of them at a time
# (one curl, --parallel); one status code a line in FILE.
flood() {
  local file=$1 n=$2 at_once=$3 make_body=$4
  local cfg=$work/curl.cfg
  : >"$cfg"
  for i in $(seq "$n"); do
    [ "$i" -gt 1 ] && echo next >>"$cfg"
    printf 'url = "%s/v1/auth/token"\nheader = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nmax-time = 30\n' \
      "$BASE" "$("$make_body" "$i")" >>"$cfg"
  done
  curl -s --parallel --parallel-immediate --parallel-max "$at_once" --config "$cfg" >"$file" || true
}

right_password() { printf '{\\"grant_type\\":\\"password\\",\\"username\\":\\"%s\\",\\"password\\":\\"%s\\"}' "$user" "$password"; }
wrong_password() { printf '{\\"grant_type\\":\\"password\\",\\"username\\":\\"nobody-%s-%s\\",\\"password\\":\\"not-the-password\\"}' "$$" "$1"; }

count() { grep -c "^$2\$" "$1" || true; }

start=$(date +%s.%N)
flood "$work/right" "$signins" "$signins" right_password
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
echo "$signins concurrent sign-ins (right password) in ${took}s:" \
  "200: $(count "$work/right" 200), 503: $(count "$work/right" 503), 429: $(count "$work/right" 429)," \
  "other: $(grep -vc '^\(200\|503\|429\)$' "$work/right" || true)"
echo "server peak RSS after the flood: $(bench_peak_rss) MiB"

flood "$work/wrong" 40 2 wrong_password
echo "40 sign-ins (2 at a time) for distinct unknown usernames from one client:" \
  "401: $(count "$work/wrong" 401), 429: $(count "$work/wrong" 429), 503: $(count "$work/wrong" 503)," \
  "other: $(grep -vc '^\(401\|429\|503\)$' "$work/wrong" || true)"
echo "server peak RSS at the end: $(bench_peak_rss) MiB"
