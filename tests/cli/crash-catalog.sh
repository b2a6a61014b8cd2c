#!/bin/bash
# Crash safety of the catalog: every fault point of a seal, a deletion, a shredding and a hold
# is hit in turn (XP_FAULT_AT=N kills the process with SIGKILL there); after the rerun the
# repository must hold: no catalog entry without its complete file, no complete backup lost,
# no half-written file under a backup's name, and a journal chain that verifies.
. "$XP_SRCDIR/tests/lib.sh"

. "$XP_SRCDIR/tests/cli/crash-lib.sh"
for _ in 1 2 3 4 5 6 7 8; do cat "$XP_SRCDIR/tests/lib.sh"; done >"$T/data"
count_points() { grep -c 'fault point' "$1"; }

KEEP1=$(ct "$R" "$K" seal <"$T/data")
KEEP2=$(ct "$R" "$K" seal --shreddable <"$T/data")
like "$KEEP1 $KEEP2" "[0-9a-f]* [0-9a-f]*" "two backups to keep"

# --- seal (xpseal itself: seal, signature, key file, catalog) ---
XP_FAULT_TRACE=1 xpseal -r "$R" --shreddable <"$T/data" >/dev/null 2>"$T/trace"
n=$(count_points "$T/trace")
ok "$([ "$n" -ge 10 ])$?" "xpseal --shreddable passes $n fault points"
for i in $(seq 1 "$n"); do
	XP_FAULT_AT=$i xpseal -r "$R" --shreddable <"$T/data" >/dev/null 2>&1
	rc=$?
	is "$rc" 137 "xpseal killed at fault point $i ($(sed -n "${i}p" "$T/trace" | sed 's/^[^:]*: fault point [0-9]*: //'))"
	run xpseal -r "$R" <"$T/data"
	is "$rc" 0 "xpseal after the kill at $i succeeds"
	invariants "seal $i" "$KEEP1" "$KEEP2" "$out"
done

# --- delete ---
X=$(ct "$R" "$K" seal <"$T/data")
XP_FAULT_TRACE=1 ct "$R" "$K" delete "$X" >/dev/null 2>"$T/trace"
n=$(count_points "$T/trace")
ok "$([ "$n" -ge 8 ])$?" "a deletion passes $n fault points"
for i in $(seq 1 "$n"); do
	X=$(ct "$R" "$K" seal --shreddable <"$T/data")
	XP_FAULT_AT=$i ct "$R" "$K" delete "$X" >/dev/null 2>&1
	is "$?" 137 "delete killed at fault point $i ($(sed -n "${i}p" "$T/trace" | sed 's/^[^:]*: fault point [0-9]*: //'))"
	run ct "$R" "$K" delete "$X" # finishes the interrupted deletion, or does it
	is "$rc:$err" "0:" "rerun after the kill at $i succeeds"
	ok "$( ! grep -q "^$X\$" <<<"$(listed)" && [ ! -e "$R/data/${X:0:2}/$X.xps" ] &&
		[ ! -e "$R/data/${X:0:2}/$X.xps.minisig" ] && [ ! -e "$R/keys/shred/$X.key" ])$?" \
		"delete $i: the backup, its signature and its key are gone"
	is "$(grep -c "	$X	deleted	" "$R/journal")" 1 "delete $i: journaled \"deleted\" once"
	invariants "delete $i" "$KEEP1" "$KEEP2"
done

# --- shred ---
X=$(ct "$R" "$K" seal --shreddable <"$T/data")
XP_FAULT_TRACE=1 ct "$R" "$K" shred "$X" >/dev/null 2>"$T/trace"
n=$(count_points "$T/trace")
ok "$([ "$n" -ge 6 ])$?" "a shredding passes $n fault points"
for i in $(seq 1 "$n"); do
	X=$(ct "$R" "$K" seal --shreddable <"$T/data")
	XP_FAULT_AT=$i ct "$R" "$K" shred "$X" "request $i" >/dev/null 2>&1
	is "$?" 137 "shred killed at fault point $i ($(sed -n "${i}p" "$T/trace" | sed 's/^[^:]*: fault point [0-9]*: //'))"
	run ct "$R" "$K" shred "$X" "request $i"
	is "$rc:$err" "0:" "rerun after the kill at $i succeeds"
	ok "$(grep -q "^$X shredded" <<<"$(ct "$R" - list)" && [ ! -e "$R/keys/shred/$X.key" ])$?" \
		"shred $i: listed as shredded, key file gone"
	is "$(grep -c "	$X	shredded	request $i	" "$R/journal")" 1 \
		"shred $i: journaled \"shredded\" once, with the reason"
	invariants "shred $i" "$KEEP1" "$KEEP2"
done

# --- hold ---
XP_FAULT_TRACE=1 ct "$R" "$K" hold "$KEEP1" "probe" >/dev/null 2>"$T/trace"
ct "$R" "$K" release "$KEEP1"
n=$(count_points "$T/trace")
ok "$([ "$n" -ge 6 ])$?" "a hold passes $n fault points"
for i in $(seq 1 "$n"); do
	XP_FAULT_AT=$i ct "$R" "$K" hold "$KEEP1" "case $i" >/dev/null 2>&1
	is "$?" 137 "hold killed at fault point $i"
	run ct "$R" "$K" recover
	is "$rc:$err" "0:" "recover after the kill at $i succeeds"
	# The journal records the hold first; once it does, the catalog must show it.
	if grep -q "	$KEEP1	held	case $i	" "$R/journal"; then
		like "$(ct "$R" - list)" "*$KEEP1 sealed held*" "hold $i: journaled, so held"
		ct "$R" "$K" release "$KEEP1"
	else
		like "$(ct "$R" - list)" "*$KEEP1 sealed -*" "hold $i: not journaled, so not held"
	fi
	invariants "hold $i" "$KEEP1" "$KEEP2"
done

done_testing
