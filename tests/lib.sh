# Shared by the shell tests: TAP output, a temp dir removed on exit, the tools under test,
# and a throw-away PostgreSQL server on a loopback port. Source it, then call plan or done_testing.
# shellcheck shell=bash

set -u
: "${XP_BUILDDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${XP_SRCDIR:=$XP_BUILDDIR}"
export XP_BUILDDIR XP_SRCDIR
export LC_ALL=C
unset XP_REPO XP_PASSWORD_FILE

T=$(mktemp -d "${TMPDIR:-/tmp}/xptest.XXXXXX") || exit 1
chmod 755 "$T"
# Trust pins go under the temp dir: no test reads or writes the host's real state.
export XP_STATE_DIR="$T/state"
_tap_n=0
_tap_failed=0
_cleanups=()

_cleanup() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" || true; done
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# at_exit CMD: run CMD when the test exits, before the temp dir goes.
at_exit() { _cleanups+=("$1"); }

ok() { # ok STATUS DESCRIPTION  (STATUS 0 passes)
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		printf '# got:  %s\n# want: %s\n' "$1" "$2" | head -20
	fi
}
like() { # like GOT GLOB DESCRIPTION
	# shellcheck disable=SC2053
	if [[ $1 == $2 ]]; then ok 0 "$3"; else
		ok 1 "$3"
		printf '# got:  %s\n# want like: %s\n' "$1" "$2" | head -20
	fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }
skip_all() { echo "1..0 # SKIP $1"; trap - EXIT; rm -rf "$T"; exit 0; }
diag() { echo "# $*"; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; exit $?; }

# flip_byte FILE OFFSET: inverts the byte at OFFSET, so the file surely changes (writing a fixed
# byte into random data leaves it as it was once in 256 times).
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte's octal escape
	printf "\\$(printf %03o $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# wait_stopped PID: waits, a minute at most, for PID to stop (XP_FAULT_STOP); 1 if it did not.
wait_stopped() {
	local _
	for _ in $(seq 1 600); do
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = T ] && return 0
		sleep 0.1
	done
	return 1
}

# run CMD...: runs a command, keeping its status in $rc, stdout in $out, stderr in $err.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
	# a Windows program's messages end in CR LF (its standard error is text)
	[ -z "${XP_EXE_WRAP:-}" ] || err=$(tr -d '\r' <"$T/.err")
}

# The tools under test, run under valgrind when XP_VALGRIND is set (make check-valgrind), or
# as Windows programs through XP_EXE_WRAP (make check-wine: wine's path, the .exe built there).
_tool() {
	local t=$1
	shift
	if [ -n "${XP_EXE_WRAP:-}" ]; then
		"$XP_EXE_WRAP" "$XP_BUILDDIR/src/$t/$t.exe" "$@"
	elif [ -n "${XP_VALGRIND:-}" ]; then
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--suppressions="$XP_SRCDIR/tests/valgrind.supp" "$XP_BUILDDIR/src/$t/$t" "$@"
	else
		"$XP_BUILDDIR/src/$t/$t" "$@"
	fi
}
xpseal() { _tool xpseal "$@"; }
xpverify() { _tool xpverify "$@"; }
xpdump() { _tool xpdump "$@"; }
xprestore() { _tool xprestore "$@"; }
xpexpire() { _tool xpexpire "$@"; }
xpcopy() { _tool xpcopy "$@"; }
xperase() { _tool xperase "$@"; }

# password FILE TEXT: a password file, 0600, as the tools expect.
password() { (umask 077 && printf '%s\n' "$2" >"$1"); }

# sqlite_dsn FILE: a connection string for the SQLite 3 ODBC driver.
sqlite_dsn() { echo "Driver=SQLite3;Database=$1"; }

# need_sqlite: skips the whole test unless sqlite3 and the SQLite3 ODBC driver are installed.
need_sqlite() {
	command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
	odbcinst -q -d 2>/dev/null | grep -qx '\[SQLite3\]' || skip_all "the SQLite3 ODBC driver is not registered"
}

# demo_repo ROWS DAYS END: a new repository $R (password file $T/pw and signer $T/signer.key,
# exported as XP_PASSWORD_FILE and XP_SIGNING_KEY) and a demo audit log of ROWS rows over DAYS
# days up to END in $T/db, whose connection string is $D.
demo_repo() {
	password "$T/pw" 'correct horse battery'
	export XP_SIGNING_KEY=$T/signer.key XP_PASSWORD_FILE=$T/pw
	R=$T/repo
	xpseal init -r "$R" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
	"$XP_SRCDIR/examples/make-demo-db" -n "$1" -d "$2" -e "$3" "$T/db" >/dev/null ||
		{ echo "Bail out! make-demo-db failed"; exit 1; }
	D=$(sqlite_dsn "$T/db")
}

# sealed_repo N BYTES: a new repository $R (password file $T/pw, signer $T/signer.key exported
# as XP_SIGNING_KEY) holding N backups of source db, each of its own BYTES random bytes (the
# last left in $T/in); their ids, in sealing order, in the array ids.
sealed_repo() {
	local _
	R=$T/repo
	export XP_SIGNING_KEY=$T/signer.key
	password "$T/pw" 'correct horse battery'
	xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
	ids=()
	for _ in $(seq 1 "$1"); do
		head -c "$2" /dev/urandom >"$T/in"
		ids+=("$(xpseal -r "$R" --source db -i "$T/in")") || { echo "Bail out! xpseal failed"; exit 1; }
	done
}

# copy_repo BYTES: a new repository $R (password file $T/pw, signer $T/signer.key exported as
# XP_SIGNING_KEY) holding two backups of source db, both of the BYTES random bytes in $T/in,
# their ids in the array ids; C ($T/nas) is where its copy goes.
copy_repo() {
	local _
	R=$T/repo
	# shellcheck disable=SC2034 # for the test that calls it
	C=$T/nas
	export XP_SIGNING_KEY=$T/signer.key
	password "$T/pw" 'correct horse battery'
	xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
	head -c "$1" /dev/urandom >"$T/in"
	ids=()
	for _ in 1 2; do
		ids+=("$(xpseal -r "$R" --source db -i "$T/in")") || { echo "Bail out! xpseal failed"; exit 1; }
	done
}

# vault_repo BYTES: a new repository $R (password file $T/pw, signer $T/host/signer.key exported
# as XP_SIGNING_KEY) and BYTES random bytes in $T/data to seal; RID is its id, V the host's
# vault of its shred keys.
vault_repo() {
	export XP_SIGNING_KEY=$T/host/signer.key
	R=$T/repo
	password "$T/pw" 'correct horse battery'
	head -c "$1" /dev/urandom >"$T/data"
	run xpseal init -r "$R" --password-file "$T/pw"
	[ "$rc" -eq 0 ] || { echo "Bail out! xpseal init failed: $err"; exit 1; }
	RID=$(sed -n 2p "$R/keys/repo.id")
	# shellcheck disable=SC2034 # for the test that calls it
	V=$XP_STATE_DIR/vault/$RID
}

# seal_day DAY: prints the id of a shreddable backup of $T/data made on that day of November
# (retention keeps the newest).
seal_day() { XP_NOW=2026-11-0$1T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"; echo "$out"; }

# my_start: starts Debian's MariaDB server (mariadbd) in $T/my on a socket and a free loopback
# port, creates database xp, sets MY_SOCK, MY_PORT and MY_DSN (MariaDB Connector/ODBC
# connection string) and stops it when the test exits. Returns 1 when no server is installed;
# an installed server that does not start fails the test (Bail out!), never skips it.
# myq ARGS...: the mariadb client on that server, database xp, batch mode, no column names.
myq() { mariadb --no-defaults --default-character-set=utf8mb4 -S "$MY_SOCK" -u root -N -B xp "$@"; }
my_start() {
	local port
	command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || return 1
	# each server its own tmpdir: bootstraps that share /tmp can collide on temporary tables
	mkdir -p "$T/my/tmp"
	[ "$(id -u)" -eq 0 ] && chown -R mysql: "$T/my"
	mariadb-install-db --no-defaults --user="$(id -un | sed 's/^root$/mysql/')" --datadir="$T/my/data" \
		--tmpdir="$T/my/tmp" --auth-root-authentication-method=normal --skip-test-db >"$T/my/install.log" 2>&1 ||
		{ sed 's/^/# /' "$T/my/install.log"; echo "Bail out! mariadb-install-db failed"; exit 1; }
	MY_SOCK=$T/my/sock
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		PATH=$PATH:/usr/sbin mariadbd --no-defaults --user="$(id -un | sed 's/^root$/mysql/')" \
			--datadir="$T/my/data" --tmpdir="$T/my/tmp" --socket="$MY_SOCK" --port="$port" --bind-address=127.0.0.1 \
			--pid-file="$T/my/pid" --log-error="$T/my/server.log" --skip-log-bin \
			--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
			--character-set-server=utf8mb4 --collation-server=utf8mb4_bin >/dev/null 2>&1 &
		# a loaded machine can take a minute to start it; a port taken makes it exit at once
		for _ in $(seq 1 300); do
			[ -S "$MY_SOCK" ] && mariadb --no-defaults -S "$MY_SOCK" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
			kill -0 $! 2>/dev/null || break
			sleep 0.2
		done
		if [ -S "$MY_SOCK" ] && kill -0 $! 2>/dev/null; then
			at_exit "kill $! 2>/dev/null; for _ in \$(seq 1 50); do kill -0 $! 2>/dev/null || break; sleep 0.1; done"
			mariadb --no-defaults -S "$MY_SOCK" -u root -e 'CREATE DATABASE xp' || return 1
			MY_PORT=$port
			export MY_SOCK MY_PORT MY_DSN="Driver=MariaDB Unicode;Socket=$MY_SOCK;Database=xp;Uid=root"
			return 0
		fi
		# still starting after a minute: stop it rather than start a second one on its data
		kill $! 2>/dev/null && wait $! 2>/dev/null
	done
	sed 's/^/# /' "$T/my/server.log"
	echo "Bail out! the MariaDB server (mariadbd) did not start"
	exit 1
}

# pg_start: starts PostgreSQL 15 in $T/pg on a free loopback port, sets PGHOST PGPORT PGUSER
# PGDATABASE and PG_DSN (psqlODBC connection string), and stops it when the test exits.
# Returns 1 (caller should skip_all) when no server binaries are installed.
pg_bindir() {
	local d
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}
_pg_as() { # run a server command as the postgres user when we are root (initdb refuses root)
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_start() {
	local bin port
	bin=$(pg_bindir) || return 1
	mkdir -p "$T/pg"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
	_pg_as "$bin/initdb" -D "$T/pg/data" -U postgres -A trust -E UTF8 --no-locale >"$T/pg/initdb.log" 2>&1 ||
		{ sed 's/^/# /' "$T/pg/initdb.log"; echo "Bail out! initdb failed"; exit 1; }
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 20000))
		if _pg_as "$bin/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $T/pg -c fsync=off" start >/dev/null 2>&1; then
			at_exit "_pg_as '$bin/pg_ctl' -D '$T/pg/data' -m immediate stop >/dev/null 2>&1"
			export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
			export PG_DSN="Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=$port;Database=postgres;Uid=postgres;UseDeclareFetch=1;Fetch=10000"
			PG_BIN=$bin
			return 0
		fi
	done
	# the binaries are there: a server that does not start fails the test, never skips it
	sed 's/^/# /' "$T/pg/server.log"
	echo "Bail out! the PostgreSQL server did not start"
	exit 1
}

# asan_built PROGRAM: whether PROGRAM is linked with AddressSanitizer (configure
# --enable-sanitizers), whose allocator makes peak memory no measure of the program's own.
asan_built() { ldd "$1" 2>/dev/null | grep -q 'libasan'; }
