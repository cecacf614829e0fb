# Shared by the benchmark scripts: a release build, a database, a server.
# Sourced from the repository root. Not part of deploy/test.sh: benchmarks
# are run by hand, on a quiet machine, and compared as ratios within one run.

. deploy/lib.sh

# bench_setup: builds, starts .data/bench-pg, migrates; exports IPS_DATABASE_URL.
bench_setup() {
  ensure_packages "${BUILD_PACKAGES[@]}" wrk
  build build --buildtype=release
  IPS_DATABASE_URL=$(deploy/pg-local.sh start .data/bench-pg ips_bench)
  export IPS_DATABASE_URL
  IPS_LOG_LEVEL=warning build/ips-api migrate
}

# bench_start_server: starts build/ips-api on a free port; sets SERVER_PID, BASE.
bench_start_server() {
  local out
  out=$(mktemp)
  IPS_LISTEN=127.0.0.1:0 IPS_LOG_LEVEL=${IPS_LOG_LEVEL:-warning} build/ips-api serve >"$out" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q '^listening on' "$out" && break
    sleep 0.05
  done
  BASE=$(sed -n 's/^listening on //p' "$out")
  rm -f "$out"
  [ -n "$BASE" ] || { echo "server did not start" >&2; exit 1; }
}

# bench_stop_server: stops the server bench_start_server started, if any.
bench_stop_server() {
  [ -n "${SERVER_PID:-}" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=
}

bench_stop() {
  bench_stop_server || true
  bench_stop_peer || true
  deploy/pg-local.sh stop .data/bench-pg >/dev/null 2>&1 || true
}

# bench_token USER PASSWORD: prints an access token of the running server.
bench_token() {
  curl -s "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"grant_type\":\"password\",\"username\":\"$1\",\"password\":\"$2\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# The size of the running server's database pool (from /metrics).
bench_db_pool_size() {
  curl -s "$BASE/metrics" | awk '$1 == "ips_db_pool_size" {print $2}'
}

# bench_start_peer POOL_SIZE: starts the Fastify + pg service of
# tests/bench/peer on a free loopback port with a pg pool of POOL_SIZE;
# sets PEER_PID and PEER_BASE. When it cannot run here (no Node >= 20, npm ci
# failing) it prints why, leaves PEER_BASE empty and returns 0: the peer's
# figures are skipped, the rest of the run goes on.
bench_start_peer() {
  local pool=$1 major out
  PEER_PID= PEER_BASE=
  if ! ensure_node || ! command -v node >/dev/null; then
    echo "Fastify peer skipped: Node.js and npm are not installed and could not be"
    return 0
  fi
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "Fastify peer skipped: Fastify 5 needs Node >= 20, this machine has Node $(node --version)"
    return 0
  fi
  if [ ! -f tests/bench/peer/node_modules/.package-lock.json ] ||
     [ tests/bench/peer/package-lock.json -nt tests/bench/peer/node_modules/.package-lock.json ]; then
    if ! (cd tests/bench/peer && npm ci --no-audit --no-fund --loglevel=error >&2); then
      echo "Fastify peer skipped: npm ci in tests/bench/peer failed (see above)"
      return 0
    fi
  fi
  out=$(mktemp)
  PEER_PORT=0 PEER_POOL_SIZE=$pool node tests/bench/peer/server.js >"$out" &
  PEER_PID=$!
  for _ in $(seq 200); do
    grep -q '^listening on' "$out" && break
    kill -0 "$PEER_PID" 2>/dev/null || break
    sleep 0.05
  done
  PEER_BASE=$(sed -n 's/^listening on //p' "$out")
  rm -f "$out"
  if [ -z "$PEER_BASE" ]; then
    echo "Fastify peer skipped: tests/bench/peer/server.js did not start (see above)"
    bench_stop_peer
  fi
}

bench_stop_peer() {
  [ -n "${PEER_PID:-}" ] && kill -TERM "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null
  PEER_PID=
}

# CPU seconds (user + system) process $1 has used so far.
bench_cpu_seconds() {
  awk -v tck="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / tck}' "/proc/$1/stat"
}

# Peak resident memory of the server so far, in MiB.
bench_peak_rss() {
  awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"
}

# A latency as wrk or pgbench prints it (850.00us, 12.5ms, 1.20s) in ms.
bench_ms() {
  awk -v t="$1" 'BEGIN {
    v = t + 0; u = t; sub(/^[0-9.]+/, "", u)
    printf "%.2f", u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v }'
}

# bench_warm URL [wrk args...]: wrk for BENCH_WARMUP_SECONDS (1 by default),
# not measured: pools filled, caches and a JIT warm before bench_wrk. Only
# for requests that can be repeated (not create.lua: its NIPs would repeat).
bench_warm() {
  local url=$1; shift
  [ "${BENCH_WARMUP_SECONDS:-1}" -gt 0 ] || return 0
  wrk -t2 -c32 -d"${BENCH_WARMUP_SECONDS:-1}"s "$url" "$@" >/dev/null
}

# bench_wrk NAME URL [wrk args...]: prints one line: name, req/s, p99 and,
# when the process BENCH_CPU_PID (default SERVER_PID) is running, its CPU
# time per request. Sets BENCH_RPS, BENCH_P99_MS and BENCH_BAD (answers not
# 2xx or 3xx) for the caller.
bench_wrk() {
  local name=$1 url=$2; shift 2
  local pid=${BENCH_CPU_PID:-${SERVER_PID:-}} out cpu0= cpu1 cpu=
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && cpu0=$(bench_cpu_seconds "$pid")
  out=$(wrk -t2 -c32 -d"${BENCH_SECONDS:-20}"s --latency "$url" "$@")
  local rps p99 bad requests
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  if [ -n "$cpu0" ] && [ "${requests:-0}" -gt 0 ]; then
    cpu1=$(bench_cpu_seconds "$pid")
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$requests" 'BEGIN {printf "%.0f", (b - a) / n * 1e6}')
  fi
  BENCH_RPS=$rps BENCH_P99_MS=$(bench_ms "$p99") BENCH_BAD=${bad:-0}
  printf '%-38s %10s req/s   p99 %8s%s%s\n' "$name" "$rps" "$p99" \
    "${cpu:+   cpu $cpu us/req}" "${bad:+   ($bad answers not 2xx)}"
}

# pgb NAME SCRIPT: pgbench -M prepared -c32 -j2 for BENCH_SECONDS on SCRIPT;
# prints one line: name, tx/s, p99 from the per-transaction log. Needs $work.
# Sets BENCH_TPS and BENCH_P99_MS for the caller.
pgb() {
  local name=$1 script=$2
  rm -f "$work"/pgb.*
  pgbench -n -M prepared -c32 -j2 -T"${BENCH_SECONDS:-20}" -f "$script" -l --log-prefix="$work/pgb" \
    "$IPS_DATABASE_URL" > "$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; return 1; }
  local tps p99
  tps=$(awk '/^tps/ {print $3; exit}' "$work/pgbench.out")
  p99=$(cat "$work"/pgb.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.2fms", a[int(NR*0.99)]/1000}')
  BENCH_TPS=$(printf '%.2f' "$tps") BENCH_P99_MS=${p99%ms}
  printf '%-38s %10.2f tx/s    p99 %8s\n' "$name" "$tps" "$p99"
}

# bench_target LABEL WHAT VALUE OP LIMIT: one line of a targets block, e.g.
#   GET by id: API/pgbench-minimal 0.47 (target >= 0.5) FAIL
# OP is >= or <=; VALUE is compared as given and printed to 2 decimals; an
# empty VALUE (a peer that did not run) is SKIP.
bench_target() {
  local label=$1 what=$2 value=$3 op=$4 limit=$5
  if [ -z "$value" ]; then
    printf '%s: %s - (target %s %s) SKIP\n' "$label" "$what" "$op" "$limit"
    return 0
  fi
  awk -v l="$label" -v w="$what" -v v="$value" -v op="$op" -v t="$limit" 'BEGIN {
    ok = op == ">=" ? v + 0 >= t + 0 : v + 0 <= t + 0
    printf "%s: %s %.2f (target %s %s) %s\n", l, w, v, op, t, ok ? "PASS" : "FAIL" }'
}

# bench_div A B: A / B (unrounded: bench_target compares, then rounds), or
# nothing when either is missing.
bench_div() {
  [ -n "$1" ] && [ -n "$2" ] || return 0
  awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0) printf "%.6f", a / b}'
}
