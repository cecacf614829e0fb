# Shared by deploy/run.sh and deploy/test.sh: packages, build, database.
# Sourced, not run. Expects to be in the repository root.

# Debian 12 packages needed to build and run the server.
BUILD_PACKAGES=(gcc pkg-config meson ninja-build python3
  libulfius-dev libmicrohttpd-dev libjansson-dev libpq-dev libjwt-gnutls-dev
  liborcania-dev libyder-dev libgnutls28-dev libargon2-dev zlib1g-dev
  postgresql-15 postgresql-client-15)
# ... and to test it (systemd-analyze and nginx -t check the files in deploy/;
# an API test runs the service behind PgBouncer; a backup is restored).
TEST_PACKAGES=(libcmocka-dev systemd nginx-light openssl pgbouncer pgbackrest)

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

# meson setup (once) and build. $1: build folder; the rest: meson options.
build() {
  local dir=$1; shift
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
