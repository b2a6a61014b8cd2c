#!/bin/bash
# Trust pins: xpseal init pins, xpseal trust pins a repository on a host joining it (shown, then
# confirmed with --yes and the expected ids), a first use pins and says so once, --reset
# re-pins an intended change, -p names the signer for one run, and a machine with only the
# repository and the password takes the signer from keys/repo.key.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
xpseal init -r "$R" --password-file "$T/pw" || exit 1
echo first >"$T/first"
A=$(xpseal -r "$R" -i "$T/first") || exit 1
RID=$(sed -n 2p "$R/keys/repo.id")
SID=$(sed -n 's/^untrusted comment: minisign public key //p' "$R/keys/signer.pub")
P=$XP_STATE_DIR/trust/$RID

is "$(stat -c %a "$P"):$(stat -c %a "$P/pins"):$(stat -c %a "$P/signer.pub"):$(stat -c %a "$P/seen")" \
	"700:600:600:600" "init pins in the state directory: directory 0700, files 0600"
like "$(cat "$P/pins")" "*repository $RID
repo-key *
signer $SID
path $R*" "the pins name the repository, its key and the signer"
cmp -s "$P/signer.pub" "$R/keys/signer.pub"
ok $? "the pinned signer.pub is the signer's public key"
is "$(cat "$P/seen")" "catalog 1
journal 1 $(sed -n 's/^journal 1 //p' "$P/seen")" "the seal recorded the catalog generation and journal it wrote"
KID=$(sed -n 's/^repo-key //p' "$P/pins")

run xpseal trust -r "$R"
is "$rc:$out:$err" "0:repository $RID
repo-key $KID
signer $SID
already pinned on this host:" "trust on the host that made it: ids shown, already pinned"

# A host joining the repository.
export XP_STATE_DIR=$T/host2
run xpseal trust -r "$R" </dev/null
is "$rc:$err" "2:xpseal: trust: standard input is not a terminal: give --yes and the expected ids" \
	"without a terminal, trust needs --yes and the ids"
run xpseal trust -r "$R" --yes "$RID" "$KID"
is "$rc" 2 "--yes with two ids is a usage error"
run xpseal trust -r "$R" --yes "$RID" "$KID" 0000000000000000
is "$rc:$err" "3:xpseal: $R: signer $SID is not the expected 0000000000000000: nothing pinned" \
	"--yes with an id that is not the one found: 3, nothing pinned"
is "$(find "$T/host2" -type f 2>/dev/null | wc -l)" 0 "nothing in the state directory"
# On a terminal, trust asks; only "y" or "yes" pins.
# on_tty ANSWER CMD...: runs CMD on a pseudo-terminal, typing ANSWER; prints what it showed.
# shellcheck disable=SC2317 # called through run
on_tty() {
	python3 - "$@" <<'PY'
import os, pty, sys
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
os.write(fd, answer)
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
if command -v python3 >/dev/null; then
	run on_tty n "$XP_BUILDDIR/src/xpseal/xpseal" trust -r "$R"
	like "$rc:$out" "1:*Pin these keys for $R on this host? \[y/N] *xpseal: $R: nothing pinned" \
		"on a terminal, trust asks, and a no pins nothing"
	is "$(find "$T/host2" -type f 2>/dev/null | wc -l)" 0 "nothing in the state directory"
	run on_tty y "$XP_BUILDDIR/src/xpseal/xpseal" trust -r "$R"
	like "$rc:$out" "0:*repository $RID*Pin these keys for $R on this host? \[y/N] *pinned in $T/host2/trust/$RID" \
		"a yes pins"
	rm -rf "$T/host2"
else
	skip "python3 is not installed (a terminal for the question)"
	skip "python3 is not installed"
	skip "python3 is not installed"
fi
run xpseal trust -r "$R" --yes "$RID" "$KID" "$SID"
is "$rc:$out" "0:repository $RID
repo-key $KID
signer $SID
pinned in $T/host2/trust/$RID" "--yes with the ids shown pins them"
run xpverify -r "$R"
is "$rc:$err" "0:" "the joined host verifies without a first-use note"

# A host that predates pins: the first run pins what it finds, and says so once.
export XP_STATE_DIR=$T/host3
run xpverify -r "$R"
is "$rc:$err" "0:xpverify: $R: no trust pins on this host: pinned repository $RID, repository key $KID, signer $SID found in the repository (trust on first use; see xpseal trust)" \
	"first use: pinned, said once"
run xpverify -r "$R"
is "$rc:$err" "0:" "the next run says nothing"

# -p: the signer for one run, named on stderr.
run xpseal open -r "$R" --password-file "$T/pw" -p "$R/keys/signer.pub" "$A"
is "$rc:$out:$err" "0:first:xpseal: $R: signer $SID (given with -p)" "open -p names the signer it trusted"
"$XP_BUILDDIR/tests/unit/crypto/signtool" keygen "$T/other.key" "$T/other.pub" || exit 1
run xpseal open -r "$R" -p "$T/other.pub" "$A" </dev/null
like "$rc:$out:$err" "3::xpseal: $R: keys/signer.pub: signer $SID is not the signer given with -p (*)*" \
	"open -p with another key: 3 before any password"
run xpverify -r "$R" -p "$R/keys/signer.pub"
is "$rc:$err" "0:xpverify: $R: signer $SID (given with -p)" "xpverify -p names the signer it trusted"
run xpverify -r "$R" -p "$R/keys/signer.pub" --json
like "$rc:$out" "0:*\"signer\":{\"id\":\"$SID\",\"trusted\":\"given with -p\",\"pinned_now\":false}*" \
	"--json names it"

# An intended change of signer (a new host key): refused until re-trusted with --reset.
export XP_STATE_DIR=$T/state
mv "$XP_SIGNING_KEY" "$T/old.key"
"$XP_BUILDDIR/tests/unit/crypto/signtool" keygen "$XP_SIGNING_KEY" "$R/keys/signer.pub" || exit 1
for f in "$R/catalog" "$R"/data/*/*.xps; do
	"$XP_BUILDDIR/tests/unit/crypto/signtool" sign "$XP_SIGNING_KEY" "$f" \
		"$(sed -n 's/^trusted comment: //p' "$f.minisig")" || exit 1
done
NSID=$(sed -n 's/^untrusted comment: minisign public key //p' "$R/keys/signer.pub")
run xpseal -r "$R" -i "$T/first"
like "$rc:$err" "3:xpseal: $R: keys/signer.pub: signer $NSID is not the signer pinned on this host ($SID); if this change was intended: xpseal trust --reset -r $R" \
	"a new signer is refused by the seal"
run xpseal trust -r "$R" --yes "$RID" "$KID" "$NSID"
is "$rc" 3 "trust without --reset keeps the pins"
run xpseal trust -r "$R" --reset --yes "$RID" "$KID" "$NSID"
is "$rc:$(sed -n 's/^signer //p' "$T/state/trust/$RID/pins")" "0:$NSID" "--reset re-pins the new signer"
run xpseal -r "$R" -i "$T/first"
is "$rc" 0 "and the host seals again"

# Recovery: the repository and the password on a new machine. The old signer is still what
# repo.key names, so that machine refuses the re-keyed repository; put the old key back first.
export XP_STATE_DIR=$T/recovery
run xpseal open -r "$R" --password-file "$T/pw" "$A"
like "$rc:$err" "3:xpseal: $R: keys/signer.pub: signer $NSID is not the signer in keys/repo.key ($SID)*" \
	"recovery: keys/repo.key names the signer, and it is not keys/signer.pub"
mv "$T/old.key" "$XP_SIGNING_KEY"
"$XP_BUILDDIR/tests/unit/crypto/signtool" sign "$XP_SIGNING_KEY" "$R/catalog" \
	"$(sed -n 's/^trusted comment: //p' "$R/catalog.minisig")" || exit 1
for f in "$R"/data/*/*.xps; do
	"$XP_BUILDDIR/tests/unit/crypto/signtool" sign "$XP_SIGNING_KEY" "$f" \
		"$(sed -n 's/^trusted comment: //p' "$f.minisig")" || exit 1
done
cp "$T/host2/trust/$RID/signer.pub" "$R/keys/signer.pub"
run xpseal open -r "$R" --password-file "$T/pw" "$A"
is "$rc:$out:$err" "0:first:xpseal: $R: no trust pins on this host: pinned repository $RID, repository key $KID, signer $SID from keys/repo.key, unlocked with the password (trust on first use; see xpseal trust)" \
	"recovery: the signer comes from keys/repo.key, and is pinned"
cmp -s "$T/recovery/trust/$RID/signer.pub" "$T/host2/trust/$RID/signer.pub"
ok $? "recovery: the pinned signer is the one the password vouched for"
password "$T/pw2" 'battery staple'
xpseal passwd -r "$R" --password-file "$T/pw" --new-password-file "$T/pw2" || exit 1
export XP_STATE_DIR=$T/recovery2
run xpverify -r "$R" --deep --password-file "$T/pw2"
like "$rc:$err" "0:xpverify: $R: no trust pins on this host: pinned repository $RID, repository key $KID, signer $SID from keys/repo.key, unlocked with the password*" \
	"a new password keeps the signer and id in keys/repo.key (xpverify --deep)"

# A repository made before repo.key carried them (format 1): it opens, with a warning.
export XP_STATE_DIR=$T/old-host
cp -a "$XP_SRCDIR/tests/cli/fixtures/repo-v1" "$T/v1"
chmod 600 "$T/v1/keys/repo.key"
password "$T/v1pw" 'fixture'
run xpseal open -r "$T/v1" --password-file "$T/v1pw" 7b420c77ee6d0e5a84ee7decf92449ac
like "$rc:$out:$err" "0:fixture backup:xpseal: $T/v1: keys/repo.key is of an older format that does not carry the signer's key: the password cannot vouch for keys/signer.pub
xpseal: $T/v1: no trust pins on this host: pinned repository *, repository key *, signer * found in the repository (trust on first use; see xpseal trust)" \
	"an old repo.key still opens, with a warning"
done_testing
