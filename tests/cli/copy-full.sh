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
# 400 kB that do not compress: two backups fit in 1 MB, the third does not
sealed_repo 3 400000
order=$(awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog" | LC_ALL=C sort)
# Backups are written two at a time: which one finds the target full depends on which is
# written first, so the checks below hold whichever it is.
named() { (cd "$F/xp" && find data -name '*.xps' ! -name '.*' | sed 's|.*/||; s|\.xps$||' | LC_ALL=C sort); }

xpcopy add -r "$R" --jurisdiction eu small "$F/xp"
run xpcopy -r "$R"
is "$rc" 1 "a full target fails the copy with status 1"
failed=$(printf '%s\n' "$err" | sed -n 's|^xpcopy: copy small: data/[0-9a-f]\{2\}/\([0-9a-f]\{32\}\)\.xps\(\.minisig\)\{0,1\}: No space left on device$|\1|p')
is "$(printf '%s\n' "$order" | grep -cxF -e "${failed:-none}")" 1 "naming the copy, a backup's file and the reason"
copied=$(printf '%s\n' "$out" | sed -n 's/^copied \([0-9a-f]*\) to small$/\1/p' | LC_ALL=C sort)
ok "$([ -n "$copied" ] && ! printf '%s\n' "$copied" | grep -qxF -e "$failed"; echo $?)" \
	"the backups that fitted were copied, not the one that did not"
is "$(named)" "$copied" "only they have a name there"
is "$(cd "$F/xp" && find . -name '*.copying' | wc -l)" 0 "and no temp file is left"
is "$(xpcopy list -r "$R" small | LC_ALL=C sort)" "$copied" "only the backups copied are recorded"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy small: no findings" "the copy is consistent: what is there is whole"

mount -o remount,size=4m "$F" 2>/dev/null || { echo "Bail out! cannot grow the tmpfs"; exit 1; }
run xpcopy -r "$R"
is "$rc:$(printf '%s\n' "$out" | sed -n 's/^copied \([0-9a-f]*\) to small$/\1/p' | LC_ALL=C sort)" \
	"0:$(printf '%s\n' "$order" | grep -vxF -e "$copied")" "with room again, the next run copies the rest"
is "$(named)" "$order" "all three are there"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy small: no findings" "and the copy is whole"

done_testing
