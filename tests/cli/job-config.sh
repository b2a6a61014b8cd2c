#!/bin/bash
# xpbackup-job refuses a bad command line or configuration with one clear line and
# status 2, before it touches the repository; the file is parsed, never sourced.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

c=$T/job.conf
# bad NAME WANT_ERR [KEY=value]...: a configuration that must be refused with status 2.
bad() {
	local name=$1 want=$2
	shift 2
	conf "$c" "$@"
	run "$JOB" -c "$c"
	want=${want//@LINE@/$(grep -n "^${1%%=*}=" "$c" 2>/dev/null | cut -d: -f1)}
	is "$rc:$err" "2:xpbackup-job: $want" "$name"
}
bad "REPO missing" "$c: REPO is not set" REPO=
conf "$c" REPO=
C_REPO=$R run "$JOB" -c "$c"
is "$rc:$err" "2:xpbackup-job: $c: REPO is not set" "settings come from the file only, not the environment"
bad "no DSN" "$c: DSN or DSN_FILE is not set" DSN=
bad "DSN and DSN_FILE" "$c: set DSN or DSN_FILE, not both" DSN_FILE=/etc/hostname
bad "no tables" "$c: TABLES is not set" TABLES=
bad "no retention rule" "$c: no retention: set MAX_AGE and/or a KEEP_* rule" KEEP_LAST= MAX_AGE=
bad "only a count of 0 is no retention rule" "$c: no retention: set MAX_AGE and/or a KEEP_* rule" \
	KEEP_LAST=0 KEEP_DAILY=00 MAX_AGE=
bad "MAX_AGE of zero" "$c: MAX_AGE=0d: not a positive duration" MAX_AGE=0d
bad "KEEP_WITHIN of zero" "$c: KEEP_WITHIN=0h0m: not a positive duration" KEEP_WITHIN=0h0m
bad "PARTITION_MAX of zero" "$c: PARTITION_MAX=0s: not a positive duration" MODE=partitioned PARTITION_MAX=0s
bad "KEEP_LAST not a number" "$c: KEEP_LAST=seven: not a number" KEEP_LAST=seven
bad "MAX_AGE not a duration" "$c: MAX_AGE=90 days: not a duration (like 90d, 12h, 1y)" MAX_AGE='"90 days"'
bad "SHREDDABLE not yes/no" "$c: SHREDDABLE=true: yes or no" SHREDDABLE=true
bad "LEVEL past zstd's range" "$c: LEVEL=23: not a zstd level (-131072 to 22)" LEVEL=23
bad "LEVEL not a number" "$c: LEVEL=fast: not a zstd level (-131072 to 22)" LEVEL=fast
# shellcheck disable=SC2016 # the $ is the point
bad "an unquoted \$" "$c:@LINE@: DSN: quote the whole value or leave quotes, \$ and \` out" \
	DSN='Driver=SQLite3;Database=$HOME/x.db'

conf "$c"
echo "FOO=bar" >>"$c"
run "$JOB" -c "$c"
is "$rc:$err" "2:xpbackup-job: $c:$(wc -l <"$c"): unknown key FOO" "an unknown key, with its line"
conf "$c"
echo "MAX_AGE=10y" >>"$c"
run "$JOB" -c "$c"
is "$rc:$err" "2:xpbackup-job: $c:$(wc -l <"$c"): MAX_AGE set again (first on line $(grep -n '^MAX_AGE=' "$c" | head -n 1 | cut -d: -f1))" \
	"a key set twice is refused, naming both lines, not the last one let win"
conf "$c"
echo "rm -rf /" >>"$c"
run "$JOB" -c "$c"
is "$rc:$err" "2:xpbackup-job: $c:$(wc -l <"$c"): expected KEY=value" "a command line in the file is refused"

conf "$c"
chmod 620 "$c"
run "$JOB" -c "$c"
is "$rc:$err" "2:xpbackup-job: $c: writable by group or others (mode 620)" "a group-writable file is refused"
chmod 602 "$c"
run "$JOB" -c "$c"
is "$rc:$err" "2:xpbackup-job: $c: writable by group or others (mode 602)" "a world-writable file is refused"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 600 "$c"
	chown nobody "$c"
	run "$JOB" -c "$c"
	is "$rc:$err" "2:xpbackup-job: $c: owned by uid $(id -u nobody), not by root or root" \
		"a file owned by another user is refused"
else
	skip "not root: cannot give the file to another user"
fi

run "$JOB" -c "$T/none.conf"
is "$rc:$err" "2:xpbackup-job: $T/none.conf: no such configuration file" "a missing file"
run "$JOB" -x
is "$rc" 2 "an unknown option exits 2"
like "$err" "xpbackup-job: -x: unknown option
usage: xpbackup-job ?-q? ?-c CONFIG?*" "with a message and the usage on stderr"
run "$JOB" -c "$c" extra
is "$rc" 2 "an operand exits 2"
run "$JOB" -h
is "$rc" 0 "-h exits 0"
like "$out" "usage: xpbackup-job ?-q? ?-c CONFIG?*" "and prints the usage on stdout"

conf "$c" REPO="$T/norepo"
run "$JOB" -c "$c"
is "$rc:$err" "1:xpbackup-job: REPO=$T/norepo: no such repository (create it with xpseal init)
xpbackup-job: 1 problem(s); nothing was run" \
	"a missing repository exits 1"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "no run left anything in the work directory"
done_testing
