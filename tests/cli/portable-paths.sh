#!/bin/bash
# Paths with spaces and non-ASCII letters for the repository, the password file, the signing
# key, the input and the output, a copy target and a vault copy, natively and under wine
# (make check-wine); and, for the .exe, the same paths written the Windows way (a drive letter,
# backslashes: wine maps Z: to /).
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
# The file names are UTF-8 on the host; wine turns arguments and names to UTF-16 by the locale.
export LC_ALL=C.UTF-8

S="$T/Sauvegardes été"
R="$S/repo 1"
mkdir -p "$S" "$T/clés ü" "$T/entrée données" "$T/sortie ñ" "$T/NAS partagé" "$T/coffre clé"
PW="$T/clés ü/mot de passe é.txt"
KEY="$T/clés ü/signataire été.key"
export XP_SIGNING_KEY=$KEY
password "$PW" 'correct horse'
IN="$T/entrée données/journal d'audit ö.bin"
head -c 150000 /dev/urandom >"$IN"

# steps NAME REPO PW IN OUT COPY VAULT: the round trip through these spellings of the paths,
# under the real ones above ($R, $IN, ...) for the checks
steps() {
	local n=$1 r=$2 pw=$3 in=$4 o=$5 c=$6 v=$7 a b
	run xpseal init -r "$r" --password-file "$pw"
	is "$rc:$err" "0:" "$n: init"
	ok "$([ -s "$R/keys/repo.key" ] && [ -s "$KEY" ])$?" "$n: the repository and the signing key are where named"
	XP_NOW=2026-05-01T00:00:00Z run xpseal -r "$r" -i "$in"
	a=$out
	like "$rc:$a" "0:[0-9a-f][0-9a-f]*" "$n: seal -i"
	b=$(XP_NOW=2026-05-02T00:00:00Z xpseal -r "$r" --shreddable <"$IN")
	like "$?:$b" "0:[0-9a-f][0-9a-f]*" "$n: seal --shreddable from standard input"
	run xpseal open -r "$r" --password-file "$pw" "$a" -o "$o"
	is "$rc:$err" "0:" "$n: open -o"
	cmp -s "$IN" "$OUT"
	ok $? "$n: the exact bytes, in the file named"
	run xpverify -r "$r" --deep --password-file "$pw"
	is "$rc:$(grep -c 'deep check passed' <<<"$out")" "0:2" "$n: verify --deep"
	run xpverify "$r/data/${a:0:2}/$a.xps"
	is "$rc:${out##*[/\\]}" "0:$a.xps: good signature" "$n: verify FILE"
	run xpseal vault add -r "$r" "$v"
	# (Windows names it by its full path, Z:/tmp/…, whatever the spelling given)
	like "$rc:$out" "0:vault copy *${v##*[/\\]}: registered
$b: vault copy *${v##*[/\\]}: copied" "$n: a vault copy"
	run xpcopy add -r "$r" --jurisdiction eu nas "$c"
	is "$rc:$err" "0:" "$n: a directory target"
	run xpcopy -r "$r" nas
	is "$rc" 0 "$n: copied"
	run xpverify -r "$c"
	is "$rc:$(sort <<<"$out")" "0:$(printf '%s: good signature\n' "$a" "$b" "catalog and journal: no findings" |
		sed '$s/: good signature$//' | sort)" "$n: the copy verifies"
	run xpexpire -r "$r" --shred "$b" --reason "demande 7"
	is "$rc:$out" "0:shredded $b" "$n: shred"
	XP_NOW=2026-05-03T00:00:00Z run xpexpire -r "$r" --keep-last 1
	like "$rc:$out" "0:*backups deleted*" "$n: expire"
	run xpcopy -r "$r" nas
	is "$rc" 0 "$n: copied again"
	run xpverify -r "$r"
	is "$rc:$err" "0:" "$n: verify after all that"
}
OUT="$T/sortie ñ/données ré.out"
steps "names" "$R" "$PW" "$IN" "$OUT" "$T/NAS partagé" "$T/coffre clé"

if [ -n "${XP_EXE_WRAP:-}" ]; then
	# win PATH: PATH written the Windows way
	win() { printf 'Z:%s' "${1//\//\\}"; }
	rm -rf "$S" "$T/NAS partagé" "$T/coffre clé" "$T/state" "$OUT" "$KEY"
	mkdir -p "$S" "$T/NAS partagé" "$T/coffre clé"
	XP_SIGNING_KEY=$(win "$KEY")
	steps "Z:\\" "$(win "$R")" "$(win "$PW")" "$(win "$IN")" "$(win "$OUT")" "$(win "$T/NAS partagé")" \
		"$(win "$T/coffre clé")"
else
	skip "Windows paths (drive letter, backslashes): only under wine"
fi

done_testing
