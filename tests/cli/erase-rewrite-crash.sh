#!/bin/bash
# xperase --rewrite killed at every fault point of its replacements (the seal of the new
# backup, the "erasing" record, the rename, the catalog write, the old key's destruction, the
# old files' removal, the "deleted" and "erased" records), then killed with SIGKILL at random
# moments: right after the crash the catalog lists each backup old or new, exactly once; the
# next change (xpexpire) finishes or undoes the replacement, after which the files on disk are
# those of the catalog and xpverify exits 0; the next xperase --rewrite ends with every backup
# rewritten, the replaced ones deleted once, the old shred key gone.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 3000 10 2026-11-20
for s in "" --shreddable; do
	# shellcheck disable=SC2086
	XP_NOW=2026-11-21T00:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time |
		XP_NOW=2026-11-21T00:00:00Z xpseal -q -r "$R" --require-dump $s >/dev/null ||
		{ echo "Bail out! xpseal failed"; exit 1; }
done
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-17 --reason "Art. 17 request" -t audit_log \
	--value 'user_name=CORP\j.smith' >/dev/null || { echo "Bail out! xperase failed"; exit 1; }
mv "$R" "$T/template"
cp -a "$XP_STATE_DIR/vault" "$T/vault0"
olds=$(awk -F'\t' '$1 !~ /^#/ { print $1 }' "$T/template/catalog" | sort | paste -sd' ')
shred_old=$(awk -F'\t' '$1 !~ /^#/ && $10 == "yes" { print $1 }' "$T/template/catalog")

ids() { awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog" | sort | paste -sd' '; }
files() {
	find "$R/data" -type f | sed 's|.*/||' | sort | paste -sd' '
}
files_of() {
	local i
	for i in "$@"; do printf '%s.xps\n%s.xps.minisig\n' "$i" "$i"; done | sort | paste -sd' '
}
fresh() {
	rm -rf "$R" "$XP_STATE_DIR"
	cp -a "$T/template" "$R"
	mkdir -p "$XP_STATE_DIR" && cp -a "$T/vault0" "$XP_STATE_DIR/vault"
}
# once: each old backup or its replacement (the "erasing" record names it) is listed, not both
once() {
	local o n listed
	listed=" $(ids) "
	for o in $olds; do
		n=$(awk -F'\t' -v o="$o" '$2 == o && $3 == "erasing" { print $5 }' "$R/journal" | tail -1)
		case "$listed" in *" $o "*) [ -z "$n" ] || [[ $listed != *" $n "* ]] || return 1 ;;
		*) [ -n "$n" ] && [[ $listed == *" $n "* ]] || return 1 ;;
		esac
	done
	[ "$(wc -w <<<"$listed")" -eq 2 ]
}
# settled: after a recovery, the files are the catalog's and xpverify finds nothing
settled() {
	# shellcheck disable=SC2046 # ids are words
	[ "$(files)" = "$(files_of $(ids))" ] && xpverify -r "$R" >/dev/null 2>&1
}
# done_right: every backup rewritten, each replaced one deleted once, the old key gone
done_right() {
	local o
	[ "$(xperase -r "$R" --dry-run 2>/dev/null | grep -c ': 0 rows$')" -eq 2 ] || return 1
	for o in $olds; do
		[[ " $(ids) " != *" $o "* ]] || return 1
		[ "$(awk -F'\t' -v o="$o" '$2 == o && $3 == "deleted"' "$R/journal" | wc -l)" -eq 1 ] || return 1
		[ "$(awk -F'\t' -v o="$o" '$2 == o && $3 == "erased"' "$R/journal" | wc -l)" -eq 1 ] || return 1
	done
	[ ! -e "$XP_STATE_DIR/vault/$(sed -n 2p "$R/keys/repo.id")/$shred_old.key" ] && settled
}

R=$T/repo
fresh
t0=$(date +%s%N)
XP_FAULT_TRACE=1 run xperase -r "$R" --rewrite
ms=$((($(date +%s%N) - t0) / 1000000))
cp "$T/.err" "$T/trace"
steps=$(grep -c 'fault point' "$T/trace")
ok "$(done_right; echo $?)" "an uninterrupted run rewrites both backups"
like "$(grep 'fault point' "$T/trace" | sed 's/.*: fault point [0-9]*: //' | sort -u | paste -sd'|')" \
	"*erase: catalog*erase: intent*erase: journal*erase: sealed*" "the replacement passes its fault points"
[ "$steps" -gt 0 ] || { skip "crash steps: built without fault injection"; done_testing; }

bad_kill='' bad_once='' bad_settled='' bad_rerun='' bad_final=''
for ((n = 1; n <= steps; n++)); do
	fresh
	(
		XP_FAULT_AT=$n "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --rewrite
		echo $? >"$T/crash.rc"
	) >/dev/null 2>&1
	[ "$(cat "$T/crash.rc")" -eq 137 ] || bad_kill="$bad_kill $n"
	once || bad_once="$bad_once $n"
	xpexpire -r "$R" --keep-last 10 >/dev/null 2>&1 && once && settled || bad_settled="$bad_settled $n"
	xperase -r "$R" --rewrite >/dev/null 2>&1 || bad_rerun="$bad_rerun $n"
	done_right || bad_final="$bad_final $n"
done
is "$bad_kill" "" "each of the $steps fault points kills the run"
is "$bad_once" "" "right after each crash every backup is listed old or new, exactly once"
is "$bad_settled" "" "the next change finishes or undoes it: the files are the catalog's, xpverify exits 0"
is "$bad_rerun" "" "xperase --rewrite after each crash succeeds"
is "$bad_final" "" "and ends with every backup rewritten, each old one deleted once, its key gone"

# SIGKILL at random moments of the whole run (its own process group: the children go too)
# within the time an uninterrupted run took
bad_once='' bad_settled='' bad_final='' hit=0
for i in 1 2 3 4 5 6; do
	fresh
	setsid "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --rewrite >/dev/null 2>&1 &
	pid=$!
	# every other kill waits for a replacement to begin, then comes within 300 ms
	if [ $((i % 2)) -eq 0 ]; then
		for _ in $(seq 1 3000); do
			grep -q '	erasing	' "$R/journal" && break
			sleep 0.01
		done
		wait_ms=$((RANDOM % 300))
	else
		wait_ms=$(((RANDOM * 32768 + RANDOM) % (ms + 1)))
	fi
	sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -q '	erasing	' "$R/journal" && hit=$((hit + 1))
	once || bad_once="$bad_once $i"
	xpexpire -r "$R" --keep-last 10 >/dev/null 2>&1 && once && settled || bad_settled="$bad_settled $i"
	xperase -r "$R" --rewrite >/dev/null 2>&1 && done_right || bad_final="$bad_final $i"
done
diag "$hit of 6 random kills came after a replacement had begun"
is "$bad_once" "" "killed at random: every backup listed old or new, exactly once"
is "$bad_settled" "" "killed at random: the next change leaves files and catalog agreeing, xpverify 0"
is "$bad_final" "" "killed at random: the next xperase --rewrite finishes the job"

# stopped after its intent, while the old backup goes on legal hold (or is deleted by
# retention): the replacement is undone, the old backup stays as it was, the new one leaves no
# trace
n=$(grep 'fault point' "$T/trace" | sed -n 's/^xperase: fault point \([0-9]*\): erase: intent$/\1/p' | head -1)
for what in hold expire; do
	fresh
	XP_FAULT_STOP=$n "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --rewrite >"$T/stop.out" 2>"$T/stop.err" &
	pid=$!
	wait_stopped "$pid"
	o=$(awk -F'\t' '$3 == "erasing" { print $2 }' "$R/journal")
	new=$(awk -F'\t' '$3 == "erasing" { print $5 }' "$R/journal")
	if [ "$what" = hold ]; then
		xpexpire -r "$R" --hold "$o" --reason "court order" >/dev/null 2>&1
	else
		xpexpire -r "$R" --keep-last 1 >/dev/null 2>&1
	fi
	kill -CONT "$pid"
	wait "$pid"
	rc=$?
	like "$rc:$(cat "$T/stop.err")" "1:*$o: the rewrite into $new was undone*" \
		"$what meanwhile: the rewrite of that backup fails, saying it was undone"
	is "$(awk -F'\t' -v o="$o" '$2 == o && $3 ~ /^eras/ { print $3 }' "$R/journal" | paste -sd' ')" \
		"erasing erase-undone" "$what meanwhile: journaled erase-undone"
	ok "$([[ " $(ids) " != *" $new "* ]] && [ ! -e "$R/data/${new:0:2}/$new.xps" ] &&
		[ ! -e "$R/data/${new:0:2}/$new.xps.minisig" ] &&
		[ ! -e "$XP_STATE_DIR/vault/$(sed -n 2p "$R/keys/repo.id")/$new.key" ]; echo $?)" \
		"$what meanwhile: the new backup is neither cataloged nor on disk nor in the vault"
	run xpverify -r "$R"
	is "$rc" 0 "$what meanwhile: xpverify exits 0"
done

done_testing
