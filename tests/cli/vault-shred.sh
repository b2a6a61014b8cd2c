#!/bin/bash
# The key vault makes crypto-shredding true: a shreddable backup's key is kept outside the
# repository's data, so a copy of the repository taken before the shred (cp -a, a USB disk)
# opens nothing afterwards, on this host or another, with the password or without.
# shellcheck source=tests/lib.sh
. "$XP_SRCDIR/tests/lib.sh"

vault_repo 100000
password "$T/wrong" 'not the password at all'

XP_NOW=2026-11-01T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"
id=$out
is "$rc:$err" "0:" "seal --shreddable"
is "$(find "$R" -name '*.key' ! -name repo.key | sed "s|^$R/||")" "" \
	"the repository holds no key of the backup (nothing under keys/shred)"
is "$(stat -c %a "$V" "$V/$id.key" | paste -sd' ')" "700 600" \
	"its key is in the host's vault, STATE/vault/REPOID/ID.key: directory 0700, file 0600"
is "$(stat -c %s "$V/$id.key")" 112 "the key file keeps its sealed format (112 bytes)"
xpseal open -r "$R" --password-file "$T/pw" "$id" | cmp -s - "$T/data"
ok $? "the backup opens with the password while its key is in the vault"

# Copies of the data made by hand before the shred, the way a new user would.
cp -a "$R" "$T/copy"
mkdir "$T/usb" && cp -a "$R/." "$T/usb/"
xpseal open -r "$T/copy" --password-file "$T/pw" "$id" | cmp -s - "$T/data"
ok $? "before the shred, a copy opens on this host (the key is in the vault)"

run xpexpire -r "$R" --shred "$id" --reason "erasure request 7"
is "$rc:$out" "0:shredded $id" "xpexpire --shred exits 0"
ok "$([ ! -e "$V/$id.key" ])$?" "the key is gone from the vault"
is "$(grep -c "	$id	key-destroyed	host vault	" "$R/journal")" 1 \
	"the journal records where the key was destroyed"
run xpverify -r "$R"
is "$rc" 0 "xpverify finds the repository in order after the shred"

for copy in "$R" "$T/copy" "$T/usb"; do
	run xpseal open -r "$copy" --password-file "$T/pw" "$id"
	like "$rc:$err" "1:*backup $id: key shredded or vault missing*" \
		"${copy#"$T"/}: with the password, the shredded backup does not open"
	is "$out" "" "${copy#"$T"/}: and nothing of it is written"
	run xpseal open -r "$copy" --password-file "$T/wrong" "$id"
	is "$rc" 3 "${copy#"$T"/}: without the password, nothing opens"
done

# Another host: the copy and the password, a state directory of its own.
run env XP_STATE_DIR="$T/other-host" "$XP_BUILDDIR/src/xpseal/xpseal" open -r "$T/usb" \
	--password-file "$T/pw" "$id"
like "$rc:$err" "1:*key shredded or vault missing*" \
	"another host with the copy and the password cannot open it either"

# The vault alone, stolen, with the data: the key files are sealed to the repository key.
XP_NOW=2026-11-02T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"
id2=$out
mv "$R/keys/repo.key" "$T/repo.key.aside"
run xpseal open -r "$R" --password-file "$T/pw" "$id2"
is "$rc" 1 "the vault and the data without keys/repo.key open nothing"
mv "$T/repo.key.aside" "$R/keys/repo.key"

# A tampered or foreign key file in the vault is refused.
XP_NOW=2026-11-03T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"
id3=$out
cp "$V/$id2.key" "$T/k2"
cp "$V/$id3.key" "$V/$id2.key"
run xpseal open -r "$R" --password-file "$T/pw" "$id2"
like "$rc:$err" "3:*backup $id2: its key file is not one of this backup's*" \
	"another backup's key file under this backup's name is refused"
cp "$T/k2" "$V/$id2.key"
b=$(od -An -tu1 -j100 -N1 "$V/$id2.key")
# shellcheck disable=SC2059 # the byte, one more, as an octal escape
printf "\\$(printf %o $(((b + 1) % 256)))" | dd of="$V/$id2.key" bs=1 seek=100 conv=notrunc 2>/dev/null
run xpseal open -r "$R" --password-file "$T/pw" "$id2"
like "$rc:$err" "3:*backup $id2: its key file does not open with the repository key*" \
	"a key file with one byte changed is refused"
cp "$T/k2" "$V/$id2.key"
run xpseal init -r "$T/other" --password-file "$T/pw" --signing-key "$T/other.key"
run xpseal -r "$T/other" --signing-key "$T/other.key" --shreddable -i "$T/data"
OV=$XP_STATE_DIR/vault/$(sed -n 2p "$T/other/keys/repo.id")
cp "$OV/$out.key" "$V/$id2.key"
run xpseal open -r "$R" --password-file "$T/pw" "$id2"
is "$rc" 3 "a key file of another repository is refused"
cp "$T/k2" "$V/$id2.key"
head -c 50 "$T/k2" >"$V/$id2.key"
run xpseal open -r "$R" --password-file "$T/pw" "$id2"
like "$rc:$err" "3:*$id2.key: not a key file (50 bytes)*" "a truncated key file is refused"
cp "$T/k2" "$V/$id2.key"
mv "$V/$id2.key" "$T/k2.real"
ln -s "$T/k2.real" "$V/$id2.key"
run xpseal open -r "$R" --password-file "$T/pw" "$id2"
like "$rc:$err" "1:*$id2.key: not a regular file (a symbolic link)*" \
	"a symbolic link in the vault is not followed"
rm "$V/$id2.key" && mv "$T/k2.real" "$V/$id2.key"
xpseal open -r "$R" --password-file "$T/pw" "$id2" | cmp -s - "$T/data"
ok $? "with its own key file back, the backup opens"

chmod 755 "$V"
XP_NOW=2026-10-31T03:00:00Z run xpseal -r "$R" --shreddable -i "$T/data"
is "$rc:$(stat -c %a "$V" "$V/$out.key" | paste -sd' ')" "0:700 600" \
	"a vault directory opened to others is made 0700 again by the next seal"
run xpexpire -r "$R" --shred "$out" --reason "erasure request 8"

# Retention deleting a shreddable backup destroys its key too.
run xpexpire -r "$R" --keep-last 1
is "$rc" 0 "retention runs"
ok "$([ ! -e "$V/$id2.key" ] && [ -e "$V/$id3.key" ])$?" \
	"the key of the backup retention deleted is gone, the kept one's stays"

done_testing
