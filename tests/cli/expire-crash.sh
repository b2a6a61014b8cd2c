#!/bin/bash
# xpexpire killed at every durable step of its deletions (one batch of five: the journal's
# "deleting" records, the key shredding, each file's removal, the catalog rewrite, the
# "deleted" records): the next run finishes the job, and the repository ends exactly as an
# uninterrupted run leaves it.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
R0=$T/template
export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" "expire crash test"
xpseal init -r "$R0" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
head -c 20000 /dev/urandom >"$T/in"
# The shreddable backup first and a second older than the rest, so it is always among those
# deleted and the crash points inside shredding its key are always visited.
xpseal -r "$R0" --shreddable -i "$T/in" >/dev/null || { echo "Bail out! xpseal failed"; exit 1; }
sleep 1
for _ in 1 2 3 4 5 6; do
	xpseal -r "$R0" -i "$T/in" >/dev/null || { echo "Bail out! xpseal failed"; exit 1; }
done
[ -f "$R0/catalog" ] || skip_all "xpseal does not name its backups in the catalog (yet)"
# keep-last 2 keeps the last two in the catalog's own order (created, then id).
want=$(awk -F'\t' '$1 !~ /^#/ { print $3 "\t" $1 }' "$R0/catalog" | sort | tail -2 | cut -f2 | sort | paste -sd' ')
ids() { awk -F'\t' '$1 !~ /^#/ { print $1 }' "$1/catalog" | sort | paste -sd' '; }
files() { find "$1/data" -name '*.xps' | sed 's|.*/||; s|\.xps$||' | sort | paste -sd' '; }

# The key of the shreddable backup is in this host's vault: each run starts with it there.
cp -a "$XP_STATE_DIR/vault" "$T/vault0"
cp -a "$R0" "$T/r"
XP_FAULT_TRACE=1 run xpexpire -r "$T/r" --keep-last 2
steps=$(grep -c 'fault point' "$T/.err")
is "$rc:$(ids "$T/r")" "0:$want" "an uninterrupted run keeps the two newest"
# one batch: all five "deleting" records come before the first "deleted", in one catalog rewrite
is "$(awk -F'\t' '$3 == "deleting" || $3 == "deleted" { print $3 }' "$T/r/journal" | uniq -c | awk '{ print $1 $2 }' | paste -sd' ')" \
	"5deleting 5deleted" "an uninterrupted run journals the five deletions as one batch"
is "$(grep -c 'catalog: install signature' "$T/.err")" 1 "and rewrites the catalog once"
[ "$steps" -gt 0 ] || { skip "crash steps: built without fault injection"; done_testing; }

bad_ids='' bad_keys='' bad_files='' bad_journal='' bad_verify='' bad_rc='' crashed=0
# Under valgrind every step costs seconds: take every 6th and the last three there.
stride=1
[ -n "${XP_VALGRIND:-}" ] && stride=6
tried=0
for ((n = 1; n <= steps; n++)); do
	[ $(((n - 1) % stride)) -eq 0 ] || [ "$n" -gt $((steps - 3)) ] || continue
	tried=$((tried + 1))
	# Each copy is the template again, older than what the last run left: a host that had
	# seen that run would refuse it as rolled back, so each starts on a host without pins.
	rm -rf "$T/r" "$XP_STATE_DIR" && cp -a "$R0" "$T/r"
	mkdir -p "$XP_STATE_DIR" && cp -a "$T/vault0" "$XP_STATE_DIR/vault"
	# in a subshell, so the shell's "Killed" notice goes with its stderr
	(
		XP_FAULT_AT=$n "$XP_BUILDDIR/src/xpexpire/xpexpire" -r "$T/r" --keep-last 2
		echo $? >"$T/crash.rc"
	) >/dev/null 2>&1
	[ "$(cat "$T/crash.rc")" -eq 137 ] && crashed=$((crashed + 1))
	xpexpire -r "$T/r" --keep-last 2 >/dev/null 2>"$T/rerun.err" || bad_rc="$bad_rc $n"
	[ "$(ids "$T/r")" = "$want" ] || bad_ids="$bad_ids $n"
	[ "$(files "$T/r")" = "$want" ] || bad_files="$bad_files $n"
	[ -z "$(find "$T/r/keys" -name '*.key' -path '*/shred/*')$(find "$XP_STATE_DIR/vault" \
		-name '*.key*')" ] || bad_keys="$bad_keys $n"
	# every backup that went is journaled deleted exactly once, and nothing else is
	[ "$(awk -F'\t' '$3 == "deleted" { print $2 }' "$T/r/journal" | sort | uniq -u | wc -l)" = 5 ] &&
		[ "$(awk -F'\t' '$3 == "deleted"' "$T/r/journal" | wc -l)" = 5 ] || bad_journal="$bad_journal $n"
	xpverify -r "$T/r" >/dev/null 2>&1 || bad_verify="$bad_verify $n"
done
is "$crashed" "$tried" "each of the $tried fault points tried (of $steps) kills the run"
is "$bad_rc" "" "the run after a crash succeeds"
is "$bad_ids" "" "after a crash and a rerun the catalog lists exactly the two newest"
is "$bad_files" "" "after a crash and a rerun exactly their files remain"
is "$bad_keys" "" "after a crash and a rerun the deleted shreddable backup's key file is gone"
is "$bad_journal" "" "after a crash and a rerun each deleted backup is journaled deleted once"
is "$bad_verify" "" "after a crash and a rerun xpverify finds the repository consistent"

done_testing
