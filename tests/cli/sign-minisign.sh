#!/bin/bash
# Interoperability of our signatures and keys with the stock minisign tool.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

# flip FILE OFFSET: inverts the lowest bit of one byte.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# shellcheck disable=SC2317 # called through run
signtool() { "$XP_BUILDDIR/tests/unit/crypto/signtool" "$@"; }
command -v minisign >/dev/null || skip_all "minisign is not installed"
cd "$T" || exit 1

head -c 300000 /dev/urandom >data.xps
run signtool keygen our.key our.pub
is "$rc" 0 "signtool makes a key pair"
run signtool sign our.key data.xps "timestamp:1764000000	file:data.xps"
is "$rc" 0 "signtool signs a file"
run minisign -V -p our.pub -m data.xps
is "$rc" 0 "minisign verifies our signature"
is "$out" "Signature and comment signature verified
Trusted comment: timestamp:1764000000	file:data.xps" "minisign shows our trusted comment"

cp data.xps copy.xps && cp data.xps.minisig copy.xps.minisig
flip copy.xps 1000
run minisign -V -p our.pub -m copy.xps
is "$rc" 1 "minisign rejects our signature of a changed file"

run minisign -S -s our.key -m data.xps -x by-minisign.minisig -t "signed by minisign" </dev/null
is "$rc" 0 "minisign signs with our password-less secret key"
run signtool verify data.xps by-minisign.minisig our.pub
is "$rc" 0 "we verify minisign's signature made with our key"

run minisign -G -W -p mk.pub -s mk.key
is "$rc" 0 "minisign makes a password-less key pair"
chmod 600 mk.key
run minisign -S -s mk.key -m data.xps -t "from minisign"
is "$rc" 0 "minisign signs a file"
run signtool verify data.xps data.xps.minisig mk.pub
is "$rc" 0 "we verify a signature by a minisign key"
# xpverify checks a backup: a sealed file whose signature names the backup its header names.
password "$T/pw" "minisign interop"
XP_SIGNING_KEY=$T/host.key xpseal init -r "$T/r" --password-file "$T/pw" >/dev/null || exit 1
id=$(printf 'backup\n' | XP_SIGNING_KEY=$T/host.key xpseal -r "$T/r") || exit 1
cp "$T/r/data/${id:0:2}/$id.xps" sealed.xps
minisign -S -s mk.key -m sealed.xps -t "timestamp:1764000000	file:$id.xps" </dev/null >/dev/null
run xpverify -p mk.pub sealed.xps
is "$rc" 0 "xpverify -p accepts a minisign key's signature"
is "$out" "sealed.xps: good signature" "xpverify reports the good signature"
run signtool verify data.xps data.xps.minisig our.pub
is "$rc" 3 "another key's public key is rejected"
like "$err" "signtool: data.xps: signature made by another key (key id *, expected *)" \
	"the message names both key ids"

run signtool sign mk.key other.xps
is "$rc" 1 "signing a missing file fails"
echo "other" >other.xps
run signtool sign mk.key other.xps "with a minisign key"
is "$rc" 0 "we sign with a minisign -W secret key"
run minisign -V -p mk.pub -m other.xps
is "$rc" 0 "minisign verifies it"

run minisign -S -l -s mk.key -m data.xps -x legacy.minisig
is "$rc" 0 "minisign makes a legacy signature"
run signtool verify data.xps legacy.minisig mk.pub
is "$rc" 3 "a legacy (not prehashed) signature is refused"
is "$err" "signtool: legacy.minisig: legacy (not prehashed) signature: not supported" \
	"the legacy message"

run minisign -G -p enc.pub -s enc.key <<<"$(printf 'pw\npw\n')"
if [ "$rc" -eq 0 ]; then
	chmod 600 enc.key
	run signtool sign enc.key data.xps
	is "$rc" 1 "a password-protected minisign key is refused"
	is "$err" "signtool: enc.key: secret key is encrypted with a password (use one made by xpseal init or minisign -G -W)" \
		"the encrypted key message"
else
	skip "minisign cannot make an encrypted key without a terminal"
	skip "minisign cannot make an encrypted key without a terminal"
fi

chmod 644 mk.key
run signtool sign mk.key other.xps
is "$rc" 1 "a world-readable secret key is refused"
is "$err" "signtool: mk.key: readable by others (mode 0644); chmod 600 it" \
	"the key mode message"

# A repository made by xpseal: its backups verify with the stock tool and its signer.pub.
password "$T/pw" "correct horse"
run xpseal init -r "$T/repo" --password-file "$T/pw" --signing-key "$T/host/signer.key"
is "$rc" 0 "xpseal init makes a repository"
id=$(xpseal -r "$T/repo" --signing-key "$T/host/signer.key" -i data.xps)
is "$?" 0 "xpseal seals a file"
run minisign -V -p "$T/repo/keys/signer.pub" -m "$T/repo/data/${id:0:2}/$id.xps"
is "$rc" 0 "minisign -V -p REPO/keys/signer.pub verifies a sealed backup"
like "$out" "*Trusted comment: *$id.xps*" "the trusted comment names the backup"
run xpverify -r "$T/repo" "$id"
is "$out" "$id: good signature" "xpverify agrees"

done_testing
