#!/bin/bash
# xpverify -r on a copy that this host registered (xpcopy add): checked like a repository,
# but its catalog and journal are the repository's as of its last copy, so nothing is written
# to it (no journal record, no lock file), nothing is pinned from it, and a copy behind the
# repository is not taken for a rolled back one.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify xpcopy; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
copy_repo 100000
if ! { xpcopy add -r "$R" --jurisdiction eu nas "$C" && xpcopy -r "$R" >/dev/null; }; then
	echo "Bail out! xpcopy failed"
	exit 1
fi
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
xpverify -r "$R" >/dev/null || { echo "Bail out! the repository does not verify"; exit 1; }
before=$(listing "$C")
cp "$C/journal" "$T/journal.copied"

run xpverify -r "$C" --deep --password-file "$T/pw"
is "$rc:$(echo "$out" | grep -c ': deep check passed: 100000 bytes, not a dump stream$')" "0:2" \
	"xpverify --deep checks the copy's backups"
is "$err" "" "and says nothing of journaling"
cmp -s "$C/journal" "$T/journal.copied"
ok $? "the copy's journal is left as copied: no verified record"
is "$(listing "$C")" "$before" "nothing is added to the copy (no lock file)"
run xpverify -r "$C" --deep --password-file "$T/pw" --json "${ids[0]}"
like "$out" '*"deep":{"status":"passed"*"journaled":null*' "--json says the result was not journaled"
run xpverify -r "$R"
is "$rc:$err" "0:" "the repository still verifies: nothing of the copy was pinned as seen"

# A copy behind the repository: a backup sealed and verified, not copied yet.
new=$(xpseal -r "$R" --source db -i "$T/in")
xpverify -r "$R" >/dev/null || { echo "Bail out! the repository does not verify"; exit 1; }
run xpverify -r "$C"
is "$rc:$err:$(echo "$out" | tail -n 1)" "0::catalog and journal: no findings" \
	"a copy behind the repository is not taken for a rolled back one"
run xpverify -r "$C" --adopt
is "$rc:$err" "1:xpverify: $C: copy nas of a repository: --adopt changes the repository, never a copy" \
	"--adopt, which changes a repository, is refused on a copy"
is "$(listing "$C")" "$before" "and the copy is left as it was"
run xpcopy -r "$R"
is "$rc:$out" "$(printf '0:copied %s to nas\nnas: 1 backups copied' "$new")" "the next copy brings it up to date"
run xpverify -r "$R" --copies
is "$rc:$(echo "$out" | tail -n 1)" "0:copy nas: no findings" "and the repository's check of its copies finds it good"

# The same directory under another path is the same copy.
ln -s "$C" "$T/link"
run xpverify -r "$T/link" --deep --password-file "$T/pw"
cmp -s "$C/journal" "$R/journal"
ok $? "a copy reached through another path is not written to either"

# A registry of copies that cannot be read does not stop the checks of the repository.
rid=$(tail -n 1 "$R/keys/repo.id")
cp "$XP_STATE_DIR/copies/$rid/targets" "$T/targets"
printf 'not a target\n' >"$XP_STATE_DIR/copies/$rid/targets"
run xpverify -r "$R"
is "$rc:$err" "0:xpverify: $R: checked as a repository, not as a copy: $XP_STATE_DIR/copies/$rid/targets: line 1: not a target" \
	"an unreadable registry of copies is a warning, and the repository is checked"
cp "$T/targets" "$XP_STATE_DIR/copies/$rid/targets"

done_testing
