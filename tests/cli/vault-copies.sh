#!/bin/bash
# Vault copies: registered, listed and synced with xpseal vault; a shred destroys the key in
# every copy and journals each; a copy not mounted at shred time makes xpexpire fail, and the
# next run finishes the shred there; recovery on new hardware from a vault copy, a data copy
# and the password.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"

vault_repo 70000

a=$(seal_day 1)
run xpseal vault add -r "$R" "$T/nowhere"
like "$rc:$err" "1:*$T/nowhere: No such file or directory" \
	"vault add refuses a directory that does not exist"
mkdir -p "$T/disk1" "$T/disk2"
run xpseal vault add -r "$R" "$T/disk1"
is "$rc:$out" "0:vault copy $T/disk1: registered
$a: vault copy $T/disk1: copied" "vault add registers the copy and copies the keys there"
is "$(stat -c %a "$T/disk1/$RID")" 700 "the copy's directory DIR/REPOID is 0700"
cmp -s "$V/$a.key" "$T/disk1/$RID/$a.key"
ok $? "the copy holds the very key file"
run xpseal vault add -r "$R" "$T/disk1"
is "$rc" 2 "a copy is registered once"
run xpseal vault add -r "$R" "$T/disk2"
is "$rc" 0 "a second copy"
run xpseal vault list -r "$R"
is "$rc:$out" "0:host vault: $V
vault copy: $T/disk1
vault copy: $T/disk2" "vault list shows the host's vault and the copies"

b=$(seal_day 2)
ok "$(cmp -s "$V/$b.key" "$T/disk1/$RID/$b.key" && cmp -s "$V/$b.key" "$T/disk2/$RID/$b.key")$?" \
	"a new shreddable backup's key goes to every copy when it is sealed"

# A copy not mounted when a backup is sealed: a warning, and sync copies the key later.
mv "$T/disk2" "$T/disk2.away"
mkdir "$T/disk2"
XP_NOW=2026-11-03T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"
c=$out
like "$rc:$err" "0:*backup $c: 1 vault copy could not take its key*" \
	"sealing with a copy not mounted warns"
ok "$([ ! -e "$T/disk2/$RID" ])$?" "an unmounted copy is not made anew on the mount point"
run xpseal vault list -r "$R"
is "$rc:$(sed -n 3p <<<"$out")" \
	"0:vault copy: $T/disk2 (unreachable: $T/disk2/$RID is missing (not mounted?))" \
	"vault list says which copy cannot be reached"
run xpseal vault sync -r "$R"
like "$rc:$err" "1:*vault copy $T/disk2: unreachable: $T/disk2/$RID is missing (not mounted?)*" \
	"sync names the copy it cannot reach and fails"
rmdir "$T/disk2" && mv "$T/disk2.away" "$T/disk2"
run xpseal vault sync -r "$R"
is "$rc:$out" "0:$c: vault copy $T/disk2: copied" "once it is back, sync copies what it missed"

# A shred with a copy not mounted: non-zero, and the next run finishes it there.
mv "$T/disk2" "$T/disk2.away"
mkdir "$T/disk2"
run xpexpire -r "$R" --shred "$a" --reason "erasure request 9"
is "$rc" 1 "xpexpire --shred fails while a vault copy is not reached"
like "$err" "*vault copy $T/disk2 not reached (*): the key of backup $a stays there*" \
	"and names the copy and the backup"
ok "$([ ! -e "$V/$a.key" ] && [ ! -e "$T/disk1/$RID/$a.key" ])$?" \
	"the key is destroyed in the host's vault and the copy it reached"
is "$(grep "	$a	key-destroyed	" "$R/journal" | cut -f4 | paste -sd,)" \
	"host vault,vault copy $T/disk1" "the journal records each place the key was destroyed"
is "$(grep -c "	$a	shredded	" "$R/journal")" 0 "the shred is not journaled as done"
run xpverify -r "$R"
like "$rc:$out$err" "1:*$a: shredding interrupted*" "xpverify reports the shred as pending"
run xpexpire -r "$R" --list
is "$(printf '%s\n' "$out" | awk -v id="$a" '$1 == id { print $3 }')" shredded \
	"the catalog shows it shredded on this host"
run xpexpire -r "$R" --keep-last 10
is "$rc" 1 "the next run fails too while the copy is still away"
rmdir "$T/disk2" && mv "$T/disk2.away" "$T/disk2"
ok "$([ -e "$T/disk2/$RID/$a.key" ])$?" "(the key is still on the copy that was away)"
run xpexpire -r "$R" --keep-last 10
is "$rc:$err" "0:" "the next run with the copy back succeeds"
ok "$([ ! -e "$T/disk2/$RID/$a.key" ])$?" "and has destroyed the key there"
is "$(grep "	$a	\(key-destroyed\|shredded\)	" "$R/journal" | cut -f3,4 | tail -2 | paste -sd,)" \
	"key-destroyed	vault copy $T/disk2,shredded	erasure request 9" \
	"the journal records it, then the shred as done"

# Retention deleting a shreddable backup with a copy away: deleted, the key stays pending.
mv "$T/disk1" "$T/disk1.away"
mkdir "$T/disk1"
run xpexpire -r "$R" --keep-last 1
is "$rc" 1 "retention deleting a backup whose key a copy holds out of reach fails"
ok "$([ ! -e "$R/data/${b:0:2}/$b.xps" ] && [ ! -e "$V/$b.key" ])$?" \
	"the backup and its key on the host are gone"
rmdir "$T/disk1" && mv "$T/disk1.away" "$T/disk1"
run xpexpire -r "$R" --keep-last 1
is "$rc:$err" "0:" "the next run finishes it"
ok "$([ ! -e "$T/disk1/$RID/$b.key" ])$?" "the key is gone from that copy too"
is "$(grep -c "	$b	shredded	" "$R/journal")" 1 "and the journal says so once"

# New hardware: the host is lost with its state; a data copy, a vault copy, the password.
cp -a "$R" "$T/restored"
run env XP_STATE_DIR="$T/newhost" "$XP_BUILDDIR/src/xpseal/xpseal" open -r "$T/restored" \
	--password-file "$T/pw" "$c"
like "$rc:$err" "1:*key shredded or vault missing*" "without the vault copy a new host cannot open it"
env XP_STATE_DIR="$T/newhost" "$XP_BUILDDIR/src/xpseal/xpseal" open -r "$T/restored" \
	--password-file "$T/pw" --vault "$T/disk1" "$c" 2>/dev/null | cmp -s - "$T/data"
ok $? "open --vault DIR with the data copy and the password gives back the backup"
run env XP_STATE_DIR="$T/newhost" "$XP_BUILDDIR/src/xpseal/xpseal" open -r "$T/restored" \
	--password-file "$T/pw" --vault "$T/disk1" "$a"
is "$rc" 1 "a backup shredded before stays closed with the vault copy too"

# The host's vault lost, its copies intact: sync takes the keys back.
rm -r "$V"
run xpseal vault sync -r "$R"
is "$rc" 1 "sync without the host's vault and its list of copies finds nothing to take back"
run xpseal vault add -r "$R" "$T/disk1"
run xpseal vault sync -r "$R"
is "$rc:$out" "0:$c: vault copy $T/disk1: taken back into the host vault" \
	"once the copy is registered again, sync takes the keys back"
xpseal open -r "$R" --password-file "$T/pw" "$c" | cmp -s - "$T/data"
ok $? "and the backup opens on the host again"

# A copy lost for good: taken off the list, the shred it held up finishes.
mkdir "$T/disk3"
run xpseal vault add -r "$R" "$T/disk3"
XP_NOW=2026-11-04T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"
d=$out
rm -r "$T/disk3"
run xpexpire -r "$R" --shred "$d" --reason "erasure request 10"
is "$rc" 1 "a shred with a copy that is gone fails"
run xpseal vault remove -r "$R" "$T/nowhere"
is "$rc" 2 "vault remove of a directory never registered is a usage error"
run xpseal vault remove -r "$R" "$T/disk3"
is "$rc:$out" "0:vault copy $T/disk3: no longer registered" "vault remove takes the lost copy off the list"
run xpseal vault list -r "$R"
is "$out" "host vault: $V
vault copy: $T/disk1" "the list no longer has it"
run xpexpire -r "$R" --keep-last 10
is "$rc:$(grep -c "	$d	shredded	" "$R/journal")" "0:1" "the next run finishes the shred"

done_testing
