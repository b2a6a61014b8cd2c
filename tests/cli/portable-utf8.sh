#!/bin/bash
# Paths with blanks and non-ASCII letters, on the command line and in the environment
# (XP_REPO, XP_PASSWORD_FILE, XP_SIGNING_KEY), reach every file the tools open: init, seal,
# open and verify. On Windows (make check-wine) the tools run with UTF-8 as their code page
# (their manifest), so the C library's getenv gives UTF-8 as on Unix, not the ANSI code page;
# a Windows that does not grant it (before 10 1903) would have ODBC convert text to that
# page, so the tools refuse to connect there (status 1), saying why.
. "$XP_SRCDIR/tests/lib.sh"
# wine hands a program its arguments, environment and file names in the locale's charset;
# Windows' own are UTF-16, which a UTF-8 locale here stands for
[ -z "${XP_EXE_WRAP:-}" ] || export LC_ALL=C.UTF-8

H="$T/Jörg Müller"
mkdir -p "$H/données"
R="$H/répo ü€"
password "$H/mot de passé" 'correct horse battery'
export XP_SIGNING_KEY="$H/clé/signer.key"
seq 1 50000 >"$H/données/journal 😀.txt"

run xpseal init -r "$R" --password-file "$H/mot de passé"
is "$rc:$err" "0:" "init makes a repository at a non-ASCII path given on the command line"
ok "$([ -s "$R/keys/repo.key" ] && [ -s "$XP_SIGNING_KEY" ])$?" \
	"its key and the signing key named by XP_SIGNING_KEY are there"

export XP_REPO=$R XP_PASSWORD_FILE="$H/mot de passé"
run xpseal -i "$H/données/journal 😀.txt"
id=$out
like "$rc:$id:$err" "0:[0-9a-f][0-9a-f]*:" "seal finds the repository through XP_REPO"
run xpseal open "$id" -o "$H/données/rendu é.txt"
is "$rc:$err" "0:" "open finds the password file through XP_PASSWORD_FILE"
cmp -s "$H/données/journal 😀.txt" "$H/données/rendu é.txt"
ok $? "and gives the exact bytes back"
run xpverify
is "$rc:$out" "0:$id: good signature
catalog and journal: no findings" "verify checks the repository of XP_REPO"

if [ -z "${XP_EXE_WRAP:-}" ]; then
	skip "a code page other than UTF-8: Windows only (make check-wine)"
elif ! command -v sqlite3 >/dev/null || ! odbcinst -q -d -n SQLite3 >/dev/null 2>&1; then
	skip "a code page other than UTF-8: no sqlite3 or no SQLite3 ODBC driver"
else
	sqlite3 "$H/données/src.db" "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('Jörg €')"
	run xpdump --dsn "$(sqlite_dsn "$H/données/src.db")" -t t -o "$H/données/t.tar"
	is "$rc:$err:$(tar xOf "$H/données/t.tar" t/000001.csv | tr '\n' ' ')" "0::x Jörg € " \
		"xpdump reads a database at a non-ASCII path, its text exact"
	# the same program without its manifest: Windows' ANSI code page (1252 here)
	mkdir -p "$T/old/src/xpdump"
	x86_64-w64-mingw32-objcopy --remove-section=.rsrc "$XP_BUILDDIR/src/xpdump/xpdump.exe" \
		"$T/old/src/xpdump/xpdump.exe"
	cp "$H/données/src.db" "$T/plain.db"
	XP_BUILDDIR=$T/old run xpdump --dsn "Driver=SQLite3;Database=$T/plain.db" -t t -o "$T/t.tar"
	is "$rc:$err" "1:xpdump: odbc: Windows runs this program in a code page other than UTF-8, which would lose text that it lacks: Windows 10 1903, Server 2022 or later is needed" \
		"in a code page other than UTF-8, xpdump refuses to connect (status 1), saying why"
	ok "$([ ! -e "$T/t.tar" ])$?" "and writes nothing"
fi

done_testing
