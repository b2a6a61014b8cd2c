#!/bin/bash
# A seal killed part way leaves its temp file data/XX/.ID.xps.tmp.XXXXXX. xpverify -r warns
# about it and exits 0; the next run that holds the repository lock (xpseal, xpexpire,
# xpverify --adopt) removes it, journals "discarded" and says so once; the temp file of a seal
# still running is never removed.
. "$XP_SRCDIR/tests/lib.sh"

export XP_SIGNING_KEY=$T/signer.key
R=$T/repo
XPSEAL=$XP_BUILDDIR/src/xpseal/xpseal
password "$T/pw" 'interrupted seals'
run xpseal init -r "$R" --password-file "$T/pw"
[ "$rc" -eq 0 ] || { echo "Bail out! xpseal init failed: $err"; exit 1; }
A=$(printf 'first backup\n' | xpseal -r "$R")
like "$A" "????????????????????????????????" "a first backup"

# temps: the seals' temp files under data/, relative to REPO, sorted.
temps() { find "$R/data" -name '.*.xps.tmp.*' | sed "s|^$R/||" | sort; }

# start_seal NAME: an xpseal (the program itself, so that a kill reaches it) reading the FIFO
# $T/NAME, whose writer the test keeps open (fd $SEAL_FD): it has read the first bytes and
# waits for more. Sets SEAL_PID, SEAL_FD and SEAL_TEMP (its temp file, once it is there).
start_seal() {
	local before i
	before=$(temps)
	mkfifo "$T/$1"
	exec {SEAL_FD}<>"$T/$1"
	printf 'the start of a dump\n' >&"$SEAL_FD"
	"$XPSEAL" -r "$R" -i "$T/$1" >"$T/$1.out" 2>"$T/$1.err" {SEAL_FD}>&- &
	SEAL_PID=$!
	for i in $(seq 100); do
		SEAL_TEMP=$(comm -13 <(printf '%s\n' "$before") <(temps) | grep .) && return 0
		sleep 0.1
	done
	SEAL_TEMP=
	diag "no temp file appeared after 10 s (i=$i)"
	return 1
}
# kill_seal: kill -9 the seal start_seal started last, mid-way.
kill_seal() {
	kill -9 "$SEAL_PID"
	wait "$SEAL_PID" 2>/dev/null
	exec {SEAL_FD}>&-
}
journal_discarded() { grep -c '	discarded	' "$R/journal"; }

start_seal first
kill_seal
DEAD=$SEAL_TEMP
like "$DEAD" "data/??/.????????????????????????????????.xps.tmp.??????" \
	"a seal killed mid-way leaves its temp file"
ID=${DEAD#data/??/.}
ID=${ID:0:32}

msg="temporary file of a seal in progress or interrupted (the next xpseal or xpexpire removes it once no seal holds it)"
run xpverify -r "$R"
is "$rc:$err" "0:xpverify: warning: $DEAD: $msg" "xpverify -r: exit 0, the leftover is a warning"
is "$(tail -1 <<<"$out")" "catalog and journal: no findings" "and no finding"
run xpverify -r "$R" --json
is "$rc:$err" "0:xpverify: warning: $DEAD: $msg" "xpverify -r --json: exit 0, the warning on standard error"
is "${out##*\"catalog\":}" "[{\"kind\":\"seal-temp\",\"id\":\"$ID\",\"path\":\"$DEAD\",\"message\":\"$DEAD: $msg\"}],\"warnings\":1}" \
	"--json lists it as a seal-temp warning and counts it"
is "$(temps)" "$DEAD" "xpverify leaves it alone"

run xpseal -r "$R" <<<'second backup'
is "$rc:$err" "0:xpseal: removed $DEAD left by an interrupted seal" \
	"the next xpseal removes the leftover and says so"
like "$out" "????????????????????????????????" "and seals its own backup"
is "$(temps)" "" "no temp file is left"
is "$(grep '	discarded	' "$R/journal" | cut -f2-5)" \
	"$ID	discarded	removed $DEAD left by an interrupted seal	-" \
	"journaled \"discarded\" with the backup id and the file"
run xpseal -r "$R" <<<'third backup'
is "$rc:$err:$(journal_discarded)" "0::1" "the next xpseal has nothing to say"
run xpverify -r "$R"
is "$rc:$err:$(tail -1 <<<"$out")" "0::catalog and journal: no findings" \
	"xpverify -r: no warning, and the journal chain verifies"

# A seal still running keeps its temp file while xpexpire and another xpseal run; only the
# leftover of a killed one goes.
start_seal second
kill_seal
DEAD=$SEAL_TEMP
start_seal live
LIVE=$SEAL_TEMP LIVE_PID=$SEAL_PID LIVE_FD=$SEAL_FD
is "$(temps)" "$(printf '%s\n' "$DEAD" "$LIVE" | sort)" "a killed seal's temp file and a running one's"
run xpverify -r "$R"
is "$rc:$(wc -l <<<"$err")" "0:2" "xpverify -r: exit 0, one warning for each"
run xpexpire -r "$R" --keep-last 10
is "$rc:$err" "0:xpexpire: removed $DEAD left by an interrupted seal" \
	"xpexpire removes the killed seal's temp file and says so"
is "$(temps)" "$LIVE" "the running seal's temp file is still there"
start_seal third
kill_seal
DEAD=$SEAL_TEMP
run xpseal -r "$R" <<<'fourth backup'
is "$rc:$err" "0:xpseal: removed $DEAD left by an interrupted seal" \
	"another xpseal removes a killed seal's temp file too"
is "$(temps)" "$LIVE" "and leaves the running seal's alone"
is "$(journal_discarded)" 3 "three leftovers journaled in all"

# The running seal, fed again, finishes its backup.
printf 'its end\n' >&"$LIVE_FD"
exec {LIVE_FD}>&-
wait "$LIVE_PID"
is "$?:$(cat "$T/live.err")" "0:" "the running seal completes"
B=$(cat "$T/live.out")
run xpseal open -r "$R" --password-file "$T/pw" "$B"
is "$rc:$out" "0:the start of a dump
its end" "its backup holds everything it was fed"
is "$(temps)" "" "no temp file is left"

# xpverify --adopt holds the lock too: it removes a leftover, and adopts only complete files.
start_seal fourth
kill_seal
DEAD=$SEAL_TEMP
run xpverify -r "$R" --adopt
is "$rc:$err" "0:xpverify: removed $DEAD left by an interrupted seal" \
	"xpverify --adopt removes the leftover, says so"
is "$(tail -1 <<<"$out")" "catalog and journal: no findings" "and adopts nothing"
run xpverify -r "$R"
is "$rc:$err" "0:" "the repository is clean"
run xpverify -r "$R" --json
is "${out##*\"catalog\":}" "[],\"warnings\":0}" "--json: no finding, no warning"

done_testing
