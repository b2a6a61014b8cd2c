#!/bin/bash
# xpexpire reaches every registered copy: an expired backup goes from each copy it can reach,
# journaled per copy; a copy it cannot reach fails the run (status 1) naming it, and the next
# run finishes there. xpverify --copies reports what expiry left on a copy, and foreign files.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify xpexpire; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
sealed_repo 3 50000
order=$(awk -F'\t' '$1 !~ /^#/ { print $3 "\t" $1 }' "$R/catalog" | LC_ALL=C sort | cut -f2)
old1=$(echo "$order" | sed -n 1p)
old2=$(echo "$order" | sed -n 2p)
newest=$(echo "$order" | sed -n 3p)
backups() { (cd "$1" && find data -name '*.xps' | sed 's|.*/||; s|\.xps$||' | LC_ALL=C sort | paste -sd' '); }
files() { (cd "$1" && find data -type f | LC_ALL=C sort | paste -sd' '); }

xpcopy add -r "$R" --jurisdiction eu a "$T/a"
xpcopy add -r "$R" --jurisdiction eu b "$T/b"
run xpcopy -r "$R"
is "$rc" 0 "both copies made"

# A foreign file, and a backup-like file the repository never had
mkdir -p "$T/a/data/ff"
echo "someone else's" >"$T/a/notes.txt"
stranger=ffffffffffffffffffffffffffffffff
cp "$T/a/data/${old1:0:2}/$old1.xps" "$T/a/data/ff/$stranger.xps"
run xpverify -r "$R" --copies
is "$rc" 1 "foreign files on a copy fail xpverify --copies with status 1"
is "$(echo "$err" | LC_ALL=C sort)" "$(printf '%s\n' \
	"xpverify: copy a: data/ff/$stranger.xps: a backup the repository never had (foreign)" \
	"xpverify: copy a: notes.txt: not a file of the repository (foreign)" | LC_ALL=C sort)" \
	"each is named"
like "$out" "*copy b: no findings*" "the other copy has none"
run xpverify -r "$R" --copies --json
is "$rc" 1 "with --json, the same status"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
for c in o["copies"]:
    print(c["target"], c["error"], c["warnings"], len(c["findings"]))
    for f in sorted(c["findings"], key=lambda f: f["path"]):
        print(" ", f["kind"], f["id"] or "-", f["path"], f["message"])
print(o["findings"]["missing"], len(o["results"]))')" "$(printf '%s\n' \
	"a None 0 2" \
	"  foreign $stranger data/ff/$stranger.xps copy a: data/ff/$stranger.xps: a backup the repository never had (foreign)" \
	"  foreign - notes.txt copy a: notes.txt: not a file of the repository (foreign)" \
	"b None 0 0" "0 3")" \
	"and the copies' findings in the JSON object, per copy, beside the repository's"

# Copy b becomes unreachable (its disk is not mounted: a file where its directory was)
mv "$T/b" "$T/b.away"
: >"$T/b"
run xpexpire -r "$R" --keep-last 1
is "$rc" 1 "expiry with a copy it cannot reach exits 1"
is "$(printf '%s\n' "$out" | grep '^deleted' | LC_ALL=C sort | paste -sd,)" \
	"$(printf '%s\n' "deleted $old1 from a" "deleted $old2 from a" | LC_ALL=C sort | paste -sd,)" \
	"it deleted from the copy it reached"
like "$err" "*xpexpire: copy b: $T/b: Not a directory (its deletions are finished by the next run)*" \
	"and names the copy it could not reach"
like "$err" "*xpexpire: 1 of 2 copies not brought up to date" "and sums up"
is "$(backups "$T/a")" "$(printf '%s\n' "$newest" "$stranger" | LC_ALL=C sort | paste -sd' ')" \
	"copy a keeps the newest backup, and the foreign file: expiry never touches what the repository never had"
is "$(files "$T/a" | tr ' ' '\n' | grep -c "$old1\|$old2")" 0 "no signature or temp file of the expired ones is left on a"
is "$(awk -F'\t' '$3 == "copy-deleted" { print $2 " " $4 }' "$R/journal" | LC_ALL=C sort | paste -sd,)" \
	"$(printf '%s\n' "$old1 target a" "$old2 target a" | LC_ALL=C sort | paste -sd,)" \
	"each deletion is journaled for the copy it was made on"
grep -q "^catalog\$" <(cd "$T/a" && ls) && cmp -s "$R/catalog" "$T/a/catalog"
ok $? "copy a's catalog is brought up to date"

# b comes back: xpverify reports what expiry left there, the next run finishes it
rm "$T/b"
mv "$T/b.away" "$T/b"
rm "$T/a/notes.txt" "$T/a/data/ff/$stranger.xps"
run xpverify -r "$R" --copies
is "$rc" 1 "xpverify --copies: expired backups still on a copy are findings (status 1)"
is "$(echo "$err" | grep -c "copy b: data/.*: a backup deleted from the repository is still on the copy")" 4 \
	"each file named (two backups, two signatures)"
run xpexpire -r "$R" --keep-last 1
is "$rc" 0 "the next expiry exits 0"
is "$(printf '%s\n' "$out" | grep '^deleted' | LC_ALL=C sort | paste -sd,)" \
	"$(printf '%s\n' "deleted $old1 from b" "deleted $old2 from b" | LC_ALL=C sort | paste -sd,)" \
	"and finishes the deletions on b, though it deleted nothing new"
is "$(backups "$T/b")" "$newest" "b holds the newest backup only"
is "$(awk -F'\t' '$3 == "copy-deleted" && $4 == "target b" { print $2 }' "$R/journal" | LC_ALL=C sort | paste -sd' ')" \
	"$(printf '%s\n' "$old1" "$old2" | LC_ALL=C sort | paste -sd' ')" "journaled for b"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | grep -c '^copy .: no findings')" "0:2" "xpverify --copies: both copies clean"
run xpcopy list -r "$R"
is "$out" "$(printf 'name\tjurisdiction\tbackups\turl\na\teu\t1\t%s\nb\teu\t1\t%s' "$T/a" "$T/b")" \
	"list: one backup recorded on each copy"

# A tampered copy is status 3; removing it and copying again repairs it
printf 'X' | dd of="$T/b/data/${newest:0:2}/$newest.xps" bs=1 seek=100 conv=notrunc 2>/dev/null
run xpverify -r "$R" --copies
is "$rc:$err" "3:xpverify: copy b: data/${newest:0:2}/$newest.xps: its bytes are not those of the catalog (tampered or damaged)" \
	"a tampered backup on a copy fails xpverify --copies with status 3, named"
printf 'X' | dd of="$T/b/data/${newest:0:2}/$newest.xps.minisig" bs=1 seek=10 conv=notrunc 2>/dev/null
run xpverify -r "$R" --copies
like "$err" "*copy b: data/${newest:0:2}/$newest.xps.minisig: not the repository's signature*" "so is a tampered signature"
rm "$T/b/data/${newest:0:2}/$newest.xps"
run xpverify -r "$R" --copies
is "$rc:$err" "1:xpverify: copy b: data/${newest:0:2}/$newest.xps: missing (the journal records it copied there)" \
	"a backup gone from a copy it was recorded on is missing (status 1)"
run xpcopy -r "$R" b
is "$rc:$out" "0:$(printf 'copied %s to b\nb: 1 backups copied' "$newest")" "xpcopy copies it again"
run xpverify -r "$R" --copies
is "$rc" 0 "and the copy is clean again"

done_testing
