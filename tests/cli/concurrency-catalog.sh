#!/bin/bash
# Concurrent changes to one repository: 4 xpseal processes at once for 5 rounds, while other
# processes hold and release (xpexpire) and delete backups. The lock serialises every catalog change, so the catalog
# ends with exactly the right ids, the journal chain verifies and every event is recorded once.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/crash-lib.sh"

for _ in 1 2 3 4; do cat "$XP_SRCDIR/tests/lib.sh"; done >"$T/data"
for i in 1 2 3 4 5 6; do
	ct "$R" "$K" seal <"$T/data" >>"$T/old" || echo "seal $i failed" >&2
done
is "$(wc -l <"$T/old")" 6 "six backups to start with"
HOLDS=$(sed -n 1,2p "$T/old")
DELS=$(sed -n 3,6p "$T/old")

# Holders: each takes one backup through 10 hold/release pairs with xpexpire.
holder() {
	local id=$1 n
	for n in 1 2 3 4 5 6 7 8 9 10; do
		xpexpire -r "$R" --hold "$id" --reason "case $n" >/dev/null ||
			echo "hold $id $n failed" >&2
		xpexpire -r "$R" --release "$id" >/dev/null || echo "release $id $n failed" >&2
	done
}
# Deleter: removes the other four old backups one by one.
deleter() {
	local id
	for id in $DELS; do
		ct "$R" "$K" delete "$id" "concurrency" || echo "delete $id failed" >&2
	done
}

# Reader: checks the repository over and over meanwhile. Under the shared lock it never sees
# a change half done; the only legitimate finding is an orphan (sealed, not yet catalogued).
reader() {
	while [ ! -e "$T/stop" ]; do
		ct "$R" - check 2>/dev/null | grep -v -e 'not in the catalog' -e 'temporary file of a seal' \
			-e 'shred key of no backup' -e 'signature of a backup not in the catalog'
		ct "$R" - journal || echo "journal failed to verify"
	done
}
reader >"$T/seen" 2>&1 &
rpid=$!

pids=()
for id in $HOLDS; do
	holder "$id" 2>>"$T/errors" &
	pids+=($!)
done
deleter 2>>"$T/errors" &
pids+=($!)
for round in 1 2 3 4 5; do
	spids=()
	for p in 1 2 3 4; do
		xpseal -r "$R" -i "$T/data" >"$T/new.$round.$p" 2>>"$T/errors" &
		spids+=($!)
	done
	wait "${spids[@]}"
done
wait "${pids[@]}"
touch "$T/stop"
wait "$rpid"
is "$(cat "$T/seen")" "" "a reader checking all the while saw no half-done change"

is "$(cat "$T/errors")" "" "no process failed"
cat "$T"/new.* >"$T/new"
is "$(sort -u "$T/new" | grep -c .)" 20 "20 concurrent seals printed 20 distinct ids"
is "$(listed)" "$( (cat "$T/new"; echo "$HOLDS") | sort)" \
	"the catalog holds exactly the new backups and the two held ones"
run ct "$R" - journal
is "$rc:$err" "0:" "the journal chain verifies"
run ct "$R" - check
is "$rc:$out" "0:" "check finds nothing wrong"
j=$R/journal
is "$(grep -c '	sealed	' "$j")" 26 "26 \"sealed\" events"
is "$(grep -c '	held	' "$j"):$(grep -c '	released	' "$j")" "20:20" "20 holds and 20 releases"
is "$(grep -c '	deleting	concurrency	' "$j"):$(grep -c '	deleted	concurrency	' "$j")" "4:4" \
	"4 deletions, each journaled before and after"
for id in $HOLDS; do
	is "$(grep "	$id	\(held\|released\)	" "$j" | cut -f3 | uniq -c | awk '{print $1}' | sort -u)" 1 \
		"${id:0:8}: holds and releases alternate in the journal"
done
is "$(ct "$R" - list | grep -c " held$")" 0 "nothing is left on hold"

done_testing
