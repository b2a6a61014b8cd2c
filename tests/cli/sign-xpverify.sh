#!/bin/bash
# xpverify's signature checks, on backups signed by the test helper (no xpseal needed).
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

# flip FILE OFFSET: inverts the lowest bit of one byte.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
signtool() { "$XP_BUILDDIR/tests/unit/crypto/signtool" "$@"; }
R=$T/repo
A=0123456789abcdef0123456789abcdef
B=ab000000000000000000000000000001
C=ab000000000000000000000000000002
mkdir -p "$R/keys" "$R/data/01" "$R/data/ab" "$T/elsewhere"
signtool keygen "$T/host.key" "$R/keys/signer.pub" || exit 1
signtool keygen "$T/other.key" "$T/other.pub" || exit 1
# What makes a directory a repository for -r (xpseal init writes it last).
printf 'xpbackup-repo-pub 1\n%s\n' "$(head -c 32 /dev/urandom | base64)" >"$R/keys/repo.pub"
# fake ID FILE: the header of a sealed backup ID for the repository key of $R (xpseal(5)), then
# random bytes: xpverify checks that signature, header and id agree, and decrypts nothing.
kid=$(sed -n 2p "$R/keys/repo.pub" | base64 -d | b2sum -l 256 | cut -c1-16)
fake() {
	{
		printf '\x89XPS\r\n\x1a\n\x00\x01\x00\xa0\x00\x00\x00\x00'
		printf '%s' "$1" | xxd -r -p
		printf '\x00\x00\x00\x00\x69\x2a\x2b\x00'
		printf '%s' "$kid" | xxd -r -p
		printf '\x01\x01\x00\x00\x00\x10\x00\x00'
		head -c 70104 /dev/urandom
	} >"$2"
}
for id in $A $B; do
	fake "$id" "$R/data/${id:0:2}/$id.xps"
	signtool sign "$T/host.key" "$R/data/${id:0:2}/$id.xps" "timestamp:1764000000	file:$id.xps" || exit 1
done
PA=$R/data/01/$A.xps
PB=$R/data/ab/$B.xps
PC=$R/data/ab/$C.xps

run xpverify -r "$R" $A
is "$rc" 0 "a good backup by id exits 0"
is "$out" "$A: good signature" "one line per good backup"
like "$err" "xpverify: $R: no trust pins on this host: pinned repository *, repository key *, signer * found in the repository (trust on first use; see xpseal trust)" \
	"the first use pins the repository and says so"
run xpverify -r "$R" $A
is "$rc:$out:$err" "0:$A: good signature:" "once pinned: nothing on stderr"

run xpverify -r "$R"
is "$rc" 0 "every backup in the repository"
is "$out" "$A: good signature
$B: good signature" "all backups, sorted"

XP_REPO=$R run xpverify $B
is "$rc" 0 "XP_REPO names the repository"
is "$out" "$B: good signature" "XP_REPO result"

run xpverify "$PA"
is "$rc" 0 "a file finds its repository's signer.pub"
is "$out" "$PA: good signature" "file results name the file"
(cd "$R/data/ab" && run xpverify "$B.xps" && echo "$rc|$out") >"$T/rel"
is "$(cat "$T/rel")" "0|$B.xps: good signature" "a relative file name works"

cp "$PA" "$T/elsewhere/x.xps" && cp "$PA.minisig" "$T/elsewhere/x.xps.minisig"
run xpverify "$T/elsewhere/x.xps"
is "$rc" 1 "a file outside any repository needs -p"
is "$err" "xpverify: $T/elsewhere/x.xps: no keys/signer.pub above it (use -p)" "the -p hint"
run xpverify -p "$R/keys/signer.pub" "$T/elsewhere/x.xps"
is "$rc" 0 "-p names the public key"
run xpverify -r "$R" "$T/elsewhere/x.xps"
is "$rc" 0 "a copy outside any repository is checked against -r's key"
is "$out" "$T/elsewhere/x.xps: good signature" "the copy is reported by file name"

run xpverify -p "$T/other.pub" -r "$R" $A
is "$rc" 3 "another key's public key exits 3"
like "$err" "xpverify: $R: keys/signer.pub: signer * is not the signer given with -p (*); if this change was intended: xpseal trust --reset -r $R" \
	"with -r, a repository whose signer is not -p's is refused as a whole"
run xpverify -p "$T/other.pub" "$PA"
like "$rc:$err" "3:xpverify: $PA: signature made by another key (key id *, expected *)" \
	"without -r, the wrong-key message names the file"

cp "$PB" "$T/saved"
flip "$PB" 4096
run xpverify -r "$R"
is "$rc" 3 "a flipped byte in a backup exits 3"
is "$out" "$A: good signature" "the good backup is still reported"
is "$err" "xpverify: $PB: bad signature" "the flipped backup is named"
cp "$T/saved" "$PB"

cp "$PB.minisig" "$T/saved"
awk 'NR == 2 { c = substr($0, 21, 1); $0 = substr($0, 1, 20) (c == "A" ? "B" : "A") substr($0, 22) } 1' \
	"$T/saved" >"$PB.minisig"
run xpverify -r "$R" $B
is "$rc" 3 "a changed signature exits 3"
is "$err" "xpverify: $PB: bad signature" "the changed signature message"
sed 's/^trusted comment: timestamp:1764000000/trusted comment: timestamp:1764000001/' \
	"$T/saved" >"$PB.minisig"
run xpverify -r "$R" $B
is "$rc" 3 "an edited trusted comment exits 3"
is "$err" "xpverify: $PB: trusted comment altered" "the trusted comment message"
echo "not a signature" >"$PB.minisig"
run xpverify -r "$R" $B
is "$rc" 3 "a malformed signature file exits 3"
is "$err" "xpverify: $PB.minisig: malformed signature file" "the malformed message"
cp "$T/saved" "$PB.minisig"

rm "$PB.minisig"
run xpverify -r "$R" $B
is "$rc" 3 "a missing signature beside an existing backup is an integrity finding: exit 3"
is "$err" "xpverify: $PB.minisig: signature missing" "the missing signature message"
cp "$T/saved" "$PB.minisig"

run xpverify -r "$R" $C
is "$rc" 1 "a missing backup exits 1"
is "$err" "xpverify: $PC: No such file or directory
xpverify: $R: nothing checked: none of the backups asked for is there" \
	"the missing backup message, and that nothing was checked"

flip "$PA" 10
run xpverify --json -r "$R" $A $B $C
is "$rc" 3 "bad and missing together exit 3"
signer=$(sed -n 's/^untrusted comment: minisign public key //p' "$R/keys/signer.pub")
is "$out" "{\"checked\":2,\"good\":1,\"bad\":1,\"missing\":1,\"error\":0,\"signer\":{\"id\":\"$signer\",\"trusted\":\"pinned on this host\",\"pinned_now\":false},\"results\":[{\"id\":\"$A\",\"path\":\"$PA\",\"status\":\"bad\"},{\"id\":\"$B\",\"path\":\"$PB\",\"status\":\"good\"},{\"id\":\"$C\",\"path\":\"$PC\",\"status\":\"missing\"}]}" \
	"--json output"
is "$err" "xpverify: $PA: bad signature
xpverify: $PC: No such file or directory" "--json still reports failures on stderr"

run xpverify --json -p "$R/keys/signer.pub" "$T/elsewhere/x.xps"
is "$out" "{\"checked\":1,\"good\":1,\"bad\":0,\"missing\":0,\"error\":0,\"results\":[{\"id\":null,\"path\":\"$T/elsewhere/x.xps\",\"status\":\"good\"}]}" \
	"--json names no id for a file not called ID.xps"

run xpverify
is "$rc" 2 "nothing to check is a usage error"
is "$err" "xpverify: nothing to check: give FILEs or -r REPO
Try 'xpverify --help' for more information." "the usage message"
run xpverify --bogus
is "$rc" 2 "an unknown option exits 2"
is "$err" "xpverify: unknown option --bogus
Try 'xpverify --help' for more information." "the unknown option message"
run xpverify -r
is "$rc" 2 "a missing option argument exits 2"
is "$err" "xpverify: option -r needs an argument
Try 'xpverify --help' for more information." "the missing argument message"
run xpverify --help
is "$rc" 0 "--help exits 0"
like "$out" "usage: xpverify *" "--help prints usage on stdout"
run xpverify -r "$T/none"
is "$rc" 1 "a repository that does not exist exits 1"
is "$err" "xpverify: $T/none: not a repository (no such directory)" "the missing repository message"
mkdir -p "$T/empty/keys" && cp "$R/keys/signer.pub" "$R/keys/repo.pub" "$T/empty/keys/"
run xpverify -r "$T/empty"
is "$rc.$out.$err" "1..xpverify: $T/empty: nothing checked: no backups" \
	"a repository without a data directory has nothing to check: exit 1, saying so"

done_testing
