# Shared by deploy/run.sh and deploy/test.sh: packages, build, database.
# Sourced, not run. Expects to be in the repository root.

# Debian 12 packages needed to build and run the server (python3-yaml turns
# the contract into JSON at build time; Node.js, for the documentation
# page's bundle, comes through ensure_node).
BUILD_PACKAGES=(gcc pkg-config meson ninja-build python3 python3-yaml
  libulfius-dev libmicrohttpd-dev libjansson-dev libpq-dev libjwt-gnutls-dev
  liborcania-dev libyder-dev libgnutls28-dev libargon2-dev zlib1g-dev
  postgresql-15 postgresql-client-15)
# ... and to test it (systemd-analyze and nginx -t check the files in deploy/;
# an API test runs the service behind PgBouncer; a backup is restored; a
# headless chromium calls the API from another origin and renders the
# documentation page).
TEST_PACKAGES=(libcmocka-dev systemd nginx-light openssl pgbouncer pgbackrest chromium)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whichever of the given Debian packages are missing.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Node.js and npm for the API tests: Debian's own when none is installed.
ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return 0; fi
  ensure_packages nodejs npm
}

# npm ci in folder $1 when its node_modules is missing or older than its lock.
npm_ci_if_stale() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    log "installing $dir's packages (npm ci)"
    (cd "$dir" && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$dir/node_modules"
  fi
}

# meson setup (once) and build. $1: build folder; the rest: meson options.
# The binary embeds Redoc's bundle from api/docs/node_modules: installed first.
build() {
  local dir=$1; shift
  ensure_node
  npm_ci_if_stale api/docs
  if [ ! -f "$dir/build.ninja" ]; then
    log "configuring $dir"
    meson setup "$dir" "$@" >&2
  else
    # the same options again: a folder made by an older checkout learns new ones
    meson setup --reconfigure "$dir" "$@" >/dev/null
  fi
  log "building $dir"
  ninja -C "$dir" >&2
}
