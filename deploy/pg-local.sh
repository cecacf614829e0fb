#!/usr/bin/env bash
# deploy/pg-local.sh - a private, local PostgreSQL 15 cluster kept in a folder
# the caller names (dev runs, tests). It never touches the system cluster.
#
#   deploy/pg-local.sh start  DIR [DBNAME]  initdb DIR on first use, start it
#                                           (or reuse it if it is running), make
#                                           sure role "ips" and DBNAME (default
#                                           "ips") exist, and print ONE line on
#                                           stdout: postgresql://ips@127.0.0.1:PORT/DBNAME
#   deploy/pg-local.sh stop   DIR           fast shutdown; ok if not running
#   deploy/pg-local.sh status DIR           exit 0 if running, 3 if not
#   deploy/pg-local.sh destroy DIR          stop it and remove its data (throwaway clusters)
#
# Everything except the URI goes to stderr, so  URI=$(deploy/pg-local.sh start .data/pg)
# works. The server listens on 127.0.0.1 only (first free port from 54320 up,
# the same port again on later starts while it is free); its unix socket lives
# in DIR. Authentication is "trust" on the socket and 127.0.0.1 only: this is a
# dev/test cluster, not something to expose.
#
# Environment:
#   PG_LOCAL_FAST=1        start with fsync/synchronous_commit/full_page_writes
#                          off (throwaway test clusters only; applies when this
#                          call starts the server, not when it reuses one)
#   PG_LOCAL_BINDIR=DIR    PostgreSQL binaries (default: /usr/lib/postgresql/15/bin,
#                          then `pg_config --bindir`, then PATH)
#   PG_LOCAL_RUN_USER=U    OS user that runs the server when invoked as root
#                          (default: postgres)
#   PG_LOCAL_PORT_BASE=N   first port to try (default: 54320)
#
# As root, the server runs as PG_LOCAL_RUN_USER (PostgreSQL refuses to run as
# root) and DIR is chowned to it. If that user cannot reach DIR (e.g. the
# checkout lives under /root, mode 0700), the cluster is kept in
# /tmp/ips-api-pg-<hash of DIR> instead; DIR then only holds the file
# .pg-local-fallback naming that folder, so later calls find it again.
#
# Does not install anything: postgresql-15 must already be installed.
set -euo pipefail

readonly ROLE=ips
readonly DEFAULT_DB=ips
readonly PORT_BASE=${PG_LOCAL_PORT_BASE:-54320}
readonly PORT_SPAN=500
readonly MARKER=.pg-local-fallback
readonly CONF=pg-local.conf
readonly LOGNAME_=server.log
readonly WAIT_SECS=60

# stdout is reserved for the URI: keep the real stdout on fd 3.
exec 3>&1 1>&2

log() { printf 'pg-local: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

usage() {
	cat >&2 <<'EOF'
usage: pg-local.sh start  DIR [DBNAME]   start (creating on first use); prints the libpq URI
       pg-local.sh stop   DIR            fast shutdown (no error if not running)
       pg-local.sh status DIR            exit 0 if running, 3 if not
EOF
	exit 2
}

# Clear libpq/server variables that could redirect our psql/pg_ctl calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE \
	PGOPTIONS PGDATA PGPASSWORD PGPASSFILE PGTARGETSESSIONATTRS PGSSLMODE \
	PGREQUIRESSL PGCONNECT_TIMEOUT || true

# ---------------------------------------------------------------- binaries --

has_server_bins() { [[ -n $1 && -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

find_bindir() {
	local d
	for d in "${PG_LOCAL_BINDIR:-}" /usr/lib/postgresql/15/bin; do
		if has_server_bins "$d"; then
			realpath -- "$d"
			return 0
		fi
	done
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if has_server_bins "$d"; then
			realpath -- "$d"
			return 0
		fi
	fi
	if d=$(command -v pg_ctl 2>/dev/null); then
		d=$(dirname -- "$(readlink -f -- "$d")")
		if has_server_bins "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	return 1
}

tool() { # tool NAME -> path, preferring BINDIR
	if [[ -x $BINDIR/$1 ]]; then
		printf '%s\n' "$BINDIR/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		die "'$1' not found (looked in $BINDIR and PATH)"
	fi
}

# ------------------------------------------------------------ run-as-user --

RUN_USER= # empty: run as the invoking user

# Run a command as RUN_USER. fd 3 (our stdout) and fd 9 (the lock) are closed
# so a postmaster started through here does not keep them open (a held stdout
# would make $(pg-local.sh start ...) hang forever).
as_user() {
	if [[ -z $RUN_USER ]]; then
		"$@" 3>&- 9<&-
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u "$RUN_USER" -- "$@" 3>&- 9<&-
	elif command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid="$RUN_USER" --regid="$(id -g -- "$RUN_USER")" --init-groups -- "$@" 3>&- 9<&-
	else
		die "need runuser or setpriv to drop root privileges"
	fi
}

owner_of() { stat -c %U -- "$1"; }

# ------------------------------------------------------------------ paths --

# Sets LOGICAL (absolute DIR as given), DATA (real cluster folder), FALLBACK
# (1 if DATA is the /tmp fallback), RUN_USER. With create=1 it also creates
# folders and the fallback marker; with create=0 it only looks.
resolve_dirs() {
	local create=$1 parent owner hash
	LOGICAL=$(realpath -m -- "$DIR_ARG")
	[[ $LOGICAL != / ]] || die "refusing to use / as the cluster folder"
	parent=$(dirname -- "$LOGICAL")
	hash=$(printf '%s' "$LOGICAL" | sha256sum | cut -c1-12)
	HASH=$hash
	DATA=$LOGICAL
	FALLBACK=0

	if ((EUID == 0)); then
		RUN_USER=${PG_LOCAL_RUN_USER:-postgres}
		id -u -- "$RUN_USER" >/dev/null 2>&1 ||
			die "user '$RUN_USER' does not exist (install postgresql-15 first, or set PG_LOCAL_RUN_USER)"
		[[ $(id -u -- "$RUN_USER") != 0 ]] || die "PG_LOCAL_RUN_USER must not be root"
	fi

	if [[ -f $LOGICAL/$MARKER ]]; then
		DATA=$(head -n 1 -- "$LOGICAL/$MARKER")
		[[ $DATA == /tmp/ips-api-pg-* ]] || die "$LOGICAL/$MARKER does not name a /tmp/ips-api-pg-* folder"
		FALLBACK=1
		if [[ -d $DATA && $EUID == 0 ]]; then
			owner=$(owner_of "$DATA")
			[[ $owner == root ]] || RUN_USER=$owner
		fi
		log "note: $LOGICAL is redirected to $DATA (see $LOGICAL/$MARKER)"
		return 0
	fi

	[[ -n $RUN_USER ]] || return 0 # not root: run as ourselves, in DIR

	# An existing cluster owned by a regular user: run it as that user.
	if [[ -f $LOGICAL/PG_VERSION ]]; then
		owner=$(owner_of "$LOGICAL")
		if [[ $owner != root && $owner != "$RUN_USER" ]]; then
			log "note: $LOGICAL belongs to '$owner'; running the server as '$owner'"
			RUN_USER=$owner
		fi
	fi

	if ((create)); then
		(umask 022 && mkdir -p -- "$parent")
	fi
	if as_user test -x "$parent" 2>/dev/null; then
		return 0
	fi

	# RUN_USER cannot traverse to DIR: use a folder under /tmp instead.
	if [[ -f $LOGICAL/PG_VERSION ]]; then
		die "a cluster exists in $LOGICAL but user '$RUN_USER' cannot reach it; make $parent and its parents traversable (o+x)"
	fi
	DATA=/tmp/ips-api-pg-$hash
	FALLBACK=1
	if ((create)); then
		if [[ -e $LOGICAL && -n $(ls -A -- "$LOGICAL") ]]; then
			die "user '$RUN_USER' cannot reach $LOGICAL and it is not empty; cannot set up the /tmp fallback there"
		fi
		mkdir -p -- "$LOGICAL"
		printf '%s\n' "$DATA" >"$LOGICAL/$MARKER"
		log "user '$RUN_USER' cannot reach $LOGICAL (a parent directory is not traversable);"
		log "  keeping the cluster in $DATA instead (recorded in $LOGICAL/$MARKER; /tmp may be wiped on reboot)"
	fi
}

# Make sure a private folder exists, owned by RUN_USER (or us), mode 0700.
ensure_private_dir() {
	local d=$1 want owner mode
	want=${RUN_USER:-$(id -un)}
	[[ ! -L $d ]] || die "$d is a symlink; refusing to use it"
	if mkdir -m 0700 -- "$d" 2>/dev/null && [[ -n $RUN_USER ]]; then
		chown -- "$RUN_USER:" "$d"
	fi
	[[ -d $d ]] || die "cannot create $d"
	owner=$(owner_of "$d")
	mode=$(stat -c %a -- "$d")
	[[ $owner == "$want" ]] || die "$d is owned by '$owner', expected '$want'; remove it or fix its owner"
	[[ $mode == 700 ]] || chmod 0700 -- "$d"
}

prepare_data_dir() {
	if ((FALLBACK)); then
		ensure_private_dir "$DATA"
	else
		(umask 022 && mkdir -p -- "$(dirname -- "$DATA")")
		[[ -d $DATA ]] || mkdir -m 0700 -- "$DATA"
		if [[ -n $RUN_USER ]]; then
			local owner
			owner=$(owner_of "$DATA")
			if [[ $owner != "$RUN_USER" ]]; then
				if [[ -n $(ls -A -- "$DATA") ]]; then
					chown -R -- "$RUN_USER:" "$DATA"
				else
					chown -- "$RUN_USER:" "$DATA"
				fi
			fi
		fi
		[[ $(stat -c %a -- "$DATA") == 700 ]] || chmod 0700 -- "$DATA" ||
			die "cannot chmod 0700 $DATA"
	fi
	DATA=$(realpath -- "$DATA")

	# Unix socket in the cluster folder unless the path would be too long for
	# sockaddr_un (107 bytes incl. "/.s.PGSQL.NNNNN").
	if ((${#DATA} <= 90)); then
		SOCK=$DATA
	else
		SOCK=/tmp/ips-api-pg-$HASH.s
		ensure_private_dir "$SOCK"
		log "note: $DATA is too long for a unix socket path; socket directory is $SOCK"
	fi
}

# ----------------------------------------------------------------- server --

# Is a postmaster for DATA running? Sets PID, PORT, SOCKHOST, PSTATUS.
# A postmaster.pid whose PID is dead, or now belongs to some other process
# (PID reuse after a crash/reboot), counts as "not running".
server_running() {
	local pidfile=$DATA/postmaster.pid cwd
	local -a l
	PID='' PORT='' SOCKHOST='' PSTATUS=''
	[[ -f $pidfile && -r $pidfile ]] || return 1
	mapfile -t l <"$pidfile"
	[[ ${l[0]:-} =~ ^[0-9]+$ ]] || return 1
	as_user "$PG_CTL" status -D "$DATA" >/dev/null 2>&1 || return 1
	[[ $(cat "/proc/${l[0]}/comm" 2>/dev/null) == postgres ]] || return 1
	if cwd=$(readlink "/proc/${l[0]}/cwd" 2>/dev/null); then
		[[ $cwd == "$(realpath -- "$DATA")" ]] || return 1
	fi
	PID=${l[0]}
	PORT=${l[3]:-}
	SOCKHOST=${l[4]:-}
	[[ -n $SOCKHOST ]] || SOCKHOST=127.0.0.1
	PSTATUS=$(printf '%s' "${l[7]:-}" | tr -d ' ')
	return 0
}

# After server_running said no: drop leftovers a crash may have left behind.
clean_stale() {
	if [[ -f $DATA/postmaster.pid ]]; then
		log "removing stale $DATA/postmaster.pid (no postmaster for this folder is running)"
		rm -f -- "$DATA/postmaster.pid"
	fi
	if [[ -n ${SOCK:-} && -d $SOCK ]]; then
		rm -f -- "$SOCK"/.s.PGSQL.*
	fi
}

# Wait until a running server accepts connections. 0 ready, 1 not running.
wait_ready() {
	local i
	for ((i = 0; i < WAIT_SECS * 2; i++)); do
		server_running || return 1
		if [[ -n $PORT && ($PSTATUS == ready || $PSTATUS == standby) ]] &&
			as_user "$PG_ISREADY" -q -h "$SOCKHOST" -p "$PORT" -t 2 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	die "the server for $DATA (pid $PID) is running but does not accept connections after ${WAIT_SECS}s"
}

port_free() {
	local p=$1
	if command -v ss >/dev/null 2>&1; then
		[[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] || return 1
	fi
	# Something answers on 127.0.0.1:p -> taken.
	if command -v timeout >/dev/null 2>&1; then
		# shellcheck disable=SC2016 # $1 expands in the inner bash
		if timeout 2 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1"' _ "$p" 2>/dev/null; then
			return 1
		fi
	elif (exec 5<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		return 1
	fi
	return 0
}

remembered_port() {
	local f=$DATA/$CONF
	[[ -r $f ]] || return 0
	sed -n 's/^port = \([0-9][0-9]*\).*/\1/p' "$f" | head -n 1
}

pick_port() { # pick_port [EXCLUDED...]
	local p x skip
	for ((p = PORT_BASE; p < PORT_BASE + PORT_SPAN && p <= 65535; p++)); do
		skip=0
		for x in "$@"; do [[ $x != "$p" ]] || skip=1; done
		((skip)) && continue
		if port_free "$p"; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	die "no free TCP port on 127.0.0.1 in $PORT_BASE..$((PORT_BASE + PORT_SPAN - 1))"
}

locale_c_utf8_available() {
	command -v locale >/dev/null 2>&1 || return 0 # cannot tell: try it
	local list
	list=$(locale -a 2>/dev/null || true)
	grep -qiE '^c\.utf-?8$' <<<"$list"
}

init_cluster() {
	local loc=C.UTF-8 have want
	want=$("$PG_CTL" --version | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p')
	if [[ -f $DATA/PG_VERSION ]]; then
		have=$(<"$DATA/PG_VERSION")
		[[ -z $want || $have == "$want" ]] ||
			die "$DATA holds a PostgreSQL $have cluster but the binaries in $BINDIR are version $want"
		return 0
	fi
	[[ -z $(ls -A -- "$DATA") ]] || die "$DATA is not empty and is not a PostgreSQL data directory"
	[[ $want == 15 ]] || log "warning: binaries in $BINDIR are PostgreSQL ${want:-?}, not 15"

	locale_c_utf8_available || {
		log "locale C.UTF-8 not available; using --locale=C"
		loc=C
	}
	local -a args=(-D "$DATA" --auth=trust -E UTF8 --no-sync)
	if "$BINDIR/initdb" --help 2>/dev/null | grep -q -- --no-instructions; then
		args+=(--no-instructions)
	fi
	log "initializing a new cluster in $DATA (owner: ${RUN_USER:-$(id -un)})"
	if ! as_user "$BINDIR/initdb" "${args[@]}" --locale="$loc" >&2; then
		[[ $loc != C ]] || die "initdb failed"
		log "initdb with --locale=$loc failed; retrying with --locale=C"
		as_user "$BINDIR/initdb" "${args[@]}" --locale=C >&2 || die "initdb failed"
	fi

	# trust on the unix socket and 127.0.0.1 only (initdb also adds ::1)
	as_user tee -- "$DATA/pg_hba.conf" >/dev/null <<'EOF'
# Written by deploy/pg-local.sh: local dev/test cluster.
# trust on the unix socket (in the cluster folder) and 127.0.0.1 only.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
EOF
}

write_conf() { # write_conf PORT
	local sock_q=${SOCK//\'/\'\'}
	if ! grep -qF "include_if_exists = '$CONF'" "$DATA/postgresql.conf"; then
		printf "\n# settings written by deploy/pg-local.sh\ninclude_if_exists = '%s'\n" "$CONF" |
			as_user tee -a -- "$DATA/postgresql.conf" >/dev/null
	fi
	as_user tee -- "$DATA/$CONF" >/dev/null <<EOF
# Managed by deploy/pg-local.sh; rewritten on every start.
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$sock_q'
EOF
}

start_server() {
	local port logf size attempt
	local -a tried=() opts=()
	logf=$DATA/$LOGNAME_
	if [[ ${PG_LOCAL_FAST:-0} == 1 ]]; then
		opts=(-o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
		log "PG_LOCAL_FAST=1: fsync, synchronous_commit and full_page_writes are off (throwaway cluster)"
	fi
	port=$(remembered_port)
	for attempt in 1 2 3 4 5; do
		if [[ -z $port ]] || ! port_free "$port"; then
			port=$(pick_port "${tried[@]}")
		fi
		write_conf "$port"
		size=0
		[[ -f $logf ]] && size=$(stat -c %s -- "$logf")
		log "starting server for $DATA on 127.0.0.1:$port (log: $logf)"
		if as_user "$PG_CTL" -D "$DATA" -l "$logf" -w -t "$WAIT_SECS" "${opts[@]}" start >&2; then
			return 0
		fi
		if tail -c +"$((size + 1))" -- "$logf" 2>/dev/null | grep -q 'already in use'; then
			log "port $port was taken meanwhile (attempt $attempt); trying another"
			tried+=("$port")
			port=
			continue
		fi
		log "server failed to start; last lines of $logf:"
		tail -n 20 -- "$logf" >&2 2>/dev/null || true
		exit 1
	done
	die "could not find a usable port after 5 attempts"
}

psql_admin() { # psql_admin SQL
	as_user "$PSQL" -X -v ON_ERROR_STOP=1 -h "$SOCKHOST" -p "$PORT" -U "$SUPERUSER" -d postgres -Atqc "$1"
}

ensure_role_and_db() {
	local db=$1 exists
	# The bootstrap superuser is named after the OS user that ran initdb.
	SUPERUSER=${RUN_USER:-$(id -un)}
	if ! psql_admin 'select 1' >/dev/null 2>&1; then
		SUPERUSER=$ROLE # e.g. a cluster initialised some other way
	fi
	psql_admin "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN SUPERUSER;
  END IF;
END \$\$;" >/dev/null
	exists=$(psql_admin "SELECT 1 FROM pg_catalog.pg_database WHERE datname = '$db'")
	if [[ $exists != 1 ]]; then
		log "creating database \"$db\" owned by $ROLE"
		psql_admin "CREATE DATABASE \"$db\" OWNER $ROLE" >/dev/null
	fi
}

# Fast shutdown of the cluster in DATA; nothing to do when it is not running.
stop_cluster() {
	if [[ ! -f $DATA/PG_VERSION ]]; then
		log "no cluster in $DATA; nothing to stop"
		return 0
	fi
	if [[ -d $LOGICAL ]] && command -v flock >/dev/null 2>&1; then
		exec 9<"$LOGICAL"
		flock -w 120 9 || die "timed out waiting for another pg-local.sh call on $LOGICAL"
	fi
	if server_running; then
		as_user "$PG_CTL" -D "$DATA" -m fast -w -t "$WAIT_SECS" stop >&2
	else
		log "server for $DATA is not running"
		[[ ! -f $DATA/postmaster.pid ]] || clean_stale
	fi
}

# ------------------------------------------------------------------- main --

[[ $# -ge 2 ]] || usage
CMD=$1
DIR_ARG=$2
[[ -n $DIR_ARG ]] || usage
case $CMD in
start) [[ $# -le 3 ]] || usage ;;
stop | status | destroy) [[ $# -eq 2 ]] || usage ;;
*) usage ;;
esac
DBNAME=${3:-$DEFAULT_DB}
[[ $DBNAME =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$ ]] ||
	die "invalid database name '$DBNAME' (letters, digits, _ and -; at most 63)"

BINDIR=$(find_bindir) ||
	die "PostgreSQL server binaries not found (tried PG_LOCAL_BINDIR, /usr/lib/postgresql/15/bin, pg_config --bindir, PATH); install postgresql-15"
PG_CTL=$BINDIR/pg_ctl
PSQL=$(tool psql)
PG_ISREADY=$(tool pg_isready)

case $CMD in
start)
	resolve_dirs 1
	cd /
	if ((!FALLBACK)); then
		(umask 022 && mkdir -p -- "$(dirname -- "$LOGICAL")")
		mkdir -m 0700 -- "$LOGICAL" 2>/dev/null || [[ -d $LOGICAL ]] || die "cannot create $LOGICAL"
	fi
	# Serialise concurrent start/stop calls for the same DIR.
	if command -v flock >/dev/null 2>&1; then
		exec 9<"$LOGICAL"
		flock -w 120 9 || die "timed out waiting for another pg-local.sh call on $LOGICAL"
	fi
	prepare_data_dir
	init_cluster
	if server_running && wait_ready; then
		log "reusing running server for $DATA (pid $PID, port $PORT)"
		[[ ${PG_LOCAL_FAST:-0} != 1 ]] || log "note: PG_LOCAL_FAST ignored, the server was already running"
	else
		clean_stale
		start_server
		wait_ready || die "server for $DATA exited right after starting; see $DATA/$LOGNAME_"
	fi
	ensure_role_and_db "$DBNAME"
	URI="postgresql://$ROLE@127.0.0.1:$PORT/$DBNAME"
	as_user "$PSQL" -X -Atqc 'select 1' "$URI" >/dev/null ||
		die "server is up but $URI does not accept connections over TCP"
	printf '%s\n' "$URI" >&3
	;;
stop)
	resolve_dirs 0
	cd /
	stop_cluster
	;;
destroy)
	resolve_dirs 0
	cd /
	stop_cluster
	# the data (also when it lives in the /tmp fallback), a long path's
	# socket folder, and DIR itself
	if ((FALLBACK)) && [[ $DATA == /tmp/ips-api-pg-* ]]; then rm -rf -- "$DATA"; fi
	rm -rf -- "/tmp/ips-api-pg-$HASH.s" "$LOGICAL"
	;;
status)
	resolve_dirs 0
	cd /
	if [[ -f $DATA/PG_VERSION ]] && server_running; then
		log "running: pid $PID, postgresql://$ROLE@127.0.0.1:$PORT/ (data: $DATA)"
		exit 0
	fi
	log "not running (data: $DATA)"
	exit 3
	;;
esac
