# Shared by the tests of xpbackup-job (job-*.sh, e2e-*.sh): the job and the tools on PATH (under
# valgrind for make check-valgrind), a repository, a configuration. Source after tests/lib.sh.
# shellcheck shell=bash

for t in xpdump xpseal xpverify xpexpire xprestore xpbackup-job; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v flock >/dev/null || skip_all "flock is not installed"
odbcinst -q -d 2>/dev/null | grep -qx '\[SQLite3\]' || skip_all "the SQLite3 ODBC driver is not registered"

# shellcheck disable=SC2034 # used by the tests that source this file
JOB=$XP_BUILDDIR/src/xpbackup-job/xpbackup-job
# shellcheck disable=SC2034
MKDB=$XP_SRCDIR/examples/make-demo-db

# The job runs the tools found on PATH: wrappers that honour XP_VALGRIND like tests/lib.sh,
# with its suppressions and one more: the SQLite ODBC driver loses memory of its own when it
# looks a named DSN up in odbc.ini (docs-examples.sh connects that way).
mkdir -p "$T/bin"
cat >"$T/job.supp" <<'EOF'
{
   sqliteodbc-named-dsn-leak
   Memcheck:Leak
   match-leak-kinds: definite
   ...
   obj:*/libsqlite3odbc*.so
   ...
   fun:SQLDriverConnect
}
EOF
supp="--suppressions=$T/job.supp"
[ ! -f "$XP_SRCDIR/tests/valgrind.supp" ] || supp="$supp --suppressions=$XP_SRCDIR/tests/valgrind.supp"
for t in xpdump xpseal xpverify xpexpire xprestore xpcopy xperase; do
	cat >"$T/bin/$t" <<EOF
#!/bin/sh
if [ -n "\${XP_VALGRIND:-}" ]; then
	exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
		$supp "$XP_BUILDDIR/src/$t/$t" "\$@"
fi
exec "$XP_BUILDDIR/src/$t/$t" "\$@"
EOF
	chmod 755 "$T/bin/$t"
done
PATH=$T/bin:$PATH
export PATH
# The job itself under valgrind too, from a directory of its own: it takes the tools beside
# it before PATH, and the tests put stand-ins first on PATH.
if [ -n "${XP_VALGRIND:-}" ]; then
	mkdir -p "$T/jobbin"
	cat >"$T/jobbin/xpbackup-job" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	$supp "$JOB" "\$@"
EOF
	chmod 755 "$T/jobbin/xpbackup-job"
	JOB=$T/jobbin/xpbackup-job
fi

R=$T/repo
W=$T/work
mkdir -p "$W"
password "$T/pw" "job test password"
xpseal init -r "$R" --password-file "$T/pw" --signing-key "$T/signer.key" >/dev/null 2>&1 ||
	{ echo "Bail out! xpseal init failed"; exit 1; }

# conf FILE [KEY=value]...: a job configuration for the demo database $T/audit.db, mode 0600;
# later arguments override or add keys (KEY= with an empty value drops the key).
conf() {
	local f=$1 kv k
	shift
	declare -A v=(
		[REPO]=$R [DSN]="\"Driver=SQLite3;Database=$T/audit.db\"" [TABLES]=audit_log
		[TIME_COLUMN]=utc_time [SOURCE]=demo [SIGNING_KEY]=$T/signer.key
		[PASSWORD_FILE]=$T/pw [KEEP_LAST]=1 [MAX_AGE]=90d [WORK_DIR]=$W [SYSLOG]=no
		[LOCK]=$T/job.lock)
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	rm -f "$f"
	(
		umask 077
		echo "# xpbackup-job test configuration"
		for k in "${!v[@]}"; do [ -z "${v[$k]}" ] || printf '%s=%s\n' "$k" "${v[$k]}"; done
	) >"$f"
}

# ids: the backup ids in the catalog, sorted, one line, blank-separated.
ids() { awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog" 2>/dev/null | sort | paste -sd' '; }
# files: the number of files under REPO/data.
files() { find "$R/data" -type f 2>/dev/null | wc -l; }
