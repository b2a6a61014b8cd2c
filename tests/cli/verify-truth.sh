#!/bin/bash
# xpverify never calls fine what it did not check: a path that is not a repository fails, so
# does a repository with nothing to check; the --json counts agree with the lines printed for
# every kind of finding; an I/O error is never status 3; a deep check that cannot be journaled
# (a read-only repository) is decided by its result, with a warning.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key
password "$T/pw" 'truth test password'
catalog_tool() { "$XP_BUILDDIR/tests/unit/repo/catalog-tool" "$@"; }
# counts: the JSON counts of $out, and the kinds of finding that are not zero.
counts() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
f = " ".join("%s=%d" % (k, v) for k, v in d.get("findings", {}).items() if v)
print("checked=%d good=%d bad=%d missing=%d error=%d results=%d|%s" % (d["checked"], d["good"],
      d["bad"], d["missing"], d["error"], len(d["results"]), f))' <<<"$out"
}

# --- not a repository --------------------------------------------------------------------
run xpverify -r "$T/none"
is "$rc|$out|$err" "1||xpverify: $T/none: not a repository (no such directory)" \
	"a path that does not exist is not a repository: exit 1, one line"
mkdir "$T/mnt"
run xpverify -r "$T/mnt"
is "$rc|$out|$err" "1||xpverify: $T/mnt: not a repository (empty directory: nothing mounted there?)" \
	"an empty directory (a mount point with nothing mounted) is not a repository"
mkdir -p "$T/other/data" && echo x >"$T/other/notes"
run xpverify -r "$T/other"
is "$rc|$out|$err" "1||xpverify: $T/other: not a repository (no keys/repo.pub)" \
	"a directory without keys/repo.pub is not a repository"
run xpverify -r "$T/mnt" --json
is "$rc|$out|$err" "1|{\"message\":\"$T/mnt: not a repository (empty directory: nothing mounted there?)\"}|xpverify: $T/mnt: not a repository (empty directory: nothing mounted there?)" \
	"--json: the reason on stderr and in the object's message, exit 1"
XP_REPO=$T/mnt run xpverify --deep --password-file "$T/pw"
is "$rc|$err" "1|xpverify: $T/mnt: not a repository (empty directory: nothing mounted there?)" \
	"--deep: not a repository, before the password is used"

# --- nothing to check --------------------------------------------------------------------
R=$T/repo
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || exit 1
run xpverify -r "$R"
is "$rc|$out|$err" "1||xpverify: $R: nothing checked: no backups" \
	"a repository without backups: exit 1, saying so"
run xpverify -r "$R" --json
is "$rc|$(counts)|$err" "1|checked=0 good=0 bad=0 missing=0 error=0 results=0||xpverify: $R: nothing checked: no backups" \
	"--json: nothing counted, exit 1"
like "$out" '*"message":"'"$R"': nothing checked: no backups"*' "and the object says why"

printf 'first\n' >"$T/in1"
A=$(xpseal -r "$R" -i "$T/in1") || exit 1
catalog_tool "$R" "$XP_SIGNING_KEY" delete "$A" >/dev/null || exit 1
run xpverify -r "$R"
is "$rc|$out|$err" "1||xpverify: $R: nothing checked: no backups" \
	"every backup deleted: the catalog is fine, yet nothing was checked: exit 1, never \"no findings\""

A=$(xpseal -r "$R" -i "$T/in1") || exit 1
PA=$R/data/${A:0:2}/$A.xps
N=0123456789abcdef0123456789abcdef
run xpverify -r "$R" "$N"
is "$rc|$out|$err" "1||xpverify: $R/data/01/$N.xps: No such file or directory
xpverify: $R: nothing checked: none of the backups asked for is there" \
	"an id that does not exist: exit 1, nothing checked"
run xpverify -r "$R" --json "$N"
is "$rc|$(counts)" "1|checked=0 good=0 bad=0 missing=1 error=0 results=1|" \
	"--json: a backup asked for that is not there is missing, not checked"
run xpverify -r "$R" "$A"
is "$rc|$out|$err" "0|$A: good signature|" "one existing backup by id still passes"
run xpverify -r "$R"
is "$rc|$out|$err" "0|$A: good signature
catalog and journal: no findings|" "a repository with one good backup passes"

# --- the counts agree with what is printed -----------------------------------------------
printf 'second\n' >"$T/in2"
B=$(xpseal -r "$R" -i "$T/in2") || exit 1
PB=$R/data/${B:0:2}/$B.xps
mv "$PB" "$T/saved"
run xpverify -r "$R" --json
is "$rc|$(counts)|$err" "1|checked=1 good=1 bad=0 missing=1 error=0 results=2|missing=1|xpverify: data/${B:0:2}/$B.xps: missing" \
	"a cataloged backup deleted from disk counts as missing"
like "$out" "*{\"id\":\"$B\",\"path\":\"$PB\",\"status\":\"missing\"}*" "and is in the results"
mv "$T/saved" "$PB"
mv "$PA" "$T/saved"
run xpverify -r "$R" --json
is "$rc|$(counts)" "1|checked=1 good=1 bad=0 missing=1 error=0 results=2|missing=1" \
	"the other one deleted: still one checked, one missing"
mv "$PB" "$T/saved2"
run xpverify -r "$R"
is "$rc|$out|$(head -2 <<<"$err" | sort)|$(sed 1,2d <<<"$err")" "1||$(printf 'xpverify: %s: missing\n' \
	"data/${A:0:2}/$A.xps" "data/${B:0:2}/$B.xps" | sort)|xpverify: $R: nothing checked: none of its backups is there" \
	"every cataloged backup gone: missing, and nothing checked"
mv "$T/saved" "$PA"
mv "$T/saved2" "$PB"

cp "$PB" "$T/saved"
printf 'x' >>"$PB"
run xpverify -r "$R" --json
is "$rc|$(counts)" "3|checked=2 good=1 bad=1 missing=0 error=0 results=2|size=1" \
	"a backup one byte longer: bad, and a size finding"
cp "$T/saved" "$PB"

touch "$R/data/${A:0:2}/stray"
run xpverify -r "$R" --json
is "$rc|$(counts)|$err" "1|checked=2 good=2 bad=0 missing=0 error=0 results=2|orphan=1|xpverify: data/${A:0:2}/stray: not a backup file" \
	"an orphan: counted as one, exit 1"
rm "$R/data/${A:0:2}/stray"

cp "$R/journal" "$T/journal"
sed -i 2d "$R/journal"
run xpverify -r "$R" --json
is "$rc|$(counts)|$(grep -c '^xpverify: journal: ' <<<"$err")" \
	"3|checked=2 good=2 bad=0 missing=0 error=0 results=2|journal=2|2" \
	"a broken journal chain: as many journal findings as lines, exit 3"
cp "$T/journal" "$R/journal"

printf 'third\n' >"$T/in3"
C=$(xpseal -r "$R" --shreddable -i "$T/in3") || exit 1
V=$XP_STATE_DIR/vault/$(sed -n 2p "$R/keys/repo.id")
mv "$V/$C.key" "$T/saved"
run xpverify -r "$R" --json
is "$rc|$(counts)" "1|checked=3 good=2 bad=0 missing=0 error=1 results=3|shred-key=1" \
	"a shreddable backup without its key is an error, exit 1"
like "$out" "*{\"id\":\"$C\",\"path\":\"$R/data/${C:0:2}/$C.xps\",\"status\":\"error\"}*" \
	"that backup's result is an error"
mv "$T/saved" "$V/$C.key"

# --- an I/O error is never status 3 ------------------------------------------------------
mv "$PB.minisig" "$T/saved"
mkdir "$PB.minisig"
run xpverify -r "$R" "$B"
is "$rc" 1 "a signature that cannot be read (a directory) is an I/O error: exit 1, not 3"
like "$err" "xpverify: $PB.minisig: *" "named, with the system's reason"
rmdir "$PB.minisig"
mv "$T/saved" "$PB.minisig"

mv "$R/catalog" "$T/saved"
mkdir "$R/catalog"
run xpverify -r "$R" --json
like "$rc|$(counts)" "1|checked=3 good=3 bad=0 missing=0 error=0 results=3|*unreadable=1*" \
	"a catalog that cannot be read is unreadable: exit 1, not 3"
rmdir "$R/catalog"
mv "$T/saved" "$R/catalog"

mv "$R/keys/signer.pub" "$T/saved"
mkdir "$R/keys/signer.pub"
run xpverify -r "$R" --json
like "$rc|$(counts)" "1|checked=3 good=3 bad=0 missing=0 error=0 results=3|*unreadable=1*" \
	"a public key that cannot be read: the backups pass on the pinned signer, the unreadable file is exit 1, not 3"
rmdir "$R/keys/signer.pub"
mv "$T/saved" "$R/keys/signer.pub"

run xpverify -r "$R"
is "$rc" 0 "repaired, the repository passes again"

# --- a deep check of a read-only repository ----------------------------------------------
ro() { # runs xpverify in a read-only repository
	if [ "$(id -u)" -ne 0 ]; then
		chmod a-w "$R" "$R/journal" "$R/lock"
		run xpverify "$@"
		chmod u+w "$R" "$R/journal" "$R/lock"
	else
		# shellcheck disable=SC2016 # the inner shell expands them
		run unshare -m sh -c 'mount --bind -o ro "$1" "$1" && shift && exec "$@"' sh "$R" \
			"$XP_BUILDDIR/src/xpverify/xpverify" "$@"
	fi
}
lines=$(wc -l <"$R/journal")
ro -r "$R" --deep --password-file "$T/pw" "$A"
if [ "$(id -u)" -eq 0 ] && [[ $err == *"unshare"* || $err == *"mount"* ]]; then
	skip "no read-only bind mount here ($err)"
	skip "no read-only bind mount here"
else
	is "$rc|$out" "0|$A: good signature
$A: deep check passed: 6 bytes, not a dump stream" \
		"--deep on a read-only repository: the check's result decides the status"
	like "$err" "xpverify: $A: verified result not journaled: *" "one warning line on stderr"
	is "$(wc -l <<<"$err")|$(wc -l <"$R/journal")" "1|$lines" "only that line; nothing was journaled"
fi

done_testing
