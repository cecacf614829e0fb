#!/usr/bin/env bash
# Slowloris: SLOW_SOCKETS (4200) connections that send a request head one
# byte every 5 s, from SLOW_ADDRESSES (66) loopback addresses (127.0.0.2 and
# up, reopened when closed), for SLOW_SECONDS (30); meanwhile a normal client
# on 127.0.0.1 asks GET /healthz and GET /v1/gminas/{teryt} every 100 ms.
# Prints the normal client's latency and failures and how many slow sockets
# the server kept open at most.
#   tests/bench/slowloris.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
trap bench_stop EXIT

bench_setup
ulimit -n 20000
export IPS_JWT_SECRET=${IPS_JWT_SECRET:-bench-secret-of-at-least-32-bytes-long}
bench_start_server
echo "ips-api $(build/ips-api version), $(nproc) cores; IPS_MAX_CONNECTIONS_PER_CLIENT=${IPS_MAX_CONNECTIONS_PER_CLIENT:-64}," \
  "IPS_HTTP_HEAD_TIMEOUT_S=${IPS_HTTP_HEAD_TIMEOUT_S:-10}"
BASE=$BASE python3 - <<'PY'
import os, socket, threading, time, urllib.request
from urllib.parse import urlparse
base = os.environ['BASE']; u = urlparse(base)
n = int(os.environ.get('SLOW_SOCKETS', 4200)); naddr = int(os.environ.get('SLOW_ADDRESSES', 66))
seconds = int(os.environ.get('SLOW_SECONDS', 30))
stop = time.time() + seconds
held = {}; peak = [0]

def opened(i):
    s = socket.socket(); s.setblocking(True); s.settimeout(2)
    s.bind((f'127.0.0.{2 + i % naddr}', 0))
    s.connect((u.hostname, u.port)); s.setblocking(False)
    s.send(b'GET /healthz HTTP/1.1\r\nHost: x\r\n')
    return s

def attacker():
    while time.time() < stop:
        for i in range(n):
            s = held.get(i)
            try:
                if s is None: held[i] = opened(i)
                else: s.send(b'X')
            except OSError:
                if s: s.close()
                held.pop(i, None)
        alive = 0
        for i, s in list(held.items()):
            try:
                if s.recv(1) == b'': raise OSError()
                alive += 1
            except BlockingIOError: alive += 1
            except OSError: s.close(); held.pop(i, None)
        peak[0] = max(peak[0], alive)
        time.sleep(5)

t = threading.Thread(target=attacker, daemon=True); t.start()
time.sleep(2)
lat = {'/healthz': [], '/v1/gminas/1604013': []}; fails = {k: 0 for k in lat}
while time.time() < stop:
    for path in lat:
        t0 = time.time()
        try:
            with urllib.request.urlopen(base + path, timeout=5) as r: r.read()
            lat[path].append((time.time() - t0) * 1000)
        except Exception:
            fails[path] += 1
    time.sleep(0.1)
for path, xs in lat.items():
    xs.sort()
    q = lambda p: xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float('nan')
    print(f'normal client GET {path}: {len(xs)} answered, {fails[path]} failed; p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {xs[-1] if xs else float("nan"):.1f} ms')
print(f'slow sockets open at most: {peak[0]} of {n}')
PY
echo "server peak RSS: $(bench_peak_rss) MiB"
