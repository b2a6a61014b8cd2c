#!/bin/bash
# xpbackup-job as cron or Task Scheduler runs it, on every build, also the Windows one under
# wine (make check-wine runs this with XP_EXE_WRAP: xpbackup-job.exe, which finds xpdump.exe and
# the other tools on PATH, and reads the SQLite audit log through Wine's odbc32, which forwards
# to this host's unixODBC and its SQLite3 driver). A night's run dumps, seals, verifies and
# expires, status 0, and its backup opens to the exact rows; a bad DSN, a configuration others
# may write, a lock another run holds and too few rows each fail with the status of
# xpbackup-job(8). Under wine, SYSLOG=yes reaches ReportEventW (WINEDEBUG's eventlog channel)
# as information and error events, SYSLOG=no does not.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
odbcinst -q -d 2>/dev/null | grep -qx '\[SQLite3\]' || skip_all "the SQLite3 ODBC driver is not registered"

# The tools on PATH under the names the system runs (Windows: xpdump.exe), none beside the job.
mkdir -p "$T/bin" "$T/work"
if [ -n "${XP_EXE_WRAP:-}" ]; then
	for t in xpdump xpseal xpverify xpexpire; do
		ln -s "$XP_BUILDDIR/src/$t/$t.exe" "$T/bin/$t.exe"
	done
	# wine's PATH: its own, then WINEPATH's directories (Z: is the host's /)
	export WINEPATH="Z:$T/bin"
	job() { "$XP_EXE_WRAP" "$XP_BUILDDIR/src/xpbackup-job/xpbackup-job.exe" "$@"; }
else
	for t in xpdump xpseal xpverify xpexpire; do
		ln -s "$XP_BUILDDIR/src/$t/$t" "$T/bin/$t"
	done
	PATH=$T/bin:$PATH
	job() { "$XP_BUILDDIR/src/xpbackup-job/xpbackup-job" "$@"; }
fi

R=$T/repo
password "$T/pw" "job password"
xpseal init -r "$R" --password-file "$T/pw" --signing-key "$T/signer.key" >/dev/null 2>&1 ||
	{ echo "Bail out! xpseal init failed"; exit 1; }
"$XP_SRCDIR/examples/make-demo-db" -n 500 -d 30 -e 2026-11-20 "$T/audit.db" ||
	{ echo "Bail out! make-demo-db failed"; exit 1; }

# conf [KEY=value]...: the configuration $T/job.conf, mode 0600; a later KEY overrides.
conf() {
	local kv k
	declare -A v=(
		[REPO]=$R [DSN]="\"$(sqlite_dsn "$T/audit.db");Timeout=60000\"" [TABLES]=audit_log
		[TIME_COLUMN]=utc_time [SOURCE]=demo [SIGNING_KEY]=$T/signer.key
		[PASSWORD_FILE]=$T/pw [KEEP_LAST]=1 [MAX_AGE]=90d [WORK_DIR]=$T/work [SYSLOG]=no
		[LOCK]=$T/job.lock)
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	rm -f "$T/job.conf"
	(
		umask 077
		for k in "${!v[@]}"; do [ -z "${v[$k]}" ] || printf '%s=%s\n' "$k" "${v[$k]}"; done
	) >"$T/job.conf"
}
ids() { awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog" | sort | paste -sd' '; }
sealed() { printf '%s|%s' "$(ids)" "$(find "$R/data" -type f | sort | paste -sd' ')"; }

# --- a night's run -----------------------------------------------------------------------
# SYSLOG=yes where its log can be read: wine's debug channel (this host's syslog is left alone)
log=no
[ -z "${XP_EXE_WRAP:-}" ] || log=yes
conf SYSLOG=$log
run job --check -c "$T/job.conf"
is "$rc:$err" "0:xpbackup-job: $T/job.conf: ready (repository, keys, files, work directory, space, tools $(xpseal --version | sed 's/.* //'))" \
	"--check finds the tools on PATH, each of the job's version"
# Wine keeps no event log: its ReportEventW writes each string to the eventlog debug channel,
# error events as err:, warnings as warn:, the rest as trace:. events: those lines in $err.
events() { grep "^[0-9a-f]*:$1:eventlog:ReportEventW " <<<"$err"; }
XP_NOW=2026-11-21T03:15:00Z WINEDEBUG=-all,+eventlog run job -c "$T/job.conf"
is "$rc" 0 "a night's run exits 0"
is "$(printf '%s\n' "$err" | sed -n 's/^xpbackup-job: \([a-z]*\):.*/\1/p' | paste -sd' ')" \
	"dump seal verify expire check done" "it dumps, seals, verifies, expires and checks, one line each"
if [ -n "${XP_EXE_WRAP:-}" ]; then
	is "$(events trace | sed 's/^[0-9a-f]*:trace:eventlog:ReportEventW L"\([a-z]*\):.*/\1/' | paste -sd' ')" \
		"dump seal verify expire check done" "SYSLOG=yes: its step lines are information events (ReportEventW)"
else
	skip "the event log: only under wine (job-run.sh checks syslog here)"
fi
id=$(ids)
is "${#id}" 32 "one backup in the repository"
like "$err" "*xpbackup-job: seal: backup $id in $R*" "the log names it"
run xpseal open -r "$R" --password-file "$T/pw" "$id" -o "$T/night.tar"
is "$rc:$err" "0:" "it opens with the password"
run xprestore --dsn "$(sqlite_dsn "$T/back.db")" --create -i "$T/night.tar"
is "$rc:$err" "0:xprestore: 500 rows loaded into 1 table" "and loads into a new database"
is "$(canon_sqlite "$T/back.db" audit_log)" "$(canon_sqlite "$T/audit.db" audit_log)" \
	"every row exactly as in the source"
is "$(find "$T/work" -mindepth 1 | wc -l)" 0 "the work directory is left empty"
before=$(sealed)

# --- failures ------------------------------------------------------------------------------
conf DSN="\"$(sqlite_dsn "$T/no/such/dir/audit.db")\""
XP_NOW=2026-11-22T03:15:00Z WINEDEBUG=-all,+eventlog run job -c "$T/job.conf"
is "$rc" 1 "a bad DSN: status 1"
like "$err" "*xpbackup-job: dump failed (status 1): xpdump: *" "the dump step is named"
is "$(sealed)" "$before" "nothing sealed"
if [ -n "${XP_EXE_WRAP:-}" ]; then
	is "$(grep -c eventlog <<<"$err")" 0 "SYSLOG=no: no event in the event log"
else
	skip "the event log: only under wine"
fi

conf MIN_ROWS=1000 SYSLOG=$log
XP_NOW=2026-11-22T03:15:00Z WINEDEBUG=-all,+eventlog run job -c "$T/job.conf"
is "$rc" 1 "MIN_ROWS=1000 and 500 rows: status 1"
like "$err" "*xpdump: 500 rows dumped, fewer than --min-rows 1000*" "saying so"
is "$(ids | wc -w)" 2 "the backup is kept, and retention did not run (KEEP_LAST=1)"
if [ -n "${XP_EXE_WRAP:-}" ]; then
	like "$(events err)" "*:err:eventlog:ReportEventW L\"dump failed (status 1) after a complete dump stream; backup * is sealed, retention not run: xpdump: 500 rows dumped, fewer than --min-rows 1000: is this the right database? (the dump is complete)\"" \
		"SYSLOG=yes: the failure is an error event, its text without the tool's CR"
else
	skip "the event log: only under wine"
fi
before=$(sealed)

conf
chmod 602 "$T/job.conf"
XP_NOW=2026-11-22T03:15:00Z run job -c "$T/job.conf"
like "$rc:$err" "2:xpbackup-job: $T/job.conf: writable by group or others (mode 6?2)" \
	"a configuration others may write is refused: status 2"
is "$(sealed)" "$before" "nothing sealed"
chmod 600 "$T/job.conf"

# A run holds the lock while its dump waits for the database, which a writer keeps locked.
mkfifo "$T/sql"
sqlite3 "$T/audit.db" <"$T/sql" >/dev/null 2>&1 &
holder=$!
exec 3>"$T/sql"
echo "BEGIN EXCLUSIVE; INSERT INTO audit_log SELECT * FROM audit_log WHERE 0;" >&3
for _ in $(seq 100); do sqlite3 "$T/audit.db" 'SELECT 1' >/dev/null 2>&1 || break; sleep 0.1; done
XP_NOW=2026-11-23T03:15:00Z job -c "$T/job.conf" >"$T/first.out" 2>&1 &
first=$!
for _ in $(seq 600); do
	[ -z "$(find "$T/work" -mindepth 1 -maxdepth 1)" ] || break
	sleep 0.1
done
conf LOCK_WAIT=1
XP_NOW=2026-11-23T03:16:00Z run job -c "$T/job.conf"
is "$rc:$err" "1:xpbackup-job: $T/job.lock: another run holds the lock (waited 1s)" \
	"a second run while the first holds the lock: status 1, saying so"
echo "COMMIT;" >&3
exec 3>&-
wait "$holder"
wait "$first"
rc=$?
is "$rc" 0 "the first run goes on once the database is free, status 0"
is "$(ids | wc -w)" 1 "its backup replaced the first night's (KEEP_LAST=1), the second run sealed nothing"

done_testing
