#!/bin/bash
# kill -9 at pseudo-random moments while a ~50 MB backup is sealed and catalogued, and while
# holds, deletions and shreddings run: whenever the process dies, the repository keeps its
# invariants (see crash-lib.sh). The moments are random; the assertions are not about time.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/crash-lib.sh"

RANDOM=20261127 # the same "random" moments on every run
# 50 MB that compresses like a log: repeated text with a counter.
awk 'BEGIN { for (i = 0; i < 900000; i++) printf "%08d,2026-11-27T03:00:00Z,camera-%03d,login,operator %d ok\n", i, i % 977, i % 31 }' \
	| head -c 50000000 >"$T/big"
is "$(wc -c <"$T/big")" 50000000 "50 MB of test data"
head -c 100000 "$T/big" >"$T/small"
KEEP=$(ct "$R" "$K" seal <"$T/small")
like "$KEEP" "????????????????????????????????" "a backup to keep"

# killat SECONDS PROGRAM ARGS...: runs PROGRAM (a file, not a shell function, so that the
# kill reaches the process itself) in the background, kills it with SIGKILL after SECONDS (or
# finds it already finished), and waits for it.
XPSEAL=$XP_BUILDDIR/src/xpseal/xpseal
CT=$XP_BUILDDIR/tests/unit/repo/catalog-tool
killat() {
	local delay=$1 pid
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

for round in 1 2 3 4 5 6; do
	delay=0.$(printf '%03d' $((RANDOM % 350)))
	before=$(listed | wc -l)
	killat "$delay" "$XPSEAL" -r "$R" --shreddable -i "$T/big"
	invariants "seal killed after ${delay}s" "$KEEP"
	diag "seal killed after ${delay}s: $(($(listed | wc -l) - before)) backup(s) more," \
		"$(find "$R/data" -name '.*.tmp.*' | wc -l) temp file(s) left in all"
done

# Changes racing a kill: seal small backups, then hold, shred and delete them with kills at
# random moments; each rerun (or recovery) must leave the same invariants.
for round in 1 2 3 4 5 6; do
	X=$(ct "$R" "$K" seal --shreddable <"$T/small")
	delay=0.0$(printf '%02d' $((RANDOM % 40)))
	killat "$delay" "$CT" "$R" "$K" hold "$X" "case $round"
	run ct "$R" "$K" recover
	is "$rc:$err" "0:" "recover after a hold killed after ${delay}s"
	ct "$R" "$K" release "$X" >/dev/null 2>&1
	killat "$delay" "$CT" "$R" "$K" shred "$X" "request $round"
	killat "0.0$((RANDOM % 10))" "$CT" "$R" "$K" delete "$X"
	run ct "$R" "$K" delete "$X"
	is "$rc:$err" "0:" "delete after kills at random moments"
	ok "$( ! grep -q "^$X\$" <<<"$(listed)" && [ ! -e "$R/data/${X:0:2}/$X.xps" ] &&
		[ ! -e "$R/keys/shred/$X.key" ])$?" "round $round: the deleted backup is gone"
	invariants "changes round $round" "$KEEP"
done

done_testing
