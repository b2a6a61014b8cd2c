#!/bin/bash
# Keys left behind: a key in the host's vault or a vault copy for a backup that is gone
# (deleted, or shredded) is a finding of xpverify, and xpexpire destroys it, journaling
# "key-destroyed" for each place. Such keys come back with a host vault restored from an old
# host backup, or a vault copy registered again after it missed a deletion and a shred. A
# vault copy that lacks the key of a backup still sealed is a finding too.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"

vault_repo 70000
a=$(seal_day 1)
b=$(seal_day 2)
c=$(seal_day 3)
mkdir -p "$T/disk1"
xpseal vault add -r "$R" "$T/disk1" >/dev/null || { echo "Bail out! vault add failed"; exit 1; }
cp -a "$V" "$T/host-backup"
run xpverify -r "$R"
is "$rc" 0 "every key where it belongs: no findings"

# The vault copy is taken off the list while a is deleted and b shredded, then registered again.
xpseal vault remove -r "$R" "$T/disk1" >/dev/null
run xpexpire -r "$R" --keep-last 2
is "$rc:$(printf '%s\n' "$out" | grep -c "^delete")" "0:1" "retention deletes the oldest backup"
run xpexpire -r "$R" --shred "$b" --reason "erasure request 4"
is "$rc" 0 "and a backup is shredded"
xpseal vault add -r "$R" "$T/disk1" >/dev/null
# The host's vault gets a deleted backup's key back from an old host backup.
cp -p "$T/host-backup/$a.key" "$V/$a.key"
journal_lines=$(wc -l <"$R/journal")

run xpverify -r "$R"
is "$rc" 1 "xpverify: keys of backups that are gone fail the check"
is "$(printf '%s\n' "$err" | grep 'xpexpire destroys it' | LC_ALL=C sort)" "$(printf '%s\n' \
	"xpverify: $V/$a.key: key of no backup $a (xpexpire destroys it): it would open a copy of the backup" \
	"xpverify: $T/disk1/$RID/$a.key: key of no backup $a (xpexpire destroys it): it would open a copy of the backup" \
	"xpverify: $T/disk1/$RID/$b.key: key of shredded backup $b (xpexpire destroys it): it would open a copy of the backup" |
	LC_ALL=C sort)" "each key is named, in the host's vault and in the vault copy"

run xpexpire -r "$R" --keep-last 2
is "$rc" 0 "xpexpire succeeds"
like "$out" "*destroyed the keys left of 2 deleted or shredded backups*" "and says how many backups' keys it destroyed"
is "$(ls "$V" "$T/disk1/$RID" | grep -c '\.key$')" 2 "only the key of the backup still sealed is left, in both places"
ok "$([ -f "$V/$c.key" ] && [ -f "$T/disk1/$RID/$c.key" ]; echo $?)" "that one untouched"
is "$(tail -n +"$((journal_lines + 1))" "$R/journal" | awk -F'\t' '$3 == "key-destroyed" { print $2 " " $4 }' | LC_ALL=C sort)" \
	"$(printf '%s\n' "$a host vault" "$a vault copy $T/disk1" "$b vault copy $T/disk1" | LC_ALL=C sort)" \
	"each place is journaled key-destroyed"
run xpverify -r "$R"
is "$rc" 0 "xpverify: no findings afterwards"
run xpexpire -r "$R" --keep-last 2
is "$rc:$(printf '%s\n' "$out" | grep -c 'destroyed the keys')" "0:0" "a second run has nothing to destroy"

# A vault copy that lost a key (a disk restored from an older image): xpverify names it, and
# xpseal vault sync gives it back.
rm "$T/disk1/$RID/$c.key"
run xpverify -r "$R"
is "$rc:$err" "1:xpverify: $T/disk1/$RID/$c.key: missing: vault copy $T/disk1 lacks the key of backup $c (xpseal vault sync copies it)" \
	"xpverify: a key missing from a vault copy fails the check, naming it"
run xpseal vault sync -r "$R"
is "$rc:$out" "0:$c: vault copy $T/disk1: copied" "vault sync copies it there again"
run xpverify -r "$R"
is "$rc" 0 "and the check is clean"

done_testing
