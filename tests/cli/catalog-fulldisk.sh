#!/bin/bash
# A disk that fills between sealing and cataloging. xpseal runs on a small tmpfs with 0, 1, 2...
# pages free, so that each of its writes in turn is the one that fails: the seal, the first
# catalog, the journal append (in a repository whose journal ends just before a page boundary,
# so that the append is cut part way), the catalog's signature, the catalog. Each time xpseal
# exits 0, or 1 naming the disk's error; xpverify -r never calls the state tampering (3); once
# there is room again, the next seal finishes a seal whose intent was journaled, --adopt takes
# back what is left, and every backup keeps its source and data window, so retention by source
# and age deletes it when due.
. "$XP_SRCDIR/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "mounting a small tmpfs needs root"
mkdir "$T/small"
mount -t tmpfs -o size=1m xptest "$T/small" 2>/dev/null ||
	skip_all "mount -t tmpfs is not permitted here"
at_exit "umount '$T/small'"

export XP_SIGNING_KEY=$T/signer.key
page=$(getconf PAGESIZE)
password "$T/pw" 'full disk password'
xpseal init -r "$T/fresh" --password-file "$T/pw" >/dev/null 2>&1
is "$?" 0 "a repository to copy onto the small disk"

sqlite3 "$T/a.db" "CREATE TABLE audit (id INTEGER, at TIMESTAMP, who TEXT);
	INSERT INTO audit VALUES (1, '2026-11-01 10:00:00', 'ann'), (2, '2026-11-20 11:30:00', 'bob');"
xpdump --dsn "$(sqlite_dsn "$T/a.db")" -t audit --time-column at >"$T/dump" 2>/dev/null
is "$?" 0 "a dump stream with a data window"
WINDOW='2026-11-01T10:00:00Z	2026-11-20T11:30:00Z'

# A repository with a backup on hold, whose journal then ends 60 bytes before a page boundary
# (a "held" line is 224 bytes and its reason: fields, chain and signature).
cp -a "$T/fresh" "$T/used"
K=$(xpseal -r "$T/used" --source kept -i "$T/dump" 2>/dev/null)
j=$(stat -c %s "$T/used/journal")
r=$(((2 * page - 60 - (j + 224) % page) % page))
[ "$r" -gt 0 ] || r=$page
xpexpire -r "$T/used" --hold "$K" --reason "$(head -c "$r" /dev/zero | tr '\0' x)" >/dev/null
is "$(($(stat -c %s "$T/used/journal") % page))" $((page - 60)) "its journal ends 60 bytes before a page boundary"

avail() { df -B1 --output=avail "$T/small" | tail -1; }
row() { grep "^$2	" "$1/catalog" | cut -f"$3"; }

for base in fresh used; do
	for free in $(seq 0 12); do
		R=$T/small/r
		what="$base, $free pages free"
		# Each copy starts from its template again, older than what the last round left: a
		# host that saw that round would refuse it as rolled back, so the host forgets, and
		# pins the copy before the disk fills.
		rm -rf "$R" "$T/small/filler" "$XP_STATE_DIR"
		cp -a "$T/$base" "$R"
		xpverify -r "$R" >/dev/null 2>&1
		head -c $(($(avail) - free * page)) /dev/zero >"$T/small/filler"
		run xpseal -r "$R" --source S -i "$T/dump"
		if [ "$rc" -eq 0 ]; then
			ok 0 "$what: xpseal exits 0"
		else
			like "$rc:$err" "1:xpseal: *: No space left on device" "$what: xpseal exits 1 naming the disk's error"
		fi
		id=
		[[ $err =~ ^xpseal:\ ([0-9a-f]{32}):\ sealed,\ but\ not\ in\ the\ catalog ]] && id=${BASH_REMATCH[1]}
		journaled=0
		[ -n "$id" ] && grep -qs "	$id	sealed	" "$R/journal" && journaled=1
		run xpverify -r "$R"
		like "$rc" [01] "$what: xpverify -r does not call it tampering (exit $rc: ${err//$'\n'/; })"

		rm "$T/small/filler"
		run xpseal -r "$R" --source S -i "$T/dump"
		is "$rc" 0 "$what: with room again, the next seal succeeds"
		run xpverify -r "$R"
		if [ -n "$id" ] && [ "$journaled" = 0 ]; then
			is "$rc:$err" "1:xpverify: data/${id:0:2}/$id.xps: not in the catalog (xpverify --adopt takes it back)" \
				"$what: the seal journaled nothing: its backup is an orphan"
		else
			is "$rc" 0 "$what: the next seal finished the interrupted one (${err//$'\n'/; })"
		fi
		run xpverify -r "$R" --adopt
		is "$rc" 0 "$what: xpverify --adopt leaves no findings"
		want="$WINDOW	S"
		[ -n "$id" ] && is "$(row "$R" "$id" 4-6)" "$want" "$what: the backup keeps its window and source"
		XP_NOW=2027-06-01 run xpexpire -r "$R" --source S --max-age 90d
		is "$rc:$(tail -n +2 "$R/catalog" | cut -f1 | grep -vc "^$K\$")" "0:0" \
			"$what: xpexpire --source S --max-age 90d deletes every backup of S"
	done
done
is "$(row "$R" "$K" 4-6)" "$WINDOW	kept" "the backup of another source stays"

# The same windows cut by a crash: a seal killed at each of its steps leaves nothing xpverify
# calls tampering, and the next seal leaves nothing for --adopt but what was never journaled.
# Each run starts from its template on a host that pins it as found, as above.
crash_copy() {
	rm -rf "$R" "$XP_STATE_DIR"
	cp -a "$T/$1" "$R"
	xpverify -r "$R" >/dev/null 2>&1
}
for base in fresh used; do
	R=$T/crash
	crash_copy "$base"
	XP_FAULT_TRACE=1 xpseal -r "$R" --source S -i "$T/dump" >/dev/null 2>"$T/trace"
	n=$(grep -c 'fault point' "$T/trace")
	[ "$n" -gt 0 ] || { skip "$base: built without fault injection"; continue; }
	for i in $(seq 1 "$n"); do
		what="$base, killed at $(sed -n "${i}p" "$T/trace" | sed 's/^[^:]*: fault point //')"
		crash_copy "$base"
		XP_FAULT_AT=$i xpseal -r "$R" --source S -i "$T/dump" >/dev/null 2>&1
		run xpverify -r "$R"
		like "$rc" [01] "$what: xpverify -r does not call it tampering (exit $rc: ${err//$'\n'/; })"
		xpseal -r "$R" --source S -i "$T/dump" >/dev/null 2>&1
		xpverify -r "$R" --adopt >/dev/null 2>&1
		is "$(tail -n +2 "$R/catalog" | cut -f1 | grep -vc "^$K\$")" \
			"$(find "$R/data" -name '[0-9a-f]*.xps' | grep -vc "/$K.xps\$")" \
			"$what: the next seal and --adopt leave every complete backup cataloged"
	done
done

done_testing
