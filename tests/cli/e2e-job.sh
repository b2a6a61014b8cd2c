#!/bin/bash
# End to end: a demo audit log backed up by xpbackup-job on three nights, the clock
# (XP_NOW) and the database's data window moving each time. The catalog ends with exactly the
# backups the policy keeps, the expired one is gone with its signature, the journal tells the
# story in order, the newest backup restores with equal row counts, and xpverify is clean.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"
DRILL=$XP_SRCDIR/scripts/xpbackup-drill

# keep-last 3 keeps all three; the legal limit of 65 days, counted from the oldest row, is
# what deletes the first.
conf "$T/job.conf" KEEP_LAST=3 MAX_AGE=65d

# night NOW END ROWS SEED: the audit log now holds ROWS rows over the 30 days up to END;
# the job runs at NOW. Prints the new backup's id.
night() {
	"$MKDB" -f -n "$3" -d 30 -e "$2" -s "$4" "$T/audit.db" || return 1
	XP_NOW=$1 "$JOB" -c "$T/job.conf" 2>"$T/night.err" || { cat "$T/night.err" >&2; return 1; }
	sed -n 's/^xpbackup-job: seal: backup \([0-9a-f]*\) in .*/\1/p' "$T/night.err"
}
a=$(night 2026-11-01T03:15:00Z 2026-10-31 600 1)
ok $? "night 1: the job succeeds"
b=$(night 2026-11-15T03:15:00Z 2026-11-14 700 2)
ok $? "night 2: the job succeeds"
like "$(cat "$T/night.err")" "*xpbackup-job: expire: 0 of 2 backups deleted*" "night 2: nothing expires yet"
c=$(night 2026-12-15T03:15:00Z 2026-12-14 800 3)
ok $? "night 3: the job succeeds"
like "$(cat "$T/night.err")" "*delete $a created 2026-11-01T03:15:00Z: max-age 65d exceeded: oldest row 2026-10-02T00:00:00Z*" \
	"night 3: the first backup's oldest row is past the legal limit"
like "$(cat "$T/night.err")" "*xpbackup-job: expire: 1 of 3 backups deleted*" "night 3: one of three deleted"

is "$(ids)" "$(printf '%s\n' "$b" "$c" | sort | paste -sd' ')" "the catalog holds exactly the second and third backups"
is "$(awk -F'\t' '!/^#/ { print $3, $4, $5 }' "$R/catalog" | sort)" \
	"2026-11-15T03:15:00Z 2026-10-16T00:00:00Z 2026-11-14T23:59:59Z
2026-12-15T03:15:00Z 2026-11-15T00:00:00Z 2026-12-14T23:59:59Z" "with their creation times and moving data windows"
is "$(find "$R/data" -name "$a*" | wc -l)" 0 "the expired backup's file and .minisig are gone"
is "$(find "$R/data" -type f | sed 's|.*/||' | sort | paste -sd' ')" \
	"$(printf '%s\n' "$b.xps" "$b.xps.minisig" "$c.xps" "$c.xps.minisig" | sort | paste -sd' ')" \
	"REPO/data holds the kept backups and their signatures, nothing else"

is "$(grep -v '^#' "$R/journal" | cut -f1-5 | sed "s/$a/A/; s/$b/B/; s/$c/C/")" \
	"2026-11-01T03:15:00Z	A	sealed	-	-
2026-11-01T03:15:00Z	A	verified	deep check passed: 1 table, 600 rows	-
2026-11-15T03:15:00Z	B	sealed	-	-
2026-11-15T03:15:00Z	B	verified	deep check passed: 1 table, 700 rows	-
2026-12-15T03:15:00Z	C	sealed	-	-
2026-12-15T03:15:00Z	C	verified	deep check passed: 1 table, 800 rows	-
2026-12-15T03:15:00Z	A	deleting	max-age 65d exceeded: oldest row 2026-10-02T00:00:00Z	keep-last 3 max-age 65d now 2026-12-15T03:15:00Z
2026-12-15T03:15:00Z	A	deleted	max-age 65d exceeded: oldest row 2026-10-02T00:00:00Z	-" \
	"the journal: three sealings with their deep checks, then the deletion with its rule and policy, in order"

run "$DRILL" -r "$R" -p "$T/pw" -S "$T/audit.db"
is "$rc" 0 "the restore drill of the newest backup passes"
is "$out" "xpbackup-drill: $c: table audit_log: SUMMARY 800, restored 800, source 800
xpbackup-drill: $c: 1 table(s) restored, row counts match" "it restored the newest backup, 800 rows"

"$MKDB" -n 801 -d 30 -e 2026-12-14 "$T/grown.db" >/dev/null
run "$DRILL" -r "$R" -p "$T/pw" -S "$T/grown.db" "$b"
is "$rc" 1 "a drill against a source with other counts fails"
like "$out" "*xpbackup-drill: $b: table audit_log: SUMMARY 700, restored 700, source 801*" "and shows the counts"
like "$err" "*row counts differ: the drill FAILED*" "and says so"

run xpverify -r "$R"
is "$rc" 0 "xpverify -r: exit 0"
is "$out" "$(printf '%s\n' "$b: good signature" "$c: good signature" | sort)
catalog and journal: no findings" "xpverify -r: both signatures good, no findings"
done_testing
