#!/bin/bash
# xpbackup-job takes a lock so runs never overlap: with LOCK_WAIT=0 (the default) a
# second run refuses at once, with LOCK_WAIT=N it waits up to N seconds for the first.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 200 -d 10 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
conf "$T/job.conf" KEEP_LAST=10

# This shell holds the lock, as a running job would.
exec 8>>"$T/job.lock"
flock 8 || { echo "Bail out! flock failed"; exit 1; }

run "$JOB" -c "$T/job.conf"
is "$rc" 1 "a second run exits 1 while the lock is held"
is "$err" "xpbackup-job: $T/job.lock: another run holds the lock (waited 0s)" "and says why, in one line"
is "$(ids)" "" "it sealed nothing"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "and made no work directory"

conf "$T/job.conf" KEEP_LAST=10 LOCK_WAIT=1
run "$JOB" -c "$T/job.conf"
is "$rc:$err" "1:xpbackup-job: $T/job.lock: another run holds the lock (waited 1s)" \
	"LOCK_WAIT=1: gives up after a second"

# A waiting run proceeds once the lock is released: start it (without our lock fd), then let go.
conf "$T/job.conf" KEEP_LAST=10 LOCK_WAIT=600
"$JOB" -c "$T/job.conf" >"$T/wait.out" 2>"$T/wait.err" 8>&- &
pid=$!
exec 8>&-
wait "$pid"
is "$?" 0 "LOCK_WAIT=600: the waiting run finishes once the lock is free"
id=$(ids)
is "${#id}" 32 "and seals its backup"

# The lock is released when a run ends, even a failed one.
conf "$T/bad.conf" KEEP_LAST=10 TABLES=nosuch
run "$JOB" -c "$T/bad.conf"
is "$rc" 1 "a failing run"
conf "$T/job.conf" KEEP_LAST=10
run "$JOB" -c "$T/job.conf"
is "$rc" 0 "the next run gets the lock"
is "$(ids | wc -w)" 2 "two backups in all"

# The default lock file lives in the repository, where xpverify does not mind it.
conf "$T/job.conf" KEEP_LAST=10 LOCK=
run "$JOB" -c "$T/job.conf"
is "$rc" 0 "a run with the default lock"
[ -f "$R/.xpbackup-job.lock" ]
ok $? "the default lock is REPO/.xpbackup-job.lock"
run xpverify -r "$R"
is "$rc" 0 "xpverify -r accepts the repository with the lock file"
done_testing
