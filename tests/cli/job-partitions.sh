#!/bin/bash
# xpbackup-job in MODE=partitioned on a demo SQLite database, the clock moved with XP_NOW:
# the windows of consecutive runs tile the time line (a missed night makes the next one longer,
# a killed run seals no window twice and loses none), late rows within the grace land in the
# next window, partitions leave when their window's start reaches MAX_AGE, and xpverify
# reports a gap.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 2000 -d 20 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
conf "$T/job.conf" MODE=partitioned MAX_AGE=10d KEEP_LAST= KEEP_DAILY=3 PARTITION_MAX=3d GRACE=5m

# windows: each partition's window in the signed catalog, oldest first ("SINCE UNTIL")
windows() { awk -F'\t' '!/^#/ && $12 == "partition" { print $13, $14 }' "$R/catalog" | sort; }
# tiles: "yes" when every window starts where the one before ended
tiles() { windows | awk 'NR > 1 && $1 != last { bad = 1 } { last = $2 } END { print bad ? "no" : "yes" }'; }
q() { sqlite3 "$T/audit.db" "$@"; }

# --- the first run: the oldest row MAX_AGE allows, up to now minus the grace -------------
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 4 "the first run seals and warns of the source's rows past MAX_AGE (status 4)"
is "$(windows | paste -sd' ')" \
	"2026-11-11T03:15:01Z 2026-11-14T03:15:01Z 2026-11-14T03:15:01Z 2026-11-17T03:15:01Z 2026-11-17T03:15:01Z 2026-11-20T03:15:01Z 2026-11-20T03:15:01Z 2026-11-21T03:10:00Z" \
	"from the oldest row MAX_AGE allows to now - GRACE, in windows of at most PARTITION_MAX"
is "$(head -n 1 "$R/catalog" | cut -f12-)" "kind	since	until" "the catalog records each backup's kind and window"
is "$(grep -c '	sealed	partition ' "$R/journal")" 4 "the journal records each partition's window when it is sealed"

# --- the next night continues where the last window ended --------------------------------
q "insert into audit_log (utc_time, category, action, result) values
	('2026-11-21 03:12:00', 'Audit', 'late within the grace', 'Success'),
	('2026-11-21 20:00:00', 'Audit', 'next day', 'Success')"
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 4 "the second run exits as the source still holds old rows"
is "$(windows | tail -n 1)" "2026-11-21T03:10:00Z 2026-11-22T03:10:00Z" "its window starts where the last one ended"
like "$err" "*verify: *: deep check passed: 1 table, 2 rows*" \
	"the row committed within the grace lands in the next window, with the next day's"

# --- a missed night makes the next window longer ---------------------------------------------
XP_NOW=2026-11-24T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$(windows | tail -n 1)" "2026-11-22T03:10:00Z 2026-11-24T03:10:00Z" "after a missed night, one window of two days"
is "$(tiles)" yes "the windows tile the time line without gaps or overlaps"

# --- retention at the boundary: a partition goes when its window's start reaches MAX_AGE ---
before=$(windows | head -n 1)
like "$before" "2026-11-14T03:15:01Z *" "the oldest partition starts 2026-11-14T03:15:01Z"
XP_NOW=2026-11-24T03:15:00Z run "$XP_BUILDDIR/src/xpexpire/xpexpire" -r "$R" --max-age 10d --source demo --dry-run --now 2026-11-24T03:15:00Z
like "$out" "*keep * until 2026-11-24T03:15:01Z: partition until max-age*" \
	"one second before its window's start is 10 days old, it is kept"
XP_NOW=2026-11-24T03:15:01Z run "$JOB" -c "$T/job.conf"
like "$err" "*max-age 10d exceeded: window start 2026-11-14T03:15:01Z*" "at that second it goes, by its window's start"
is "$(windows | head -n 1)" "2026-11-17T03:15:01Z 2026-11-20T03:15:01Z" "and only it"
like "$(grep '	deleted	' "$R/journal" | tail -n 1)" "*	deleted	max-age 10d exceeded: window start 2026-11-14T03:15:01Z	-*" \
	"the journal says why the partition ended"
is "$(tiles)" yes "retention shortened the time line at its old end only"
run "$XP_BUILDDIR/src/xpverify/xpverify" -r "$R"
is "$rc" 0 "xpverify: no gap: what retention removed at the old end is no finding"

# --- a killed run seals no window twice and loses none --------------------------------------
# killed in xpseal after the journal recorded the seal, before the catalog names it
n=$(windows | wc -l)
XP_FAULT_AT=4 XP_NOW=2026-11-25T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 137 "the run is killed in the middle of its seal"
XP_NOW=2026-11-25T04:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 4 "the next run finishes"
is "$(windows | tail -n 2 | paste -sd' ')" \
	"2026-11-24T03:10:01Z 2026-11-25T03:10:00Z 2026-11-25T03:10:00Z 2026-11-25T04:10:00Z" \
	"the killed run's window is taken in as it was sealed, and the next one continues it"
is "$(windows | wc -l)" "$((n + 2))" "two partitions more, no window sealed twice"
is "$(tiles)" yes "still tiled"
# killed during the dump: nothing sealed, the next run seals that window
mv "$T/bin/xpdump" "$T/xpdump.real"
cat >"$T/bin/xpdump" <<EOF2
#!/bin/sh
exec sleep 30
EOF2
chmod 755 "$T/bin/xpdump"
"$JOB" -c "$T/job.conf" 2>/dev/null &
job=$!
sleep 2
kill -TERM "$job"
wait "$job"
is "$?" 143 "a run stopped during its dump"
mv "$T/xpdump.real" "$T/bin/xpdump"
n=$(windows | wc -l)
XP_NOW=2026-11-26T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$(windows | tail -n 1)" "2026-11-25T04:10:00Z 2026-11-26T03:10:00Z" "the next run seals the window the stopped one did not"
is "$(tiles)" yes "none lost"

# --- a late row beyond the grace ---------------------------------------------------------------
# committed after its window was sealed: no partition will ever hold it
q "insert into audit_log (utc_time, category, action, result) values ('2026-11-25 12:00:00', 'Audit', 'late beyond the grace', 'Success')"
XP_NOW=2026-11-27T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$(windows | tail -n 1)" "2026-11-26T03:10:00Z 2026-11-27T03:10:00Z" "the next window does not reach back for it"
late=$(q "select id from audit_log where action = 'late beyond the grace'")
run "$XP_BUILDDIR/src/xpverify/xpverify" -r "$R" --password-file "$T/pw" --against "Driver=SQLite3;Database=$T/audit.db"
is "$rc" 1 "xpverify --against finds it: status 1 (a row appeared)"
like "$err" "*2026-11-25T04:10:00Z to 2026-11-26T03:10:00Z): audit_log: 0 rows sealed, 1 in the source now: changed 0, appeared 1 (key $late), vanished 0*" \
	"in the window it belongs to, by its key"

# --- a gap found by xpverify ---------------------------------------------------------------
# a partition sealed by hand after a hole in the time line
xpdump -q --dsn "Driver=SQLite3;Database=$T/audit.db" -t audit_log --time-column utc_time \
	--since 2026-11-28T00:00:00Z --until 2026-11-29T00:00:00Z |
	xpseal -q -r "$R" --signing-key "$T/signer.key" --require-dump --partition --source demo >/dev/null
run "$XP_BUILDDIR/src/xpverify/xpverify" -r "$R"
is "$rc" 1 "xpverify fails on a gap (status 1)"
like "$err" "*source demo: gap from 2026-11-27T03:10:00Z to 2026-11-28T00:00:00Z: no partition holds its rows*the journal records no partition sealed for it*" \
	"naming the missing interval"
run "$XP_BUILDDIR/src/xpverify/xpverify" -r "$R" --json
like "$out" '*"continuity"*' "--json names the finding's kind"

# a window sealed already is never sealed again, not even by hand
before=$(windows | wc -l)
run sh -c "xpdump -q --dsn 'Driver=SQLite3;Database=$T/audit.db' -t audit_log --time-column utc_time \
	--since 2026-11-28T12:00:00Z --until 2026-11-30T00:00:00Z |
	xpseal -q -r '$R' --signing-key '$T/signer.key' --require-dump --partition --source demo"
is "$rc" 1 "a window that meets a sealed one is refused (status 1)"
like "$err" "*holds 2026-11-28T00:00:00Z to 2026-11-29T00:00:00Z already, which this window meets: a window is sealed once; nothing sealed*" \
	"naming the partition that holds it"
is "$(windows | wc -l)" "$before" "nothing was sealed"
is "$(find "$R/data" -name '*.xps' | wc -l)" "$(grep -vc '^#' "$R/catalog")" "and no file was left behind"

# --- a clock that went back -------------------------------------------------------------------
# the last window ends after now: not "nothing to seal yet", which would be said every night
# until the clock caught up
R2=$T/repo2
xpseal init -r "$R2" --password-file "$T/pw" --signing-key "$T/signer.key" >/dev/null 2>&1 ||
	{ echo "Bail out! xpseal init failed"; exit 1; }
conf "$T/back.conf" REPO="$R2" LOCK="$T/back.lock" MODE=partitioned MAX_AGE=10d KEEP_LAST= \
	KEEP_DAILY=3 PARTITION_MAX=3d GRACE=5m
XP_NOW=2026-11-27T03:15:00Z run "$JOB" -c "$T/back.conf"
is "$rc" 4 "a first run seals up to now minus the grace"
n=$(grep -vc '^#' "$R2/catalog")
XP_NOW=2026-11-26T03:15:00Z run "$JOB" -c "$T/back.conf"
like "$rc:$err" "1:*xpbackup-job: window: the last window of demo ends at 2026-11-27T03:10:00Z, after now (2026-11-26T03:15:00Z): the clock went back, or a partition was sealed past now; nothing sealed" \
	"a run whose clock is behind the last window fails (status 1), saying why"
is "$(grep -vc '^#' "$R2/catalog")" "$n" "and seals nothing"
XP_NOW=2026-11-27T03:14:00Z run "$JOB" -c "$T/back.conf"
is "$rc" 0 "a run within the grace of the last window has nothing to seal yet (status 0)"

# --- partition mode's own refusals ---------------------------------------------------------
conf "$T/bad.conf" MODE=partitioned MAX_AGE=
run "$JOB" -c "$T/bad.conf" --check
is "$rc" 2 "MODE=partitioned without MAX_AGE is a usage error"
like "$err" "*MODE=partitioned needs MAX_AGE*" "saying why"
run xpseal -r "$R" --signing-key "$T/signer.key" --require-dump --partition -i /dev/null
is "$rc" 1 "xpseal --partition refuses what is not a complete dump"
xpdump -q --dsn "Driver=SQLite3;Database=$T/audit.db" -t audit_log --time-column utc_time \
	--since 2026-11-28T00:00:00Z -o "$T/open.dump"
run xpseal -r "$R" --signing-key "$T/signer.key" --require-dump --partition -i "$T/open.dump"
like "$err" "*a partition is the dump of one window: the dump has no --until*" "and a dump of a window with an open end"

done_testing
