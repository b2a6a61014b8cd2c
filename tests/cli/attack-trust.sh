#!/bin/bash
# Someone who can write the repository's storage, but not the backup host's state: they swap the
# repository key, swap the signer and re-sign everything, or roll the catalog and journal back.
# The host's pins (outside the repository) refuse each with status 3 and one line.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
password "$T/evilpw" 'evil password'
xpseal init -r "$R" --password-file "$T/pw" || exit 1
echo first >"$T/first"
xpseal -r "$R" -i "$T/first" >/dev/null || exit 1
signtool() { "$XP_BUILDDIR/tests/unit/crypto/signtool" "$@"; }
# backups: the .xps files in the repository.
backups() { find "$R/data" -name '*.xps' | wc -l; }
# resign KEY FILE...: signs each FILE again with KEY, keeping its trusted comment.
resign() {
	local key=$1 f
	shift
	for f in "$@"; do
		signtool sign "$key" "$f" "$(sed -n 's/^trusted comment: //p' "$f.minisig")" || exit 1
	done
}

# 1. Their repository key: the host must not seal to it.
XP_STATE_DIR=$T/evilstate xpseal init -r "$T/evil" --password-file "$T/evilpw" \
	--signing-key "$T/evil.key" || exit 1
cp "$R/keys/repo.pub" "$T/repo.pub.good"
cp "$T/evil/keys/repo.pub" "$R/keys/repo.pub"
run xpseal -r "$R" -i "$T/first"
like "$rc:$(wc -l <"$T/.err"):$err" \
	"3:1:xpseal: $R: keys/repo.pub: repository key * is not the key * pinned on this host; if this change was intended: xpseal trust --reset -r $R" \
	"attack 1: a swapped repository key is refused (3, one line naming the pin)"
is "$(backups)" 1 "attack 1: nothing was sealed to their key"
# Their key together with a fresh repository id (a "new" repository at the same place).
cp "$R/keys/repo.id" "$T/repo.id.good"
cp "$T/evil/keys/repo.id" "$R/keys/repo.id"
run xpseal -r "$R" -i "$T/first"
like "$rc:$err" "3:xpseal: $R: repository id * is not the id * pinned on this host for this path; *" \
	"attack 1: a new repository id at the same path is not trusted anew"
rm "$R/keys/repo.id"
run xpseal -r "$R" -i "$T/first"
is "$rc" 3 "attack 1: nor is a repository id removed"
cp "$T/repo.id.good" "$R/keys/repo.id"
cp "$T/repo.pub.good" "$R/keys/repo.pub"
is "$(backups)" 1 "attack 1: still one backup, sealed to the repository's own key"
run xpverify -r "$R" --deep --password-file "$T/pw"
is "$rc" 0 "attack 1: with the key put back, the repository verifies deep"

# 2. Their signer: signer.pub replaced, every signature and the catalog re-signed, and a forged
# backup sealed to the repository's (public) key, prepared on a copy under their own state.
signtool keygen "$T/evil.sign" "$T/evil.pub" || exit 1
cp -a "$R" "$T/copy"
cp "$T/evil.pub" "$T/copy/keys/signer.pub"
resign "$T/evil.sign" "$T/copy/catalog" "$T/copy"/data/*/*.xps
echo forged >"$T/forged"
F=$(XP_STATE_DIR=$T/evilstate XP_SIGNING_KEY=$T/evil.sign xpseal -r "$T/copy" -i "$T/forged" -q 2>/dev/null) ||
	exit 1
mv "$R" "$T/repo.good" && cp -a "$T/copy" "$R"
run xpverify -r "$R"
like "$rc:$(wc -l <"$T/.err"):$err" \
	"3:1:xpverify: $R: keys/signer.pub: signer * is not the signer pinned on this host (*); if this change was intended: xpseal trust --reset -r $R" \
	"attack 2: xpverify refuses a swapped signer (3, one line)"
run xpseal open -r "$R" --password-file "$T/pw" "$F"
like "$rc:$out:$err" "3::xpseal: $R: keys/signer.pub: signer * is not the signer pinned on this host*" \
	"attack 2: xpseal open refuses the forged backup and prints nothing of it"
run xpseal -r "$R" -i "$T/first"
is "$rc" 3 "attack 2: nor does the host seal into it"
run xpverify "$R/data/${F:0:2}/$F.xps"
like "$rc:$err" "3:xpverify: $R: keys/signer.pub: signer * is not the signer pinned on this host*" \
	"attack 2: nor does xpverify FILE trust the signer.pub above the file"
# A recovery machine (no pins) with the password: repo.key names the true signer.
export XP_STATE_DIR=$T/newhost
run xpseal open -r "$R" --password-file "$T/pw" "$F"
like "$rc:$out:$err" "3::xpseal: $R: keys/signer.pub: signer * is not the signer in keys/repo.key (*)*" \
	"attack 2: on a new machine, the password's key file unmasks the swapped signer"
run xpverify -r "$R" --deep --password-file "$T/pw"
like "$rc:$err" "3:xpverify: $R: keys/signer.pub: signer * is not the signer in keys/repo.key*" \
	"attack 2: so does xpverify --deep"
is "$(find "$T/newhost" -name pins 2>/dev/null | wc -l)" 0 "attack 2: nothing was pinned on the new machine"
unset XP_STATE_DIR
export XP_STATE_DIR=$T/state
rm -rf "$R" && mv "$T/repo.good" "$R"

# 4. Rollback: the older catalog and its signature back, the journal cut to their mark, the
# newer backup deleted.
cp "$R/catalog" "$T/catalog.old" && cp "$R/catalog.minisig" "$T/catalog.minisig.old" &&
	cp "$R/journal" "$T/journal.old" || exit 1
echo second >"$T/second"
B=$(xpseal -r "$R" -i "$T/second") || exit 1
run xpverify -r "$R"
is "$rc" 0 "attack 4: before the rollback the repository verifies"
cp "$T/catalog.old" "$R/catalog" && cp "$T/catalog.minisig.old" "$R/catalog.minisig" &&
	cp "$T/journal.old" "$R/journal" && rm "$R/data/${B:0:2}/$B".xps* || exit 1
run xpverify -r "$R"
like "$rc:$(wc -l <"$T/.err"):$err" \
	"3:1:xpverify: $R: catalog: older than the one this host has seen (written at journal event 1, not 3: rolled back?); if this change was intended: xpseal trust --reset -r $R" \
	"attack 4: xpverify refuses the rolled-back catalog"
run xpseal -r "$R" -i "$T/second"
is "$rc" 3 "attack 4: the next seal does not bless it"
run xpverify -r "$R"
is "$rc" 3 "attack 4: and it is still refused after that"
run xpexpire -r "$R" --keep-last 1
like "$rc:$err" "3:xpexpire: $R: catalog: older than the one this host has seen*" \
	"attack 4: xpexpire changes nothing in it"

# 5. The catalog, its signature and the journal deleted: not a repository that never had them.
R5=$T/repo5
export XP_STATE_DIR=$T/state5
xpseal init -r "$R5" --password-file "$T/pw" >/dev/null 2>&1 &&
	xpseal -r "$R5" -i "$T/first" >/dev/null || exit 1
run xpverify -r "$R5"
is "$rc" 0 "attack 5: before the deletion the repository verifies"
rm "$R5/catalog" "$R5/catalog.minisig" "$R5/journal" || exit 1
run xpverify -r "$R5"
like "$rc:$(wc -l <"$T/.err"):$err" \
	"3:1:xpverify: $R5: catalog: older than the one this host has seen (written at journal event 0, not 1: rolled back?); if this change was intended: xpseal trust --reset -r $R5" \
	"attack 5: xpverify refuses a repository whose catalog and journal were deleted"
run xpverify -r "$R5" --deep --password-file "$T/pw"
is "$rc" 3 "attack 5: --deep refuses it too"
done_testing
