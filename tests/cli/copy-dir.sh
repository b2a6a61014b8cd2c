#!/bin/bash
# xpcopy to a directory target: registration on this host, incremental and checked copies,
# the journal's record of them, a copy that opens with the password, a run killed mid-way
# and resumed, and a repository file that differs from the catalog.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
copy_repo 200000
sh=$(xpseal -r "$R" --source erase --shreddable -i "$T/in") || { echo "Bail out! xpseal failed"; exit 1; }
ids+=("$sh")
# killed N TARGET: xpcopy to TARGET killed at fault point N; $rc (in a subshell, so that the
# shell's "Killed" notice goes with its stderr)
killed() {
	(
		XP_FAULT_AT=$1 "$XP_BUILDDIR/src/xpcopy/xpcopy" -r "$R" "$2"
		echo $? >"$T/crash.rc"
	) >/dev/null 2>&1
	rc=$(cat "$T/crash.rc")
}
files_of() { for i in "$@"; do printf 'data/%s/%s.xps\ndata/%s/%s.xps.minisig\n' "${i:0:2}" "$i" "${i:0:2}" "$i"; done; }
meta=$(printf '%s\n' catalog catalog.minisig config journal keys/repo.id keys/repo.key keys/repo.pub keys/signer.pub)
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

# Registration
run xpcopy list -r "$R"
is "$rc.$out" "0.$R: no copy target registered (xpcopy add)" "list with no target says so, status 0"
run xpcopy -r "$R"
is "$rc:$err" "1:xpcopy: $R: no copy target registered (xpcopy add)" "copying with no target registered fails, saying so"
run xpcopy add -r "$R" nas "$C"
is "$rc:${err%%$'\n'*}" "2:xpcopy: add needs --jurisdiction eu or non-eu" "add needs a declared jurisdiction"
run xpcopy add -r "$R" --jurisdiction moon nas "$C"
is "$rc:$err" "2:xpcopy: moon: the jurisdiction is eu or non-eu" "a jurisdiction is eu or non-eu"
run xpcopy add -r "$R" --jurisdiction eu nas relative/dir
is "$rc:$err" "2:xpcopy: relative/dir: a target is an absolute directory or rclone:REMOTE:PATH" \
	"a directory target is an absolute path"
run xpcopy add -r "$R" --jurisdiction eu 'n/s' "$C"
is "$rc" 2 "a target's name is letters, digits, '.', '_' or '-'"
run xpcopy add -r "$R" --jurisdiction eu nas "$C"
is "$rc:$out:$err" "0::" "a directory target is registered"
run xpcopy add -r "$R" --jurisdiction eu nas "$T/other"
is "$rc:$err" "1:xpcopy: copy nas: already registered" "a name is registered once"
run xpcopy list -r "$R"
is "$rc:$out" "0:$(printf 'name\tjurisdiction\tbackups\turl\nnas\teu\t0\t%s' "$C")" "list shows the target, nothing on it yet"
run xpcopy list -r "$R" nas
is "$rc.$out" "0.copy nas: no backup recorded there" "list NAME of a target with nothing on it says so, status 0"
rid=$(tail -n 1 "$R/keys/repo.id")
is "$(cat "$XP_STATE_DIR/copies/$rid/targets")" "$(printf 'nas\t%s\teu\t-' "$C")" \
	"targets are registered in this host's state directory"
run grep -rlF "$C" "$R"
is "$rc:$out" "1:" "and nowhere in the repository"

# Copying
run xpcopy -r "$R" nas
is "$rc" 0 "xpcopy copies to the target"
is "$(printf '%s\n' "$out" | grep -c '^copied ')" 3 "three backups copied"
like "$out" "*nas: 3 backups copied" "and it says how many"
# Where the disk takes direct writes, a backup goes from the buffer it was hashed in to the
# disk, not through the page cache (only its last partial block does): nothing is left for the
# fsync before its rename to wait for.
if ! command -v fincore >/dev/null; then
	skip "fincore (util-linux) is not installed"
elif ! dd if=/dev/zero of="$T/direct" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
	skip "$T does not take direct writes"
else
	f=$C/data/${ids[0]:0:2}/${ids[0]}.xps
	size=$(stat -c %s "$f")
	is "$(fincore --bytes --noheadings --output RES "$f" | tr -d ' ')" \
		"$((size % 4096 ? $(getconf PAGESIZE) : 0))" \
		"a backup is written to the disk directly, not left in the page cache but for its last block"
fi
is "$(listing "$C")" "$(printf '%s\n%s\n' "$(files_of "${ids[@]}")" "$meta" | LC_ALL=C sort)" \
	"the target holds the backups, their signatures, catalog, journal and keys, and no shred key"
for f in $(files_of "${ids[@]}") $meta; do
	cmp -s "$R/$f" "$C/$f" || echo "differs: $f"
done >"$T/diffs"
is "$(cat "$T/diffs")" "" "every copied file has the repository's bytes"
is "$(awk -F'\t' '$3 == "copied" && $4 == "target nas" { print $2 }' "$R/journal" | sort | paste -sd' ')" \
	"$(printf '%s\n' "${ids[@]}" | sort | paste -sd' ')" "the journal records each backup copied to nas"
is "$(awk -F'\t' '$3 == "copied" && NF == 7 && $7 != "-" { n++ } END { print n }' "$R/journal")" 3 \
	"each record is signed"
run xpcopy list -r "$R" nas
is "$(echo "$out" | sort)" "$(printf '%s\n' "${ids[@]}" | sort)" "list NAME shows the backups recorded on it"
run xpcopy -r "$R"
is "$rc:$out" "0:nas: 0 backups copied" "a second run copies nothing: only what is missing"
new=$(xpseal -r "$R" --source db -i "$T/in")
run xpcopy -r "$R"
is "$rc:$out" "$(printf '0:copied %s to nas\nnas: 1 backups copied' "$new")" "a new backup is copied alone"
ids+=("$new")
run xpverify -r "$R" --copies
is "$rc" 0 "xpverify --copies finds the copy good"
like "$out" "*copy nas: no findings" "and says so"
run xpverify -r "$C"
is "$(echo "$err" | grep -v "^xpverify: data/${sh:0:2}/$sh.xps: shred key keys/shred/$sh.key is missing")" "" \
	"the directory copy verifies as a repository, but for the shred key it does not carry"
run xpseal open -r "$C" --password-file "$T/pw" -o "$T/opened" "${ids[0]}"
is "$rc" 0 "a backup opens from the copy with the password"
cmp -s "$T/in" "$T/opened"
ok $? "to the bytes sealed"
# another host: the key is in this host's vault, never in a copy of the data
run env XP_STATE_DIR="$T/other-host" "$XP_BUILDDIR/src/xpseal/xpseal" open -r "$C" \
	--password-file "$T/pw" -o "$T/opened2" "$sh"
ok "$([ "$rc" -ne 0 ]; echo $?)" "a shreddable backup does not open from the copy: its key is not there"
# There, the key a copy of the data never carries is no finding; on this host, which keeps the
# repository's keys, a missing one is.
run env XP_STATE_DIR="$T/other-host" "$XP_BUILDDIR/src/xpverify/xpverify" -r "$C" -p "$R/keys/signer.pub"
is "$rc:$(echo "$out" | tail -n 1)" "0:catalog and journal: no findings" \
	"xpverify on another host: the copy's shreddable backup lacking its key is no finding"
# (a copy of the copy: a deep check journals what it verified)
cp -a "$C" "$T/copy-of-copy"
run env XP_STATE_DIR="$T/other-host" "$XP_BUILDDIR/src/xpverify/xpverify" -r "$T/copy-of-copy" \
	-p "$R/keys/signer.pub" --deep --password-file "$T/pw" "$sh"
is "$rc:$(echo "$out" | tail -n 1)" "0:$sh: shreddable, its key is in the backup host's vault: not opened" \
	"xpverify --deep there passes it over, as it does a shredded one"
mv "$XP_STATE_DIR/vault/$rid/$sh.key" "$T/held.key"
run xpverify -r "$R"
is "$rc" 1 "xpverify on the backup host: a key missing from its vault fails"
like "$err" "*data/${sh:0:2}/$sh.xps: its key $sh.key is in neither $XP_STATE_DIR/vault/$rid nor keys/shred*" \
	"naming the backup and the vault"
mv "$T/held.key" "$XP_STATE_DIR/vault/$rid/$sh.key"

# A run killed between writing a backup and renaming it, then resumed. Backups are written
# under temp names, then each file fsynced and renamed in order; the fault point's number
# comes from a traced run to another new target: per backup, its signature's
# copy-before-fsync, then the backup's (the 4th is the second backup's .xps).
xpcopy add -r "$R" --jurisdiction eu probe "$T/probe"
XP_FAULT_TRACE=1 xpcopy -r "$R" probe 2>"$T/trace" >/dev/null
point() { awk -v what="$1" -v nth="$2" '$0 ~ what && ++n == nth { sub(/.*fault point /, ""); sub(/:.*/, ""); print; exit }' "$T/trace"; }
k=$(point copy-before-fsync 4)
kj=$(point 'journal: append' 1)
xpcopy remove -r "$R" probe
xpcopy add -r "$R" --jurisdiction eu usb "$T/usb"
killed "$k" usb
is "$rc" 137 "a copy killed mid-way (SIGKILL at fault point $k)"
sorted=$(awk -F'\t' '$1 !~ /^#/ { print $3 "\t" $1 }' "$R/catalog" | LC_ALL=C sort | cut -f2)
first=$(echo "$sorted" | sed -n 1p)
second=$(echo "$sorted" | sed -n 2p)
temps() { for i in "$@"; do printf 'data/%s/.%s.xps.copying\ndata/%s/.%s.xps.minisig.copying\n' "${i:0:2}" "$i" "${i:0:2}" "$i"; done; }
# shellcheck disable=SC2046
is "$(listing "$T/usb")" "$(printf '%s\n%s\n%s\n%s\n' "$(files_of "$first")" \
	"data/${second:0:2}/$second.xps.minisig" "data/${second:0:2}/.$second.xps.copying" \
	"$(temps $(echo "$sorted" | sed -n 3,4p))" | LC_ALL=C sort)" \
	"the half copied backups have only their temp names on the target"
run xpverify -r "$R" --copies
is "$rc" 0 "xpverify: an interrupted copy is no finding"
like "$err" "*warning: copy usb: data/${second:0:2}/.$second.xps.copying: an interrupted copy (the next copy ends it)*" \
	"but a warning naming the temp file"
run xpcopy -r "$R" usb
is "$rc" 0 "the next run resumes"
is "$(printf '%s\n' "$out" | grep -c '^copied ')" 3 "copying the three backups still missing"
is "$(listing "$T/usb")" "$(listing "$C")" "the target ends like the one never interrupted, no temp file left"
run xpcopy list -r "$R" usb
is "$(echo "$out" | sort)" "$(printf '%s\n' "${ids[@]}" | sort)" "every backup is recorded on it"

# A run killed after renaming the backups but before journaling them: the next run reads them
# back and records them, without copying them again.
xpcopy add -r "$R" --jurisdiction eu disk3 "$T/disk3"
killed "$kj" disk3
is "$rc" 137 "a copy killed before its journal records (fault point $kj)"
is "$(awk -F'\t' '$4 == "target disk3"' "$R/journal" | wc -l)" 0 "nothing is recorded on disk3 yet"
is "$(cd "$T/disk3" && find data -name '*.xps' | wc -l)" 4 "though the four backups are there"
printf 'X' | dd of="$T/disk3/data/${first:0:2}/$first.xps" bs=1 seek=3000 conv=notrunc 2>/dev/null
run xpcopy -r "$R" disk3
is "$rc:$out" "$(printf '0:copied %s to disk3\ndisk3: 1 backups copied' "$first")" \
	"the next run reads them back and copies only the one whose bytes are not the catalog's"
cmp -s "$R/data/${first:0:2}/$first.xps" "$T/disk3/data/${first:0:2}/$first.xps"
ok $? "which now has the repository's bytes"
is "$(xpcopy list -r "$R" disk3 | sort)" "$(printf '%s\n' "${ids[@]}" | sort)" "and records all four"
is "$(awk -F'\t' '$3 == "copied" && $4 == "target disk3"' "$R/journal" | wc -l)" 4 "once each"
xpcopy remove -r "$R" disk3

# Links planted on a target are never written through: one at a temp name is replaced, one
# as a directory fails the copy
xpcopy add -r "$R" --jurisdiction eu linked "$T/linked"
echo "victim" >"$T/victim"
mkdir -p "$T/linked/data/${first:0:2}"
ln -s "$T/victim" "$T/linked/data/${first:0:2}/.$first.xps.copying"
run xpcopy -r "$R" linked
is "$rc" 0 "a link at a temp name: the copy succeeds"
is "$(cat "$T/victim")" "victim" "and the file it pointed to is untouched"
ok "$([ ! -L "$T/linked/data/${first:0:2}/.$first.xps.copying" ] && cmp -s "$R/data/${first:0:2}/$first.xps" "$T/linked/data/${first:0:2}/$first.xps"; echo $?)" \
	"the link is gone and the backup is in place"
xpcopy add -r "$R" --jurisdiction eu linked2 "$T/linked2"
mkdir -p "$T/linked2/data" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/linked2/data/${first:0:2}"
run xpcopy -r "$R" linked2
is "$rc" 1 "a link as data/XX on the target fails the copy"
like "$err" "*copy linked2: $T/linked2/data/${first:0:2} (not a directory, or a link)*" "naming it"
is "$(ls -A "$T/elsewhere")" "" "and nothing is written where it points"
xpcopy remove -r "$R" linked
xpcopy remove -r "$R" linked2

# A repository file that is not what the catalog says is never copied
xpcopy add -r "$R" --jurisdiction eu fresh "$T/fresh"
f=$R/data/${first:0:2}/$first.xps
printf 'X' | dd of="$f" bs=1 seek=5000 conv=notrunc 2>/dev/null
run xpcopy -r "$R" fresh
is "$rc" 3 "a backup that differs from the catalog fails the copy with status 3"
like "$err" "*copy fresh: data/${first:0:2}/$first.xps: the bytes sent (*) are not those of the catalog*" \
	"naming the file"
ok "$([ ! -e "$T/fresh/data/${first:0:2}/$first.xps" ] && [ ! -e "$T/fresh/data/${first:0:2}/.$first.xps.copying" ]; echo $?)" \
	"and nothing of it is on the target"

done_testing
