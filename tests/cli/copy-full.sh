#!/bin/bash
# A directory target that fills up: xpcopy fails (status 1) naming the copy and the reason,
# the backup that did not fit has no name and no temp file left there, what fitted is
# recorded, and once there is room the next run copies the rest.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
F=$T/full
mkdir -p "$F"
mount -t tmpfs -o size=1m,mode=0700 xptest-full "$F" 2>"$T/mount.err" ||
	skip_all "cannot mount a small tmpfs here: $(cat "$T/mount.err")"
at_exit "umount '$F'"
R=$T/repo
export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" "copy full test password"
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
# 400 kB that do not compress: two backups fit in 1 MB, the third does not
ids=()
for _ in 1 2 3; do
	head -c 400000 /dev/urandom >"$T/in"
	ids+=("$(xpseal -r "$R" --source db -i "$T/in")") || { echo "Bail out! xpseal failed"; exit 1; }
done
order=$(awk -F'\t' '$1 !~ /^#/ { print $3 "\t" $1 }' "$R/catalog" | LC_ALL=C sort | cut -f2)
third=$(echo "$order" | sed -n 3p)

xpcopy add -r "$R" --jurisdiction eu small "$F/xp"
run xpcopy -r "$R"
is "$rc" 1 "a full target fails the copy with status 1"
is "$err" "xpcopy: copy small: data/${third:0:2}/$third.xps: No space left on device" \
	"naming the copy, the file and the reason"
is "$(printf '%s\n' "$out" | grep -c '^copied ')" 2 "the two backups that fitted were copied"
is "$(cd "$F/xp" && find . -name "*$third*" | sed 's|.*/||' | LC_ALL=C sort | paste -sd' ')" \
	"$third.xps.minisig" "the third has no name there, and no temp file is left"
is "$(xpcopy list -r "$R" small | LC_ALL=C sort | paste -sd' ')" \
	"$(echo "$order" | sed -n 1,2p | LC_ALL=C sort | paste -sd' ')" "only the two copied are recorded"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy small: no findings" "the copy is consistent: what is there is whole"

mount -o remount,size=4m "$F" 2>/dev/null || { echo "Bail out! cannot grow the tmpfs"; exit 1; }
run xpcopy -r "$R"
is "$rc:$out" "$(printf '0:copied %s to small\nsmall: 1 backups copied' "$third")" "with room again, the next run copies the rest"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy small: no findings" "and the copy is whole"

done_testing
