#!/bin/bash
# xpbackup-job on a demo SQLite database: a run seals exactly one backup, verifies it
# and applies retention; each step is logged; a failing dump leaves nothing in the repository.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 500 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
conf "$T/job.conf"

# --- the first run ----------------------------------------------------------------------------
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "the job exits 0"
id1=$(ids)
like "$id1" "[0-9a-f]*" "the catalog names one backup"
is "${#id1}" 32 "exactly one backup, a 32-digit id"
is "$(printf '%s\n' "$err" | sed -n 's/^xpbackup-job: \([a-z]*\):.*/\1/p' | paste -sd' ')" \
	"dump seal verify expire check done" "one log line per step, in order"
like "$err" "*xpbackup-job: check: 1 backup(s) with good signatures; catalog and journal: no findings*" \
	"the whole repository is checked after the expiry"
like "$err" "*xpbackup-job: seal: backup $id1 in $R*" "the log names the new backup"
is "$(grep -v '^#' "$R/journal" | cut -f1-4)" "2026-11-21T03:15:00Z	$id1	sealed	-
2026-11-21T03:15:00Z	$id1	verified	deep check passed: 1 table, 500 rows" \
	"the journal records the sealing and the deep check at XP_NOW"
is "$(awk -F'\t' '!/^#/ { print $4, $5, $6 }' "$R/catalog")" \
	"2026-10-22T00:00:00Z 2026-11-20T23:59:59Z demo" "the catalog holds the data window and the source"
like "$err" "*keep $id1 created 2026-11-21T03:15:00Z until 2027-01-20T00:00:00Z: keep-last #1*" \
	"xpexpire ran with the configured policy"
is "$(files)" 2 "one backup and its signature under REPO/data"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the work directory is left empty"

# --- the next day: keep-last 1 deletes the first; syslog gets the same lines --------------
# What goes to syslog(3) is read through a stand-in preloaded into the job, which writes each
# message as the logger(1) line that would send it (tests/cli/syslog-shim.c).
shim=''
if "${CC:-cc}" -shared -fPIC -o "$T/syslog.so" "$XP_SRCDIR/tests/cli/syslog-shim.c" 2>/dev/null; then
	shim=$T/syslog.so
fi
conf "$T/job.conf" SYSLOG=yes
XP_NOW=2026-11-22T03:15:00Z LD_PRELOAD=$shim XP_TEST_SYSLOG=$T/syslog ASAN_OPTIONS=verify_asan_link_order=0 \
	run "$JOB" -c "$T/job.conf"
is "$rc" 0 "the second run exits 0"
id2=$(ids)
is "${#id2}" 32 "keep-last 1: one backup left"
[ "$id2" != "$id1" ]
ok $? "and it is the new one"
is "$(grep -v '^#' "$R/journal" | cut -f2-5 | sed "s/$id1/ID1/; s/$id2/ID2/")" \
	"ID1	sealed	-	-
ID1	verified	deep check passed: 1 table, 500 rows	-
ID2	sealed	-	-
ID2	verified	deep check passed: 1 table, 500 rows	-
ID1	deleting	no rule keeps it	keep-last 1 max-age 90d now 2026-11-22T03:15:00Z
ID1	deleted	no rule keeps it	-" "the journal: sealed and verified twice, the deletion with rule and policy"
is "$(files)" 2 "the first backup's file and signature are gone"
if [ -n "$shim" ]; then
	is "$(cut -d' ' -f1-4 "$T/syslog" | sed 's/ -- .*//' | sort | uniq -c | sed 's/^ *//')" \
		"6 -t xpbackup -p daemon.info" "six lines to syslog, tag xpbackup"
	like "$(cat "$T/syslog")" "*-- expire: 1 of 2 backups deleted*" "syslog has the expire summary"
else
	skip "no C compiler for the syslog stand-in"
	skip "no C compiler for the syslog stand-in"
fi
conf "$T/job.conf"

# --- a failing dump leaves nothing ------------------------------------------------------
before=$(cat "$R/catalog" "$R/journal")
conf "$T/bad.conf" TABLES="audit_log nosuch"
run "$JOB" -c "$T/bad.conf"
is "$rc" 1 "a missing table: the job exits 1"
like "$err" "*xpbackup-job: dump failed (status 1): xpdump: table nosuch: *no such table*; nothing sealed" \
	"the log says which step failed and why"
is "$(cat "$R/catalog" "$R/journal")" "$before" "no new catalog entry, no journal record"
is "$(files)" 2 "no new file under REPO/data"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the work directory is removed"

conf "$T/bad.conf" DSN="Driver=SQLite3;Database=$T/no/such/dir/audit.db"
run "$JOB" -c "$T/bad.conf"
is "$rc" 1 "a bad DSN: the job exits 1"
like "$err" "*dump failed (status 1): xpdump: *" "the dump step is named"
is "$(cat "$R/catalog" "$R/journal"):$(files)" "$before:2" "nothing sealed"

conf "$T/bad.conf" DSN='"Driver=NoSuchDriver;Database=x"'
run "$JOB" -c "$T/bad.conf"
is "$rc" 1 "an unknown ODBC driver: the job exits 1"
is "$(cat "$R/catalog" "$R/journal"):$(files)" "$before:2" "nothing sealed"

# --- a wrong password: the backup is sealed and signed, the deep check fails with 3 --------
password "$T/wrong" "not the password"
conf "$T/bad.conf" PASSWORD_FILE="$T/wrong" KEEP_LAST=5
run "$JOB" -c "$T/bad.conf"
is "$rc" 3 "a wrong password: the job exits 3 (authentication)"
like "$err" "*xpbackup-job: verify failed (status 3): xpverify: *: wrong password" "the verify step is named"
is "$(ids | wc -w)" 2 "the sealed backup stays (it is sound; only the check failed)"

# --- -q: silent on success; on failure the held-back lines come out with the error -------
run "$JOB" -q -c "$T/bad.conf"
is "$rc" 3 "-q: a failing run still exits 3"
is "$(printf '%s\n' "$err" | sed -n 's/^xpbackup-job: \([a-z]*\)[: ].*/\1/p' | paste -sd' ')" \
	"dump seal verify" "-q: a failing run prints the steps so far and the failure"
conf "$T/job.conf" KEEP_LAST=5
run "$JOB" -q -c "$T/job.conf"
is "$rc:$out:$err" "0::" "-q: a good run prints nothing"

# --- a dump left by a run that was killed outright is removed under the lock --------------
mkdir -p "$W/xpbackup-job.Zz9Yy8"
echo "plaintext rows" >"$W/xpbackup-job.Zz9Yy8/dump.tar"
conf "$T/job.conf" KEEP_LAST=5
run "$JOB" -c "$T/job.conf"
is "$rc" 0 "a run after a killed one exits 0"
like "$err" "*removed $W/xpbackup-job.Zz9Yy8 left by an interrupted run*" "it says so"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the stale dump is gone"

# --- values are data, never code ----------------------------------------------------------
conf "$T/job.conf" KEEP_LAST=5 SOURCE="'demo \$(touch $T/pwned) \`touch $T/pwned\`'"
run "$JOB" -c "$T/job.conf"
is "$rc" 0 "a quoted value with \$( and backquotes is accepted"
[ ! -e "$T/pwned" ]
ok $? "and nothing in it ran"
is "$(awk -F'\t' '!/^#/ { print $6 }' "$R/catalog" | sort -u | tail -1)" \
	"demo \$(touch $T/pwned) \`touch $T/pwned\`" "the source is recorded literally"

# --- LEVEL is the seal's zstd level -------------------------------------------------------
mv "$T/bin/xpseal" "$T/bin/xpseal.real"
cat >"$T/bin/xpseal" <<EOF
#!/bin/sh
[ "\$1" = --version ] || printf '%s\n' "\$*" >"$T/seal.args"
exec "$T/bin/xpseal.real" "\$@"
EOF
chmod 755 "$T/bin/xpseal"
conf "$T/job.conf" KEEP_LAST=5 LEVEL=19
run "$JOB" -c "$T/job.conf"
like "$rc:$(cat "$T/seal.args")" "0:-q -r $R --require-dump -i * --level 19" "LEVEL=19 seals with xpseal --level 19"
mv "$T/bin/xpseal.real" "$T/bin/xpseal"

run xpverify -r "$R"
is "$rc" 0 "xpverify -r finds the repository consistent"
done_testing
