#!/bin/bash
# A rotation (xpseal rekey) re-seals and re-signs only the bytes it checked: another backup's
# file swapped in under an id after the check is never signed by this host in its place.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"

bin=$XP_BUILDDIR/src/xpseal/xpseal
export XP_SIGNING_KEY=$T/host/signer.key XP_STATE_DIR=$T/state
R=$T/repo
password "$T/pw" 'correct horse battery'
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || exit 1
declare -A input
for n in 1 2; do
	echo "backup number $n" >"$T/$n.in"
	# distinct creation times: the listing's order is then the rotation's (the catalog's)
	id=$(XP_NOW=2026-01-0${n}T03:00:00Z xpseal -r "$R" -i "$T/$n.in") || exit 1
	input[$id]=$T/$n.in
done
# the backup the rotation re-seals first, the other one, and the fault point after the check
# of the first (found by a rehearsal on a copy)
first=$(xpexpire -r "$R" --list | awk 'NR == 2 { print $1 }')
other=$(xpexpire -r "$R" --list | awk 'NR == 3 { print $1 }')
cp -a "$R" "$T/copy" && cp -a "$T/state" "$T/state.copy"
k=$(XP_STATE_DIR=$T/state.copy XP_FAULT_TRACE=1 "$bin" rekey -r "$T/copy" --password-file "$T/pw" 2>&1 >/dev/null |
	sed -n 's/^xpseal: fault point \([0-9]*\): rekey: checked$/\1/p' | head -1)
[ -n "$k" ] || skip_all "built without fault injection (no \"rekey: checked\" point)"
PF=$R/data/${first:0:2}/$first.xps
PO=$R/data/${other:0:2}/$other.xps

XP_FAULT_STOP=$k "$bin" rekey -r "$R" --password-file "$T/pw" >"$T/out" 2>"$T/err" &
pid=$!
# the password's key derivation alone can take seconds on a loaded machine: wait up to 2 min
stopped=no
for _ in $(seq 1200); do
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
	[ "$state" = T ] && stopped=yes
	case $state in T | Z | '') break ;; esac
	sleep 0.1
done
is "$stopped" yes "the rotation stops after checking the first backup"
cp "$PF" "$T/first.xps"
cp "$PO" "$PF" # the other backup's bytes under the first one's id, after its check
kill -CONT "$pid"
wait "$pid"
is "$?" 0 "the rotation goes on"
run xpseal open -r "$R" --password-file "$T/pw" "$first"
is "$rc:$out" "0:$(cat "${input[$first]}")" \
	"the first backup is what was checked, re-sealed: the swapped-in file was not signed in its place"
done_testing
