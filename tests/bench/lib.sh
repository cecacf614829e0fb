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

bench_stop() {
  [ -n "${SERVER_PID:-}" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  deploy/pg-local.sh stop .data/bench-pg >/dev/null 2>&1 || true
}

# Peak resident memory of the server so far, in MiB.
bench_peak_rss() {
  awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"
}

# bench_wrk NAME URL [wrk args...]: prints one line: name, req/s, p99.
bench_wrk() {
  local name=$1 url=$2; shift 2
  local out
  out=$(wrk -t2 -c32 -d"${BENCH_SECONDS:-20}"s --latency "$url" "$@")
  local rps p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%-34s %10s req/s   p99 %8s%s\n' "$name" "$rps" "$p99" "${bad:+   ($bad answers not 2xx)}"
}

# pgb NAME SCRIPT: pgbench -M prepared -c32 -j2 for BENCH_SECONDS on SCRIPT;
# prints one line: name, tx/s, p99 from the per-transaction log. Needs $work.
pgb() {
  local name=$1 script=$2
  rm -f "$work"/pgb.*
  pgbench -n -M prepared -c32 -j2 -T"${BENCH_SECONDS:-20}" -f "$script" -l --log-prefix="$work/pgb" \
    "$IPS_DATABASE_URL" > "$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; return 1; }
  local tps p99
  tps=$(awk '/^tps/ {print $3; exit}' "$work/pgbench.out")
  p99=$(cat "$work"/pgb.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.2fms", a[int(NR*0.99)]/1000}')
  printf '%-34s %10s tx/s    p99 %8s\n' "$name" "$tps" "$p99"
}
