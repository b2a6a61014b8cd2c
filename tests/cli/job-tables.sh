#!/bin/bash
# xpbackup-job with a time column per table (TABLES='a:utc_time b:fired'): MAX_AGE is
# applied to each table by its own column, the backup's SUMMARY dates each table by it, and a
# table left without a time column is a preflight problem; TABLES + TIME_COLUMN still works.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 300 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
# a second table dated by another column, with one row from 2000
sqlite3 "$T/audit.db" "CREATE TABLE alarms(id INTEGER PRIMARY KEY, fired TEXT NOT NULL, name TEXT);
	INSERT INTO alarms VALUES (1, '2000-01-01 00:00:00', 'stray'), (2, '2026-11-01 08:00:00', 'door'),
	(3, '2026-11-19 22:30:00', 'motion')"

conf "$T/job.conf" TABLES="'audit_log:utc_time alarms:fired'" TIME_COLUMN= KEEP_LAST=7
run "$JOB" --check -c "$T/job.conf"
is "$rc" 0 "--check accepts a time column per table without TIME_COLUMN"
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -q -c "$T/job.conf"
id=$(ids)
is "$rc:${#id}" "4:32" "a table with a row past MAX_AGE by its own column: status 4, the backup kept"
is "$(grep -c 'table audit_log: .*rows past' <<<"$err")" 0 "the other table, inside the limit by its own column, is not reported"
like "$err" "*xpdump: table alarms: 1 rows past --max-age 90d (at or before 2026-08-23T03:15:00Z), the oldest from 2000-01-01T00:00:00Z*" \
	"the report names the table, its oldest row and the limit"
xpseal open -r "$R" --password-file "$T/pw" -o "$T/b.tar" "$id" 2>/dev/null
is "$(tar xOf "$T/b.tar" MANIFEST | grep -E '^table'$'\t')" "table	audit_log	utc_time
table	alarms	fired" "the backup's MANIFEST records each table's time column"
is "$(tar xOf "$T/b.tar" SUMMARY | cut -f1-3,7,8)" "xpdump-summary	2
table	audit_log	300	2026-10-22T00:00:00Z	2026-11-20T23:59:59Z
table	alarms	2	2026-11-01T08:00:00Z	2026-11-19T22:30:00Z
end" "SUMMARY dates each table by its own column; the 2000 row is left out"
is "$(awk -F'\t' '!/^#/ { print $4, $5 }' "$R/catalog")" "2026-10-22T00:00:00Z 2026-11-20T23:59:59Z" \
	"the catalog's window spans both tables"

# a table without a time column while MAX_AGE is set: found before anything runs
before=$(cat "$R/catalog" "$R/journal")
conf "$T/nt.conf" TABLES="'audit_log:utc_time alarms'" TIME_COLUMN=
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -q -c "$T/nt.conf"
is "$rc:$err" "1:xpbackup-job: MAX_AGE=90d needs TIME_COLUMN or TABLES='alarms:COLUMN' for table alarms: without it the table's rows have no age, and rows past the legal limit would be kept
xpbackup-job: 1 problem(s); nothing was run" "a table without a time column is a problem naming it"
is "$(cat "$R/catalog" "$R/journal")" "$before" "and nothing was sealed"

# TIME_COLUMN dates the tables given without one; the old form still works
sqlite3 "$T/audit.db" "DELETE FROM alarms WHERE id = 1"
conf "$T/mix.conf" TABLES="'audit_log alarms:fired'" TIME_COLUMN=utc_time KEEP_LAST=7
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -q -c "$T/mix.conf"
is "$rc:$err" "0:" "TABLES with and without a column, and TIME_COLUMN for the rest: status 0"
conf "$T/old.conf" TABLES=audit_log TIME_COLUMN=utc_time KEEP_LAST=7
XP_NOW=2026-11-23T03:15:00Z run "$JOB" -q -c "$T/old.conf"
is "$rc:$err" "0:" "TABLES and TIME_COLUMN as before: status 0"
done_testing
