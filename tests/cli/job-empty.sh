#!/bin/bash
# xpbackup-job and a source that yields nothing: an emptied table, or a DSN pointed at
# the wrong database, must not seal empty full backups night after night while retention
# pushes the good ones out. xpdump --min-rows fails such a dump after writing it whole; the job
# keeps the backup, runs no retention and exits 1.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 300 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
conf "$T/job.conf" KEEP_LAST=1 MAX_AGE=90d
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -q -c "$T/job.conf"
good=$(ids)
is "$rc:${#good}" "0:32" "a good night: one backup"

# --- xpdump --min-rows ------------------------------------------------------------------------
D="Driver=SQLite3;Database=$T/audit.db"
run xpdump --dsn "$D" -t audit_log --min-rows 301 -o "$T/d.tar"
is "$rc" 1 "xpdump: fewer rows than --min-rows: status 1"
is "$err" "xpdump: 300 rows dumped, fewer than --min-rows 301: is this the right database? (the dump in $T/d.tar is complete)" \
	"it says how many and that the dump is whole"
is "$(tar xOf "$T/d.tar" SUMMARY | sed -n 's/^table\taudit_log\t\([0-9]*\)\t.*/\1/p')" 300 "the dump is complete"
run xpdump --dsn "$D" -t audit_log --min-rows 300 -o "$T/d2.tar"
is "$rc:$err" "0:" "as many rows as --min-rows: status 0"
for bad in x -1 1k ''; do
	run xpdump --dsn "$D" -t audit_log --min-rows "$bad"
	is "$rc:${err%%$'\n'*}" "2:xpdump: --min-rows $bad: not a count of rows" "--min-rows '$bad': a usage error"
done

# --- the job ----------------------------------------------------------------------------------
cp "$T/audit.db" "$T/audit.full"
sqlite3 "$T/audit.db" "DELETE FROM audit_log"
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc" 1 "an empty source: the job exits 1"
like "$err" "*backup * is sealed, retention not run: xpdump: 0 rows dumped, fewer than --min-rows 1: is this the right database? (the dump is complete)" \
	"even with -q the last line says why"
like " $(ids) " "* $good *" "the good backup is still there (KEEP_LAST=1 did not run)"
is "$(ids | wc -w)" 2 "the empty one is kept beside it"
run xpverify -r "$R"
is "$rc" 0 "the repository checks clean"

conf "$T/job.conf" KEEP_LAST=7 MAX_AGE=90d MIN_ROWS=0
XP_NOW=2026-11-23T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc:$err" "0:" "MIN_ROWS=0: an empty source is a plain success"
conf "$T/job.conf" KEEP_LAST=7 MAX_AGE=90d MIN_ROWS=1000
mv "$T/audit.full" "$T/audit.db"
XP_NOW=2026-11-24T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc" 1 "MIN_ROWS=1000 and 300 rows: the job exits 1"
like "$err" "*xpdump: 300 rows dumped, fewer than --min-rows 1000*" "and says so"
conf "$T/job.conf" KEEP_LAST=7 MAX_AGE=90d MIN_ROWS=lots
run "$JOB" --check -c "$T/job.conf"
is "$rc:$err" "2:xpbackup-job: $T/job.conf: MIN_ROWS=lots: not a count of rows" "MIN_ROWS must be a count"

# partitioned mode: an empty window is a quiet hour, not a failure (MIN_ROWS defaults to 0)
R2=$T/repo2
xpseal init -r "$R2" --password-file "$T/pw" --signing-key "$T/signer.key" >/dev/null 2>&1 ||
	{ echo "Bail out! xpseal init failed"; exit 1; }
sqlite3 "$T/audit.db" "DELETE FROM audit_log"
conf "$T/job.conf" REPO="$R2" KEEP_LAST= MODE=partitioned MAX_AGE=90d PARTITION_MAX=1d GRACE=1h
XP_NOW=2026-11-24T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc:$err" "0:" "partitioned mode, an empty source: exit 0"

done_testing
