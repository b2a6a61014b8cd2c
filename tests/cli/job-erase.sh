#!/bin/bash
# xpbackup-job and the erasure ledger: once a request is recorded (xperase), the night's dump
# leaves its rows out (xpdump --ledger), so that a live database that still holds them (until
# its own retention removes them) does not put them back into a new backup; the ledger's
# values need the password, so a repository with requests and no PASSWORD_FILE is a problem
# found before anything runs.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 400 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
q() { sqlite3 "$T/audit.db" "$1"; }
conf "$T/job.conf" KEEP_LAST=5
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -q -c "$T/job.conf"
first=$(ids)
is "$rc:${#first}" "0:32" "a night before any request: one backup"

# the request: every row of the busiest user
user=$(q "select user_name from audit_log where user_name is not null group by user_name order by count(*) desc, user_name limit 1")
n=$(q "select count(*) from audit_log where user_name = '$user'")
[ "$n" -gt 0 ]
ok $? "the source holds $n rows of user $user"
XP_NOW=2026-11-21T12:00:00Z XP_PASSWORD_FILE=$T/pw XP_SIGNING_KEY=$T/signer.key \
	run xperase -r "$R" --ref CASE-7 --reason "Art. 17" -t audit_log --value "user_name=$user"
is "$rc" 0 "the erasure request is recorded"

# the live database still holds the rows: the next night leaves them out
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -c "$T/job.conf"
second=$(ids | tr ' ' '\n' | grep -vxF "$first")
is "$rc:${#second}" "0:32" "the next night exits 0 with a new backup"
like "$err" "*xpdump: $n rows left out by erasure request CASE-7*" "the dump says how many rows the request left out"
xpseal open -r "$R" --password-file "$T/pw" -o "$T/b.tar" "$second" 2>/dev/null
is "$(tar xOf "$T/b.tar" SUMMARY | sed -n 's/^table\taudit_log\t\([0-9]*\)\t.*/\1/p')" "$((400 - n))" \
	"the new backup holds every row but the erased ones"
xpdump -q --dsn "Driver=SQLite3;Database=$T/audit.db" -t audit_log -o "$T/all.tar"
is "$(tar xOf "$T/all.tar" --wildcards 'audit_log/*.csv' | grep -cF ",$user,")" "$n" \
	"a dump without the ledger holds the $n rows"
is "$(tar xOf "$T/b.tar" --wildcards 'audit_log/*.csv' | grep -cF ",$user,")" 0 "the backup holds none of them"
is "$(grep -v '^#' "$R/journal" | grep "	$second	verified	" | cut -f4)" \
	"deep check passed: 1 table, $((400 - n)) rows" "and the deep check agrees"

# without the password the request's values cannot be matched: found before anything runs
before=$(cat "$R/catalog")
conf "$T/nopw.conf" KEEP_LAST=5 PASSWORD_FILE=
XP_NOW=2026-11-23T03:15:00Z run "$JOB" -c "$T/nopw.conf"
is "$rc:$err" "1:xpbackup-job: REPO=$R: the repository has erasure requests (erasures): PASSWORD_FILE is needed to leave their rows out of the dump
xpbackup-job: 1 problem(s); nothing was run" "a repository with requests and no PASSWORD_FILE: a problem, status 1"
is "$(cat "$R/catalog")" "$before" "nothing was sealed"
done_testing
