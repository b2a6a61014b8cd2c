#!/bin/bash
# Repositories carried both ways between two hosts: one made and sealed by the other host's tools
# is opened, verified deep, expired (retention, a hold) and sealed to by the tools under test,
# and the other host then verifies it again with its pins intact; and the reverse. Under wine
# (make check-wine) the tools under test are the .exe and the other host is the Linux build
# given by XP_LINUX_BUILDDIR; natively both hosts run this build, each with its own state.
# No file any tool writes holds a CR.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

if [ -n "${XP_EXE_WRAP:-}" ]; then
	L=${XP_LINUX_BUILDDIR:-}
	[ -x "${L:-/nonexistent}/src/xpseal/xpseal" ] ||
		skip_all "no Linux build to carry repositories from (make check-wine XP_LINUX_BUILDDIR=DIR)"
else
	L=$XP_BUILDDIR
fi
# other TOOL ARGS...: the other host's tool, with its own state directory; mine CMD...: the tools
# under test (both called through carry's arguments)
# shellcheck disable=SC2317
other() {
	local t=$1
	shift
	XP_STATE_DIR=$T/other-state "$L/src/$t/$t" "$@"
}
# The signing key travels with the repository: both hosts sign with it.
export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" 'correct horse'
head -c 200000 /dev/urandom >"$T/a"
seq 1 100000 >"$T/b"
seq 5 300000 >"$T/c"
# verified ID...: what xpverify prints for a repository holding exactly these backups
verified() { printf '%s: good signature\n' "$@" | sort; }
sorted() { sort <<<"$1"; }

# carry MAKER USER NAME: a repository $T/NAME made by MAKER (other or mine), used by USER
# shellcheck disable=SC2317
mine() { "$@"; }
carry() {
	local mk=$1 us=$2 n=$3 R=$T/$3 a b c d
	run $mk xpseal init -r "$R" --password-file "$T/pw"
	is "$rc:$err" "0:" "$n: init"
	a=$(XP_NOW=2026-03-01T00:00:00Z $mk xpseal -r "$R" --source db -i "$T/a")
	b=$(XP_NOW=2026-03-02T00:00:00Z $mk xpseal -r "$R" --source db -i "$T/b")
	like "$a:$b" "[0-9a-f]*:[0-9a-f]*" "$n: two backups sealed"
	run $mk xpverify -r "$R"
	is "$rc:$(sorted "$out")" "0:$(sorted "$(verified "$a" "$b")
catalog and journal: no findings")" "$n: its maker verifies it"

	# the other host's turn
	run $us xpseal open -r "$R" --password-file "$T/pw" "$a" -o "$T/$n.a"
	like "$rc:$err" "0:xpseal: $R: no trust pins on this host: pinned repository *, repository key *, signer * from keys/repo.key, unlocked with the password (trust on first use; see xpseal trust)" \
		"$n: carried: open -o, pinning the repository on first use, saying so"
	cmp -s "$T/a" "$T/$n.a"
	ok $? "$n: carried: the exact bytes"
	$us xpseal open -r "$R" --password-file "$T/pw" "$b" | cmp -s - "$T/b"
	ok $? "$n: carried: open to standard output, the exact bytes"
	run $us xpverify -r "$R" --deep --password-file "$T/pw"
	is "$rc:$(grep -c 'deep check passed' <<<"$out")" "0:2" "$n: carried: verify --deep passes both"
	c=$(XP_NOW=2026-03-03T00:00:00Z $us xpseal -r "$R" --source db -i "$T/c")
	like "$?:$c" "0:[0-9a-f]*" "$n: carried: seals to it"
	run $us xpexpire -r "$R" --hold "$a" --reason "case 12: keep"
	is "$rc:$out" "0:held $a" "$n: carried: a hold"
	XP_NOW=2026-03-04T00:00:00Z run $us xpexpire -r "$R" --keep-last 1
	is "$rc" 0 "$n: carried: expire --keep-last 1"
	like "$out" "*1 of 3 backups deleted*" "$n: carried: deletes the one neither newest nor held"
	ok "$([ -e "$R/data/${a:0:2}/$a.xps" ] && [ ! -e "$R/data/${b:0:2}/$b.xps" ] &&
		[ -e "$R/data/${c:0:2}/$c.xps" ])$?" "$n: carried: the held and the newest stay, the other's file goes"
	run $us xpverify -r "$R"
	is "$rc:$(sorted "$out")" "0:$(sorted "$(verified "$a" "$c")
catalog and journal: no findings")" "$n: carried: verify, no findings"

	# back to its maker, whose pins were made before
	run $mk xpverify -r "$R" --deep --password-file "$T/pw"
	is "$rc:$err:$(grep -c 'deep check passed' <<<"$out")" "0::2" "$n: back: its maker verifies it deep, pins intact"
	like "$out" "*catalog and journal: no findings*" "$n: back: no findings"
	$mk xpseal open -r "$R" --password-file "$T/pw" "$c" | cmp -s - "$T/c"
	ok $? "$n: back: the carried host's backup opens, the exact bytes"
	run $mk xpexpire -r "$R" --release "$a"
	is "$rc:$out" "0:released $a" "$n: back: the hold is released"
	XP_NOW=2026-03-05T00:00:00Z run $mk xpexpire -r "$R" --keep-last 1
	like "$rc:$out" "0:*1 of 2 backups deleted*" "$n: back: and expiry takes it"
	d=$(XP_NOW=2026-03-06T00:00:00Z $mk xpseal -r "$R" --source db -i "$T/a")
	run $mk xpverify -r "$R"
	is "$rc:$(sorted "$out")" "0:$(sorted "$(verified "$c" "$d")
catalog and journal: no findings")" "$n: back: sealed to again, verify, no findings"
	run $us xpverify -r "$R"
	is "$rc:$err" "0:" "$n: and again on the carried host"
}
carry other mine linux-made
carry mine other here-made

# The same formats: every text file the tools wrote ends its lines in LF alone, and the
# repository's files have the same header and the same fields from both hosts.
run grep -rlIU $'\r' "$T/linux-made" "$T/here-made" "$T/state" "$T/other-state"
is "$rc:$out" "1:" "no CR in any text file of either repository or either host's state"
ok "$([ "$(grep -rlIU . "$T/linux-made" | wc -l)" -ge 8 ])$?" "(the check saw the text files)"
shape() { head -n 1 "$1"; awk -F'\t' 'NR > 1 { print NF }' "$1" | sort | uniq -c; }
for f in catalog journal config keys/repo.id keys/repo.pub keys/signer.pub; do
	is "$(shape "$T/here-made/$f")" "$(shape "$T/linux-made/$f")" "$f: the same format from both hosts"
done
is "$(stat -c %s "$T/linux-made/keys/repo.key")" "$(stat -c %s "$T/here-made/keys/repo.key")" \
	"keys/repo.key: the same size from both"

done_testing
