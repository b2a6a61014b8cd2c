#!/bin/bash
# xpseal rekey: a new repository key pair, every backup re-sealed to it, the pins moved; an old
# repo.key with the password opens nothing afterwards; a rotation killed at any step is
# finished by the next run.
. "$XP_SRCDIR/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key XP_STATE_DIR=$T/state
R=$T/repo
password "$T/pw" 'correct horse battery'
xpseal init -r "$R" --password-file "$T/pw" || exit 1
seq 1 100000 >"$T/in"
a=$(xpseal -r "$R" -i "$T/in") || exit 1
b=$(xpseal -r "$R" --shreddable -i "$T/in") || exit 1
XP_STATE_DIR=$T/other xpseal trust -r "$R" --reset --yes \
	"$(sed -n 2p "$R/keys/repo.id")" \
	"$(xpseal trust -r "$R" | sed -n 's/^repo-key //p')" \
	"$(xpseal trust -r "$R" | sed -n 's/^signer //p')" >/dev/null || exit 1
cp -a "$R/keys" "$T/keys.old"
kid() { sed -n 's/^repo-key //p' "$XP_STATE_DIR"/trust/*/pins; }
old=$(kid)

run xpseal rekey -r "$R" --password-file "$T/pw"
new=$(kid)
like "$rc:$out:$err" "0:repo-key $new (was $old)
2 backup(s) re-sealed:" "rekey re-seals both backups and names the new key"
ok "$([ "$new" != "$old" ] && [ ${#new} -eq 16 ])$?" "this host's pin names the new key"
is "$(xpseal trust -r "$R" | sed -n 's/^repo-key //p')" "$new" "keys/repo.pub is the new key"
is "$(sed -n 2p "$R/keys/repo.key" | cut -d' ' -f1-3)" \
	"$(sed -n 2p "$T/keys.old/repo.key" | cut -d' ' -f1-3)" "the new key keeps the Argon2id limits"
is "$(find "$R/keys" "$R/data" -name '*.new' -o -name '*.rekey' -o -name '*.tmp.*')" "" \
	"nothing of the rotation is left behind"
is "$(cut -f3 "$R/journal" | grep -c '^rekey')" 4 "journal: rekeying, rekeyed twice, rekeyed"
c=$(xpseal -r "$R" -i "$T/in") || exit 1
for id in "$a" "$b" "$c"; do
	xpseal open -r "$R" --password-file "$T/pw" "$id" | cmp -s - "$T/in"
	ok $? "the new key opens $id"
done
run xpverify -r "$R"
is "$rc" 0 "xpverify -r passes after the rotation"

# Whoever kept the old repo.key (and repo.pub) and knows the password opens nothing.
cp -a "$R" "$T/att"
cp "$T/keys.old/repo.key" "$T/keys.old/repo.pub" "$T/att/keys/"
for id in "$a" "$b" "$c"; do
	XP_STATE_DIR=$T/attacker run xpseal open -r "$T/att" --password-file "$T/pw" "$id"
	like "$rc:$out:$err" "3::*sealed for another repository key ($new)" \
		"the old repo.key and the password do not open $id"
done

# Another host must re-trust: its pin names the old key.
XP_STATE_DIR=$T/other run xpseal -r "$R" -i "$T/in"
like "$rc:$err" "3:xpseal: $R: keys/repo.pub: repository key $new is not the key $old pinned on this host; *" \
	"another host refuses the new key until it re-trusts"
XP_STATE_DIR=$T/other run xpseal trust -r "$R" --reset --yes \
	"$(sed -n 2p "$R/keys/repo.id")" "$new" "$(xpseal trust -r "$R" | sed -n 's/^signer //p')"
is "$rc" 0 "xpseal trust --reset --yes with the new key id re-trusts it"

# A wrong password changes nothing.
password "$T/bad" 'not the password'
cp -a "$R/keys" "$T/keys.before"
run xpseal rekey -r "$R" --password-file "$T/bad"
like "$rc:$err" "3:xpseal: *wrong password" "rekey with a wrong password: exit 3"
diff -r "$T/keys.before" "$R/keys" >/dev/null
ok $? "and the keys are as they were"

# Killed at every third step of a rotation, the next run finishes it.
XP_FAULT_TRACE=1 xpseal rekey -r "$R" --password-file "$T/pw" >/dev/null 2>"$T/trace"
n=$(grep -c 'fault point' "$T/trace")
ok "$([ "$n" -ge 30 ])$?" "a rotation of 3 backups passes $n fault points"
for i in $(seq 2 3 "$n"); do
	before=$(kid)
	XP_FAULT_AT=$i xpseal rekey -r "$R" --password-file "$T/pw" >/dev/null 2>&1
	is "$?" 137 "rekey killed at fault point $i ($(sed -n "${i}p" "$T/trace" | sed 's/^[^:]*: fault point [0-9]*: //'))"
	run xpseal rekey -r "$R" --password-file "$T/pw"
	# The temp file of a re-seal that was killed is removed like a seal's, and said.
	like "$rc:$(grep -v '^xpseal: removed data/.*left by an interrupted seal$' "$T/.err")" "0:" \
		"the next rekey finishes the rotation ($(sed -n '$p' <<<"$out"))"
	after=$(kid)
	is "$(xpseal trust -r "$R" | sed -n 's/^repo-key //p')" "$after" "repo.pub and the pin agree"
	ok "$([ "$after" != "$before" ])$?" "the key changed"
	run xpverify -r "$R"
	is "$rc" 0 "xpverify -r passes"
	is "$(find "$R/keys" "$R/data" -name '*.new' -o -name '*.rekey' -o -name '*.tmp.*')" "" \
		"nothing of the rotation is left behind"
	xpseal open -r "$R" --password-file "$T/pw" "$b" | cmp -s - "$T/in"
	ok $? "the shreddable backup opens"
done
for id in "$a" "$b" "$c"; do
	xpseal open -r "$R" --password-file "$T/pw" "$id" | cmp -s - "$T/in"
	ok $? "after the crashes, $id opens"
done

# A backup deleted behind the catalog's back does not stop a rotation; it is named.
rm "$R/data/${c:0:2}/$c.xps"
run xpseal rekey -r "$R" --password-file "$T/pw"
like "$rc:$out:$err" "0:repo-key * (was *)
2 backup(s) re-sealed:xpseal: $R: 1 backup(s) in the catalog are missing and were not re-sealed (xpverify -r lists them)" \
	"rekey re-seals the others and says one is missing"
run xpverify -r "$R"
like "$rc:$err" "1:*xpverify: data/${c:0:2}/$c.xps: missing*" "xpverify -r reports the missing backup"
done_testing
