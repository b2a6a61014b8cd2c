#!/bin/bash
# Someone who can write the repository's storage (a NAS, a travelling disk) plants links,
# FIFOs and forged journal lines there. The tools follow no link below REPO, never wait on a
# FIFO, refuse what is not a regular file in one line, and a forged journal line is a finding,
# never a failure of every later run. Clear data (-o) never goes into a FIFO or a file another
# user owns. No tool can leave a core dump.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key
password "$T/pw" 'attack test password'
RP=$T/r
xpseal init -r "$RP" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! init failed"; exit 1; }
printf 'clear text\n' >"$T/in"
A=$(xpseal -r "$RP" -i "$T/in") || { echo "Bail out! seal failed"; exit 1; }
SIG=$RP/data/${A:0:2}/$A.xps.minisig
# in20 TOOL ARGS...: the tool, killed after 20 s (a FIFO it waits on would hang the test).
# shellcheck disable=SC2317 # called through run
in20() { timeout 20 "$XP_BUILDDIR/src/$1/$1" "${@:2}"; }
# ids: the backups the catalog lists.
ids() { xpexpire -r "$RP" --list | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' '; }

# --- 7: links in the repository ----------------------------------------------------------
mv "$RP/journal" "$T/journal.saved"
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$RP/journal"
run xpexpire -r "$RP" --hold "$A" --reason test
is "$rc|$err" "1|xpexpire: $RP/journal: not a regular file (a symbolic link)" \
	"a link planted as the journal: a change refuses it in one line, exit 1"
is "$(cat "$T/victim")" "precious" "and the file it points to is neither appended to nor cut"
printf 'torn' >"$T/victim"
run xpexpire -r "$RP" --keep-last 5
is "$rc|$(cat "$T/victim")" "1|torn" "nor cut back when it looks like a torn journal"
run xpverify -r "$RP"
is "$rc|$err" "3|xpverify: $RP/journal: a symbolic link where a file must be (never followed)" \
	"xpverify names it once, as planted (exit 3)"
rm "$RP/journal"
mv "$T/journal.saved" "$RP/journal"

# a link to a true copy of the catalog, its signature or the journal is still planted: it is
# reported as what it is, never as a rollback (the host pinned what it has seen)
xpverify -r "$RP" >/dev/null 2>&1
for f in catalog.minisig catalog journal; do
	mv "$RP/$f" "$T/$f.saved"
	cp "$T/$f.saved" "$T/$f.copy"
	ln -s "$T/$f.copy" "$RP/$f"
	run xpverify -r "$RP"
	is "$rc|$err" "3|xpverify: $RP/$f: a symbolic link where a file must be (never followed)" \
		"a link planted as $f: named as such, not as a rollback, exit 3"
	rm "$RP/$f"
	mv "$T/$f.saved" "$RP/$f"
done
# all three as links to nowhere: the catalog is still checked, not skipped as never made
for f in catalog.minisig catalog journal; do
	mv "$RP/$f" "$T/$f.saved"
	ln -s "$T/nowhere-$f" "$RP/$f"
done
run xpverify -r "$RP"
is "$rc|$err" "3|xpverify: $RP/catalog: a symbolic link where a file must be (never followed)
xpverify: $RP/catalog.minisig: a symbolic link where a file must be (never followed)
xpverify: $RP/journal: a symbolic link where a file must be (never followed)" \
	"the catalog, its signature and the journal as dangling links: each named, exit 3, not a signature check alone"
for f in catalog.minisig catalog journal; do
	rm "$RP/$f"
	mv "$T/$f.saved" "$RP/$f"
done

# the repository's config: xpseal and xpverify refuse a link alike
mv "$RP/config" "$T/config.saved"
cp "$T/config.saved" "$T/config.copy"
ln -s "$T/config.copy" "$RP/config"
run xpseal -r "$RP" -i "$T/in"
is "$rc|$err" "1|xpseal: $RP/config: not a regular file (a symbolic link)" \
	"a link planted as config: xpseal refuses it, exit 1"
run xpverify -r "$RP"
is "$rc|$out|$err" "1||xpverify: $RP/config: not a regular file (a symbolic link)" \
	"and xpverify refuses it the same way, checking nothing"
rm "$RP/config"
mv "$T/config.saved" "$RP/config"
run xpverify -r "$RP"
is "$rc" 0 "the repository is whole again"

rm -f "$RP/lock"
ln -s "$T/created-by-lock" "$RP/lock"
run xpseal -r "$RP" -i "$T/in"
is "$rc|$err" "1|xpseal: $RP/lock: not a regular file (a symbolic link)" \
	"a link planted as the lock: refused, exit 1"
ok "$([ ! -e "$T/created-by-lock" ]; echo $?)" "and no file is created where it points"
run xpverify -r "$RP"
is "$rc|${err%%$'\n'*}" "1|xpverify: $RP/lock: not a regular file (a symbolic link)" \
	"a check takes the shared lock the same way"
rm "$RP/lock"

mkdir "$T/keys-elsewhere"
mv "$RP/keys" "$T/keys-elsewhere/keys"
ln -s "$T/keys-elsewhere/keys" "$RP/keys"
run xpseal -r "$RP" -i "$T/in"
is "$rc|$err" "1|xpseal: $RP/keys: not a directory (a symbolic link)" \
	"a link planted as keys/: no key is read through it"
rm "$RP/keys"
mv "$T/keys-elsewhere/keys" "$RP/keys"
D=$RP/data/${A:0:2}
mv "$D" "$T/data-elsewhere"
ln -s "$T/data-elsewhere" "$D"
run xpverify -r "$RP" "$A"
is "$rc|$err" "1|xpverify: $D: not a directory (a symbolic link)" \
	"a link planted as data/XX: xpverify does not read backups through it"
run xpverify -r "$RP"
like "$rc|$err" "1|*xpverify: $D: not a directory (a symbolic link)*" "nor does the whole check"
rm "$D"
mv "$T/data-elsewhere" "$D"
mkdir "$T/seal-elsewhere"
for x in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
	for y in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
		[ -e "$RP/data/$x$y" ] || ln -s "$T/seal-elsewhere" "$RP/data/$x$y"
	done
done
run xpseal -r "$RP" -i "$T/in"
like "$rc|$err" "1|xpseal: $RP/data/??: not a directory (a symbolic link)" \
	"links planted as every data/XX: a seal refuses them"
is "$(find "$T/seal-elsewhere" -type f | wc -l)" 0 "and leaves nothing where they point"
find "$RP/data" -maxdepth 1 -type l -delete

# --- 7: xpseal open -o and xpdump -o never hand clear data to someone else ---------------
mkfifo -m 600 "$T/fifo"
run in20 xpseal open -r "$RP" --password-file "$T/pw" -o "$T/fifo" "$A"
is "$rc|$err" "1|xpseal: $T/fifo: not a regular file (a FIFO): refused" \
	"open -o refuses a FIFO at once (nothing waits for a reader)"
run xpseal open -r "$RP" --password-file "$T/pw" -o /dev/null "$A"
is "$rc|$err" "0|" "open -o /dev/null still works"
run xpseal open -r "$RP" --password-file "$T/pw" -o - "$A"
is "$rc|$out" "0|clear text" "open -o - writes to standard output"
run xpseal open -r "$RP" --password-file "$T/pw" -o "$T/mine" "$A"
is "$rc|$(cat "$T/mine")" "0|clear text" "open -o FILE of our own"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	: >"$T/theirs"
	chown nobody "$T/theirs"
	run xpseal open -r "$RP" --password-file "$T/pw" -o "$T/theirs" "$A"
	is "$rc|$err|$(wc -c <"$T/theirs")" \
		"1|xpseal: $T/theirs: owned by another user (uid $(id -u nobody)): refused|0" \
		"open -o refuses a file another user owns, and leaves it as it was"
	ln -s "$T/mine" "$T/their-link"
	chown -h nobody "$T/their-link"
	run xpseal open -r "$RP" --password-file "$T/pw" -o "$T/their-link" "$A"
	is "$rc|$err" "1|xpseal: $T/their-link: owned by another user (uid $(id -u nobody)): refused" \
		"and a link another user owns"
else
	skip "not root: cannot make a file another user owns"
	skip "not root: cannot make a link another user owns"
fi
if command -v sqlite3 >/dev/null && odbcinst -q -d 2>/dev/null | grep -qx '\[SQLite3\]'; then
	sqlite3 "$T/db" 'CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);'
	run in20 xpdump --dsn "$(sqlite_dsn "$T/db")" -t t -o "$T/fifo"
	is "$rc|$err" "1|xpdump: $T/fifo: not a regular file (a FIFO): refused" "xpdump -o refuses a FIFO"
	run xpdump --dsn "$(sqlite_dsn "$T/db")" -t t -o /dev/null
	is "$rc|$err" "0|" "xpdump -o /dev/null still works"
else
	skip "no SQLite ODBC driver"
	skip "no SQLite ODBC driver"
fi

# --- 8: a FIFO where a signature or a backup should be -----------------------------------
mv "$SIG" "$T/sig.saved"
mkfifo -m 600 "$SIG"
run in20 xpverify -r "$RP" "$A"
is "$rc|$out|$err" "1||xpverify: $SIG: not a regular file (a FIFO)" \
	"a FIFO named ID.xps.minisig: xpverify does not wait on it; one line, exit 1"
run in20 xpverify -r "$RP"
like "$rc|$err" "[13]|*$SIG: not a regular file (a FIFO)*" "nor does the whole-repository check"
run in20 xpseal open -r "$RP" --password-file "$T/pw" -o /dev/null "$A"
is "$rc|$err" "1|xpseal: $SIG: not a regular file (a FIFO)" "nor xpseal open"
rm "$SIG"
mv "$T/sig.saved" "$SIG"
XPS=$RP/data/${A:0:2}/$A.xps
mv "$XPS" "$T/xps.saved"
mkfifo -m 600 "$XPS"
run in20 xpverify -r "$RP"
like "$rc|$err" "[13]|*$XPS: not a regular file (a FIFO)*" "a FIFO named ID.xps is not waited on either"
rm "$XPS"
mv "$T/xps.saved" "$XPS"
run xpverify -r "$RP"
is "$rc" 0 "with the files back the repository checks clean"

# --- 8: a forged journal line longer than any writer makes -------------------------------
python3 - "$RP/journal" "$A" <<'PY'
import hashlib, sys
path, bid = sys.argv[1], sys.argv[2]
last = open(path, "rb").read().split(b"\n")[-2]
prev = hashlib.blake2b(last, digest_size=32).hexdigest()
line = "2026-11-30T00:00:00Z\t%s\tdeleting\t%s\t-\t%s\n" % (bid, "A" * 5000, prev)
open(path, "a").write(line)
PY
n=$(wc -l <"$RP/journal")
run xpverify -r "$RP"
is "$rc|$err" "3|xpverify: journal: line $n: reason or policy longer than 4096 bytes" \
	"xpverify reports the forged line as a journal finding (exit 3)"
run xpexpire -r "$RP" --list
is "$rc|$(ids)" "0|$A " "xpexpire --list still lists the backups"
run xpseal -r "$RP" -i "$T/in"
is "$rc|$err" "0|" "a new seal still works"
B=$out
is "$(ids)" "$(printf '%s\n' "$A" "$B" | sort | tr '\n' ' ')" \
	"and the forged deletion is not carried out"
run xpverify -r "$RP"
is "$rc|$err" "3|xpverify: journal: line $n: reason or policy longer than 4096 bytes" \
	"the finding stays until the journal is dealt with"

# --- core dumps --------------------------------------------------------------------------
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
	for t in xpdump xpseal xpverify xpexpire xprestore; do
		strace -e trace=prctl,setrlimit,prlimit64 -o "$T/trace" "$XP_BUILDDIR/src/$t/$t" --help >/dev/null 2>&1
		# (an AddressSanitizer build's runtime makes such calls too: each at least once, and
		# the last word on dumpable is "disable")
		is "$(grep -c 'RLIMIT_CORE, {rlim_cur=0, rlim_max=0}' "$T/trace" | sed 's/^[1-9][0-9]*$/yes/'):$(grep 'PR_SET_DUMPABLE' "$T/trace" | tail -n 1 | grep -c SUID_DUMP_DISABLE)" \
			"yes:1" "$t turns core dumps off (RLIMIT_CORE 0, not dumpable)"
	done
else
	for t in xpdump xpseal xpverify xpexpire xprestore; do skip "strace cannot trace here"; done
fi

# --- 7: the job's lock file --------------------------------------------------------------
if command -v sqlite3 >/dev/null && command -v flock >/dev/null &&
	odbcinst -q -d 2>/dev/null | grep -qx '\[SQLite3\]'; then
	# shellcheck source=tests/cli/job-lib.sh
	. "$XP_SRCDIR/tests/cli/job-lib.sh"
	"$MKDB" -n 20 -d 2 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
	conf "$T/job.conf" KEEP_LAST=10 LOCK=
	ln -s "$T/created-by-job" "$R/.xpbackup-job.lock"
	run "$JOB" -c "$T/job.conf"
	is "$rc|$err" "1|xpbackup-job: $R/.xpbackup-job.lock: not a regular file (a link, FIFO or device): refused" \
		"the job refuses a link planted as its lock file"
	ok "$([ ! -e "$T/created-by-job" ]; echo $?)" "and creates nothing where it points"
	rm "$R/.xpbackup-job.lock"
	mkfifo -m 600 "$R/.xpbackup-job.lock"
	run timeout 20 "$JOB" -c "$T/job.conf"
	is "$rc|$err" "1|xpbackup-job: $R/.xpbackup-job.lock: not a regular file (a link, FIFO or device): refused" \
		"and a FIFO, without waiting on it"
	rm "$R/.xpbackup-job.lock"
	run "$JOB" -c "$T/job.conf"
	is "$rc" 0 "with a plain lock file the job runs"
else
	for _ in 1 2 3 4; do skip "no SQLite ODBC driver or flock"; done
fi

# --- 7: a deletion does not reach through a link planted as data/XX ----------------------
B=$(xpseal -r "$RP" -i "$T/in")
DB=$RP/data/${B:0:2}
mkdir -p "$T/del-elsewhere"
cp -p "$DB/$B.xps" "$DB/$B.xps.minisig" "$T/del-elsewhere/"
mv "$DB" "$T/del-saved"
ln -s "$T/del-elsewhere" "$DB"
XP_NOW=2099-01-01T00:00:00Z run xpexpire -r "$RP" --max-age 1d --keep-last 0
like "$rc|$err" "1|*$DB: not a directory (a symbolic link)*" \
	"an expiry whose backup's data/XX is a link fails, naming it"
is "$(find "$T/del-elsewhere" -type f | wc -l)" 2 "and removes nothing where the link points"

done_testing
