#!/bin/bash
# make install (README.md's install line) into a staging directory: the tools, the job, the
# restore drill as xpbackup-drill and every man page land under the prefix, and the installed
# tools back up, open and drill a backup from the installed bindir alone.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
[ -f "$XP_BUILDDIR/Makefile" ] || skip_all "no Makefile in $XP_BUILDDIR"
need_sqlite

prefix=$(sed -n 's/^prefix = //p' "$XP_BUILDDIR/Makefile")
D=$T/dest
run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$XP_BUILDDIR" install DESTDIR="$D"
is "$rc" 0 "make install DESTDIR=... exits 0"
[ "$rc" -eq 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/# /'
I=$D$prefix

for t in xpdump xpseal xpverify xpexpire xpcopy xperase xprestore xpbackup-job xpbackup-drill; do
	[ -x "$I/bin/$t" ]
	ok $? "bin/$t is installed, executable"
done
cmp -s "$I/bin/xpbackup-drill" "$XP_SRCDIR/scripts/xpbackup-drill"
ok $? "bin/xpbackup-drill is scripts/xpbackup-drill"
for p in "$XP_SRCDIR"/man/*.[1-8]; do
	n=${p##*/}
	cmp -s "$I/share/man/man${n##*.}/$n" "$p"
	ok $? "share/man/man${n##*.}/$n is installed"
done
for page in xpbackup-job xpbackup-drill xpdump xpseal xpverify xpexpire xpcopy xperase xprestore xpbackup; do
	if command -v man >/dev/null; then
		MANPATH=$I/share/man man -w "$page" >/dev/null 2>&1
		ok $? "man $page finds its page"
	else
		skip "man(1) is not installed"
	fi
done

# the installed tools alone, found on PATH as an administrator would
export PATH=$I/bin:/usr/bin:/bin XP_SIGNING_KEY=$T/signer.key
password "$T/pw" 'correct horse'
sqlite3 "$T/src.db" "CREATE TABLE audit (id INTEGER PRIMARY KEY, who TEXT);
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250)
	INSERT INTO audit SELECT i, 'user' || (i % 7) FROM n"
xpseal init -r "$T/repo" --password-file "$T/pw" >/dev/null 2>&1
ok $? "the installed xpseal makes a repository"
id=$(xpdump -q --dsn "$(sqlite_dsn "$T/src.db")" -t audit | xpseal -q -r "$T/repo" --source s)
ok $? "the installed xpdump and xpseal back up"
run xpbackup-drill -r "$T/repo" -p "$T/pw" -S "$T/src.db"
is "$rc" 0 "the installed xpbackup-drill drills that backup"
is "$out" "xpbackup-drill: $id: table audit: SUMMARY 250, restored 250, source 250
xpbackup-drill: $id: 1 table(s) restored, row counts match" "and reports the counts"
run xpbackup-drill -h
is "$rc" 0 "xpbackup-drill -h exits 0"
like "$out" "usage: xpbackup-drill *" "and names itself"
done_testing
