#!/bin/bash
# xpcopy to a directory target that fails in ways other than filling up (copy-full.sh): the
# target going away mid-copy, and a target that already holds files at the backups' names
# that are not the repository's (tampered, or another repository's).
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify xpcopy; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
sealed_repo 3 60000
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
# whole DIR: the files of DIR named like the repository's that differ from them
whole() { (cd "$1" && find data -type f ! -name '.*' | while read -r f; do cmp -s "$f" "$R/$f" || echo "$f"; done); }

# --- the target goes away mid-copy --------------------------------------------------------
# Stopped before naming the second backup (fault point from a traced run to another target),
# the target's directory is replaced by a file (a mount gone), then the run goes on.
xpcopy add -r "$R" --jurisdiction eu probe "$T/probe"
XP_FAULT_TRACE=1 xpcopy -r "$R" probe 2>"$T/trace" >/dev/null
k=$(awk '/copy-before-fsync/ && ++n == 4 { sub(/.*fault point /, ""); sub(/:.*/, ""); print; exit }' "$T/trace")
xpcopy remove -r "$R" probe
xpcopy add -r "$R" --jurisdiction eu usb "$T/usb"
XP_FAULT_STOP=$k "$XP_BUILDDIR/src/xpcopy/xpcopy" -r "$R" usb >"$T/out" 2>"$T/err" &
pid=$!
wait_stopped "$pid"
ok $? "xpcopy stopped while naming the backups it wrote"
mv "$T/usb" "$T/usb.away"
: >"$T/usb"
kill -CONT "$pid"
wait "$pid"
is "$?" 1 "the target gone mid-copy: xpcopy exits 1"
is "$(cat "$T/err")" "xpcopy: copy usb: $T/usb: Not a directory" "naming the copy and why"
is "$(listing "$T/usb.away" | grep -c '\.copying$')" 0 "what it had written got its name or went: no temp file is left"
is "$(whole "$T/usb.away")" "" "every file with a backup's name has the repository's bytes"
ok "$([ ! -e "$T/usb.away/catalog" ]; echo $?)" "and the catalog, sent after the backups, is not there"
rm "$T/usb"
mv "$T/usb.away" "$T/usb"
run xpcopy -r "$R" usb
is "$rc:$out" "0:usb: 0 backups copied" "once it is back, the next run has no backup left to copy"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy usb: no findings" "and ends the copy: catalog, journal and keys"
is "$(listing "$T/usb")" "$(listing "$T/probe")" "the target is whole"

# --- files at the backups' names that are not the repository's ----------------------------
# One with the backup's size but other bytes (tampered), one of another size (another
# repository's backup under the same name): both are read back, found different and replaced.
first=${ids[0]} second=${ids[1]}
mkdir -p "$T/nas/data/${first:0:2}" "$T/nas/data/${second:0:2}"
cp "$R/data/${first:0:2}/$first.xps" "$T/nas/data/${first:0:2}/$first.xps"
printf 'X' | dd of="$T/nas/data/${first:0:2}/$first.xps" bs=1 seek=5000 conv=notrunc 2>/dev/null
head -c 1234 /dev/urandom >"$T/nas/data/${second:0:2}/$second.xps"
echo "not a signature" >"$T/nas/data/${second:0:2}/$second.xps.minisig"
xpcopy add -r "$R" --jurisdiction eu nas "$T/nas"
run xpcopy -r "$R" nas
is "$rc" 0 "a target holding other bytes at the backups' names: xpcopy succeeds"
is "$(printf '%s\n' "$out" | grep -c '^copied ')" 3 "copying all three, over what was there"
is "$(whole "$T/nas")" "" "every file now has the repository's bytes"
run xpverify -r "$R" --copies
is "$rc" 0 "xpverify --copies finds both copies good"

# --- a target not mounted: an empty directory where the copies were ------------------------
# Refused, by xpcopy and by the expiry that brings copies up to date, with nothing written
# there; --refill (a replaced disk) copies every backup again.
mv "$T/nas" "$T/nas.away"
mkdir "$T/nas"
run xpcopy -r "$R" nas
is "$rc:$out:$err" "1::xpcopy: copy nas: $T/nas is empty, but the journal records 3 backups copied there (not mounted?): nothing copied; if it was replaced, xpcopy --refill copies them again" \
	"xpcopy to an empty target where the journal records backups: status 1, saying why"
is "$(listing "$T/nas")" "" "and nothing is written there"
run xpexpire -r "$R" --keep-last 2
like "$rc:$err" "1:*xpexpire: copy nas: $T/nas is empty, but the journal records 3 backups copied there (not mounted?): nothing copied; if it was replaced, xpcopy --refill copies them again (its deletions are finished by the next run)*" \
	"xpexpire: the copy that cannot be brought up to date fails the run"
is "$(listing "$T/nas")" "" "with nothing written there either"
run xpcopy -r "$R" --refill nas
is "$rc:$(printf '%s\n' "$out" | tail -n 1)" "0:nas: 2 backups copied" "--refill copies the backups again"
run xpcopy list -r "$R" --refill
is "$rc" 2 "--refill goes with copying only"

done_testing
