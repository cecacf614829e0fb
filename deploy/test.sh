#!/usr/bin/env bash
# Builds ips-api with AddressSanitizer and UndefinedBehaviorSanitizer, starts a
# throwaway PostgreSQL cluster, runs every test (meson test) and ends with the
# line "N passed, N failed". Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_node
build build-test --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dtests=enabled

for dir in tests/api tests/browser tests/clients/typescript; do npm_ci_if_stale "$dir"; done

mkdir -p .data
workdir=$(mktemp -d "$PWD/.data/test-XXXXXX")
chmod 755 "$workdir"   # the cluster runs as an unprivileged user when we are root
cleanup() {
  deploy/pg-local.sh destroy "$workdir/pg" >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

log "starting a throwaway PostgreSQL cluster"
IPS_TEST_DATABASE_URL=$(PG_LOCAL_FAST=1 deploy/pg-local.sh start "$workdir/pg" ips_test)
export IPS_TEST_DATABASE_URL
IPS_DATABASE_URL=$IPS_TEST_DATABASE_URL IPS_LOG_LEVEL=warning build-test/ips-api migrate

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

status=0
meson test -C build-test --print-errorlogs --num-processes 2 >&2 || status=1
python3 tests/summarize.py build-test/meson-logs/testlog.json || status=1
exit $status
