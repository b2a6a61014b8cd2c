#!/bin/bash
# xpdump against the SQLite 3 ODBC driver: stream layout, value classes, windows, chunks, errors.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
odbcinst -q -d -n SQLite3 >/dev/null 2>&1 || skip_all "the SQLite3 ODBC driver is not registered"

db=$T/audit.db
dsn=$(sqlite_dsn "$db")
sqlite3 "$db" <<'SQL' || exit 1
CREATE TABLE audit(id INTEGER PRIMARY KEY, ts TEXT, who VARCHAR(20), msg TEXT, big BIGINT,
                   f DOUBLE, ok BOOLEAN, data BLOB, day DATE);
INSERT INTO audit VALUES (1, '2026-11-24 03:00:00', 'alice', 'plain', 9223372036854775807,
                          0.1, 1, x'00ff10', '2026-11-24');
INSERT INTO audit VALUES (2, '2026-11-24 04:00:00', 'bob', '', -9223372036854775808,
                          1e-300, 0, x'', '1999-12-31');
INSERT INTO audit VALUES (3, '2026-11-25 00:00:00', '日本語 😀', NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO audit VALUES (4, '2026-11-25 12:00:00', ' lead', 'say "hi", then' || char(13) || char(10) || 'go',
                          0, -2.5, 1, NULL, NULL);
INSERT INTO audit VALUES (5, '2026-11-26 00:00:00', 'carol', 'a' || char(10) || 'b', 42, 1.7976931348623157e308, 0, NULL, NULL);
INSERT INTO audit VALUES (6, NULL, 'dave', '\.', 7, 3, 1, NULL, NULL);
CREATE TABLE ev(id INTEGER, at BIGINT, what TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO ev SELECT i, 1764000000 + i * 60, printf('event %d, "x"', i) FROM n;
INSERT INTO ev VALUES (9999, 1764999999, printf('%.*c', 1048576, 'L'));
CREATE TABLE "we ""ird"(x INTEGER);
SQL

# any SQLite column holds any length: every column is bound (1 KiB for text, 32 bytes for an
# integer) and a longer value is read whole with SQLGetData; lengths cross those widths with
# multi-byte characters across them, and an INTEGER column holds long text in some rows
sqlite3 "$T/lv.db" <<'SQL' || exit 1
CREATE TABLE lv(id INTEGER, t TEXT, n INTEGER, b BLOB);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2500)
INSERT INTO lv SELECT i,
	CASE WHEN i % 11 = 0 THEN NULL WHEN i % 13 = 0 THEN ''
	     WHEN i <= 40 THEN printf('%.*c', 1000 + i, 'a') || 'é😀' || printf('%.*c', i % 5, 'z')
	     ELSE printf('%.*c', (i * 37) % 3000, 'a') || 'é' || printf('%.*c', i % 5, 'z') END,
	CASE WHEN i % 500 = 0 THEN printf('%.*c', 40 + i / 100, '9') ELSE i * 1000003 END,
	CASE WHEN i % 7 = 0 THEN NULL ELSE zeroblob((i * 13) % 2500) END
	FROM s;
SQL
sqlite3 -csv -header "$T/lv.db" "SELECT id, t, n, CASE WHEN b IS NULL THEN NULL
	ELSE '\x' || lower(hex(b)) END AS b FROM lv ORDER BY rowid" >"$T/lv.csv"
run xpdump --dsn "$(sqlite_dsn "$T/lv.db")" -t lv --chunk-size 64M -o "$T/lv.tar"
# sqlite3 quotes any field with a byte past ASCII: compare with quotes off non-empty fields
unq() { sed -E 's/"([^"]+)"/\1/g' "$@"; }
is "$rc:$(tar xOf "$T/lv.tar" lv/000001.csv | unq | cmp - <(unq "$T/lv.csv") && echo same)" "0:same" \
	"2500 rows of values around the bound widths equal sqlite3's CSV"

# any SQLite column may hold an integer or text: in a REAL or NUMERIC column (which the
# driver reports as DOUBLE) they come out as they are; only reals are printed as doubles
sqlite3 "$T/aff.db" "CREATE TABLE aff(n NUMERIC, r REAL);
	INSERT INTO aff VALUES (9007199254740993, 'not a number'), ('abc', 0.1),
	(-9223372036854775808, 9223372036854775807), (1e300, -0.0)" # SQLite keeps -0.0 as 0.0
run xpdump --dsn "$(sqlite_dsn "$T/aff.db")" -t aff -o "$T/aff.tar"
is "$rc:$(tar xOf "$T/aff.tar" aff/000001.csv | tr '\n' ' ')" \
	"0:n,r 9007199254740993,not a number abc,0.1 -9223372036854775808,9.223372036854776e+18 1e+300,0 " \
	"integers and text in REAL and NUMERIC columns come out as they are"

# a blob in a column of another type (SQLite lets any column hold one; the driver reports
# BINARY(n) as text) would come out as the text X'..': the dump stops, naming row and column
sqlite3 "$T/blob.db" "CREATE TABLE b(id INTEGER, code BINARY(8), note TEXT, raw BLOB);
	INSERT INTO b VALUES (1, 'text', 'ok', x'01'), (2, 'also', x'00ff', x'02'), (3, x'1234', x'56', x'03')"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b -o "$T/blob.tar"
is "$rc:$err" "1:xpdump: table b: row 2: column note holds a blob, which its type TEXT cannot carry in a dump" \
	"a blob in a text column is refused, naming row and column, not dumped as other text"
sqlite3 "$T/blob.db" "DELETE FROM b WHERE id = 2"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b -o "$T/blob.tar"
like "$rc:$err" "1:xpdump: table b: row 2: column code holds a blob, which its type * cannot carry in a dump" \
	"so is one in a BINARY(n) column, which the driver calls text"
sqlite3 "$T/blob.db" "DELETE FROM b WHERE id = 3"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b -o "$T/blob.tar"
is "$rc:$(tar xOf "$T/blob.tar" b/000001.csv | tr '\n' ' ')" '0:id,code,note,raw 1,text,ok,\x01 ' \
	"text in those columns and blobs in a BLOB column dump as ever"
# only a value that reads X'HEX' may be a blob: such text is checked against the table itself
sqlite3 "$T/blob.db" "INSERT INTO b VALUES (4, 'X''00FF''', 'X''''', x'04'), (5, 'x''00ff''', 'X''0G''', NULL)"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b -o "$T/blob.tar"
is "$rc:$(tar xOf "$T/blob.tar" b/000001.csv | tr '\n' ' ')" \
	"0:id,code,note,raw 1,text,ok,\\x01 4,X'00FF',X'',\\x04 5,x'00ff',X'0G', " \
	"text that reads like the driver's form of a blob dumps as the text it is"
sqlite3 "$T/blob.db" "INSERT INTO b VALUES (6, 'y', x'00ff', NULL)"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b -o "$T/blob.tar"
is "$rc:$err" "1:xpdump: table b: row 4: column note holds a blob, which its type TEXT cannot carry in a dump" \
	"a blob after such text is found where it is"
sqlite3 "$T/blob.db" "UPDATE b SET note = x'' WHERE id = 6"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b -o "$T/blob.tar"
is "$rc:$err" "1:xpdump: table b: row 2: column note holds a blob and the text the driver makes of it (X''), which a dump cannot tell apart" \
	"a column holding a blob and the text the driver makes of it stops the dump at the text"
run xpdump --dsn "$(sqlite_dsn "$T/blob.db")" -t b --time-column id --until 1970-01-01T00:00:06Z -o "$T/blob.tar"
is "$rc:$(tar xOf "$T/blob.tar" b/000001.csv | tr '\n' ' ')" \
	"0:id,code,note,raw 1,text,ok,\\x01 4,X'00FF',X'',\\x04 5,x'00ff',X'0G', " \
	"a blob outside the window does not make such text in it doubtful"

run xpdump --dsn "$dsn" -t audit -o "$T/a.tar"
is "$rc:$err" "0:" "dump of a table exits 0, silent"
run tar tf "$T/a.tar"
is "$(echo "$out" | tr '\n' ' ')" "MANIFEST audit/000001.csv SUMMARY " \
	"tar lists MANIFEST, the chunk and SUMMARY in that order"
is "$(stat -c %a "$T/a.tar")" 600 "the dump file is private (0600)"

mkdir "$T/x" && tar xf "$T/a.tar" -C "$T/x"
want='id,ts,who,msg,big,f,ok,data,day
1,2026-11-24 03:00:00,alice,plain,9223372036854775807,0.1,1,\x00ff10,2026-11-24
2,2026-11-24 04:00:00,bob,"",-9223372036854775808,1e-300,0,\x,1999-12-31
3,2026-11-25 00:00:00,日本語 😀,,,,,,
4,2026-11-25 12:00:00," lead","say ""hi"", then'$'\r''
go",0,-2.5,1,,
5,2026-11-26 00:00:00,carol,"a
b",42,1.7976931348623157e+308,0,,
6,,dave,"\.",7,3,1,,'
if [ -n "${XP_VALGRIND:-}" ]; then
	# SQLite prints doubles with long double arithmetic, which valgrind runs at double precision
	skip "exact doubles from SQLite cannot be checked under valgrind"
else
	is "$(cat "$T/x/audit/000001.csv")" "$want" "the chunk holds every value class in its exact CSV form"
fi
like "$(cat "$T/x/MANIFEST")" $'xpdump-manifest\t1\nsource\tDriver=SQLite3;Database='"$db"$'\ndbms\tSQLite\nisolation\tserializable\n*' \
	"MANIFEST starts with version, source, DBMS and isolation"
like "$(grep $'^column\tbig' "$T/x/MANIFEST")" $'column\tbig\t-5\tBIGINT\tBIGINT\t*' \
	"MANIFEST gives column types"
like "$(cat "$T/x/SUMMARY")" $'xpdump-summary\t1\ntable\taudit\t6\t*\t1\t*\t-\t-\nend' \
	"SUMMARY counts 6 rows in 1 chunk, no time column"
sum=$(b2sum -l 256 "$T/x/audit/000001.csv" | cut -d' ' -f1)
is "$(cut -f6 <<<"$(grep $'^table\taudit' "$T/x/SUMMARY")")" "$sum" "SUMMARY's BLAKE2b-256 is the chunk's"

# the chunk loads into SQLite as it is
sqlite3 "$T/back.db" "CREATE TABLE audit(id INTEGER, ts TEXT, who TEXT, msg TEXT, big BIGINT, f TEXT, ok INT, data TEXT, day TEXT);"
sqlite3 "$T/back.db" ".import --csv --skip 1 $T/x/audit/000001.csv audit"
q="SELECT id, ifnull(ts,''), who, ifnull(msg,''), ifnull(big,'') FROM audit ORDER BY id"
is "$(sqlite3 "$T/back.db" "$q")" "$(sqlite3 "$db" "$q")" "sqlite3 .import of the chunk gives the same rows"

# time windows: text times, half-open, with exclusions
# ids TAR TABLE: the ids of the rows in the first chunk (lines that start a row: "N,digit")
ids() { tar xOf "$1" "$2/000001.csv" | grep -oE '^[0-9]+,[0-9]' | cut -d, -f1 | tr '\n' ' '; }
run xpdump --dsn "$dsn" -t audit --time-column ts --since 2026-11-24T04:00:00Z --until 2026-11-26 -o "$T/w.tar"
is "$rc:$(ids "$T/w.tar" audit)" "0:2 3 4 " "--since/--until select [since, until)"
run xpdump --dsn "$dsn" -t audit --time-column ts --since 2026-11-24 --exclude 2026-11-24T04:00/2026-11-25T12:00 -o "$T/w.tar"
is "$rc:$(ids "$T/w.tar" audit)" "0:1 4 5 " "--exclude drops [T1, T2) and NULL times fall outside a window"
like "$(tar xOf "$T/w.tar" MANIFEST)" $'*time-column\tts\nsince\t2026-11-24T00:00:00Z\nexclude\t2026-11-24T04:00:00Z\t2026-11-25T12:00:00Z\n*' \
	"MANIFEST records the time column, window and exclusion"
like "$(tar xOf "$T/w.tar" SUMMARY)" $'*\t2026-11-24T03:00:00Z\t2026-11-26T00:00:00Z\n*' \
	"SUMMARY records the oldest and newest time seen"

# an integer time column holds epoch seconds; many small chunks
run xpdump --dsn "$dsn" -t ev --time-column at --since @ -o "$T/e.tar"
is "$rc" 2 "a bad time is a usage error"
run xpdump --dsn "$dsn" -t ev --time-column at --since 2025-11-24T16:10:00Z --until 2025-11-24T16:20:00Z -o "$T/e.tar"
is "$rc:$(ids "$T/e.tar" ev)" "0:10 11 12 13 14 15 16 17 18 19 " "an integer time column compares as epoch seconds"
# a time column per table (-t TABLE:COLUMN): each table's window by its own column, recorded
# per table in MANIFEST (format version 2), SUMMARY's range per table from that column
run xpdump --dsn "$dsn" -t audit:ts -t ev:at --since 2025-11-24T16:10:00Z --until 2026-11-25T12:00:00Z \
	--exclude 2025-11-24T16:12:00Z/2025-11-24T18:00:00Z -o "$T/pt.tar"
is "$rc:$err" "0:" "-t TABLE:COLUMN for two tables exits 0"
is "$(ids "$T/pt.tar" audit)" "1 2 3 " "audit's window is read by its text column ts"
is "$(tar xOf "$T/pt.tar" ev/000001.csv | sed 1d | cut -d, -f1 | sed -n '1,3p;$p' | tr '\n' ' ')" "10 11 120 9999 " \
	"ev's window and exclusion are read by its epoch column at"
is "$(tar xOf "$T/pt.tar" MANIFEST | grep -E '^(xpdump-manifest|time-column|table)'$'\t')" \
	"xpdump-manifest	2
table	audit	ts
table	ev	at" "MANIFEST (version 2) records each table's time column on its table line"
is "$(tar xOf "$T/pt.tar" SUMMARY | cut -f1,2,7,8)" "xpdump-summary	2
table	audit	2026-11-24T03:00:00Z	2026-11-25T00:00:00Z
table	ev	2025-11-24T16:10:00Z	2025-12-06T05:46:39Z
end" "SUMMARY's range of each table comes from its own column"
run xprestore --dsn "$(sqlite_dsn "$T/pt-back.db")" --create -q -i "$T/pt.tar"
is "$rc:$(sqlite3 "$T/pt-back.db" "SELECT count(*) FROM audit; SELECT count(*) FROM ev" | tr '\n' ' ')" "0:3 2884 " \
	"a version 2 stream restores"
# --time-column still dates every table without its own; the same column everywhere stays version 1
run xpdump --dsn "$dsn" -t ev -t audit:ts --time-column at --since 2025-11-24T16:10:00Z -o "$T/pt2.tar"
is "$rc:$(tar xOf "$T/pt2.tar" MANIFEST | grep -E '^table'$'\t' | tr '\n' ' ')" "0:table	ev	at table	audit	ts " \
	"--time-column dates the tables given without a column"
run xpdump --dsn "$dsn" -t audit:ts --time-column ts -o "$T/pt3.tar"
is "$rc:$(tar xOf "$T/pt3.tar" MANIFEST | grep -E '^(xpdump-manifest|time-column|table)'$'\t' | tr '\n' ' ')" \
	"0:xpdump-manifest	1 time-column	ts table	audit " "one time column for all tables is still format version 1"
run xpdump --dsn "$dsn" -t audit:ts -t ev --since 2026-01-01 -o "$T/pt4.tar"
is "$rc:$err" "2:xpdump: table ev has no time column for --since, --until, --exclude or --max-age (-t ev:COL or --time-column COL)
Try 'xpdump --help' for more information." \
	"a window with a table that has no time column is a usage error naming it"
run xpdump --dsn "$dsn" -t audit:nope -o "$T/pt4.tar"
is "$rc:$err" "1:xpdump: table audit: no column nope" "a table's missing time column exits 1"
run xpdump --dsn "$dsn" -t ':ts' -o "$T/pt4.tar"
is "$rc:$err" "2:xpdump: -t :ts: no table name
Try 'xpdump --help' for more information." "-t :COL without a table is a usage error"
sqlite3 "$db" 'CREATE TABLE "a:b"(x INTEGER); INSERT INTO "a:b" VALUES (1)'
run xpdump --dsn "$dsn" -t 'a:b:' -o "$T/pt5.tar"
is "$rc:$(tar xOf "$T/pt5.tar" 'a:b/000001.csv' | tr '\n' ' ')" "0:x 1 " \
	"a table name with a colon is given with a trailing colon (no time column)"

run xpdump --dsn "$dsn" -t ev -t audit --chunk-size 2k -o "$T/c.tar"
is "$rc" 0 "dump with 2 KiB chunks exits 0"
tar tvf "$T/c.tar" | awk '$6 ~ /^ev\// {n++; if ($3 > 2048) big++} END {print n, big + 0}' >"$T/sizes"
n=$(cut -d' ' -f1 "$T/sizes")
ok "$([ "$n" -gt 50 ] && echo 0 || echo 1)" "a small --chunk-size makes many chunks ($n)"
is "$(cut -d' ' -f2 "$T/sizes")" 1 "only the chunk of the 1 MiB row exceeds the chunk size"
mkdir "$T/c" && tar xf "$T/c.tar" -C "$T/c"
is "$(head -qn1 "$T"/c/ev/*.csv | sort -u)" "id,at,what" "every chunk starts with the header row"
is "$(for f in "$T"/c/ev/*.csv; do tail -n +2 "$f"; done | wc -l)" 3001 "the chunks hold all 3001 rows"
last=$(printf '%s\n' "$T"/c/ev/*.csv | tail -1)
is "$(tail -n 1 "$last" | awk -F, '{ print $1, length($3) }')" "9999 1048576" "the 1 MiB text arrives whole, last"
like "$(cat "$T/c/SUMMARY")" $'*table\tev\t3001\t*\ntable\taudit\t6\t*' "SUMMARY lists the tables in order"

# one read transaction for all tables; the dump stalls on its output after 100 KB, when the
# transaction has begun. Rollback journal: a writer is locked out. WAL: the writer goes on and
# the dump does not see its row.
xpdump --dsn "$dsn" -t ev -t audit | {
	head -c 100000 >/dev/null
	sqlite3 "$db" "INSERT INTO audit(id, who) VALUES (7, 'eve')" 2>"$T/locked"
	cat >/dev/null
}
like "$(cat "$T/locked")" "*database is locked*" "a dump holds its read transaction: writers wait (rollback journal)"
sqlite3 "$db" "PRAGMA journal_mode=WAL" >/dev/null
xpdump --dsn "$dsn" -t ev -t audit | {
	head -c 100000 >"$T/snap.tar"
	sqlite3 "$db" "INSERT INTO audit(id, who) VALUES (8, 'eve')"
	cat >>"$T/snap.tar"
}
is "$(tar xOf "$T/snap.tar" audit/000001.csv | grep -c eve):$(sqlite3 "$db" "SELECT count(*) FROM audit")" \
	"0:7" "WAL: a row committed during the dump is not in it (one snapshot)"
sqlite3 "$db" "DELETE FROM audit WHERE id = 8; PRAGMA journal_mode=DELETE" >/dev/null

# memory stays flat: sqlite3odbc would hold a whole result without StepAPI, inside an ODBC
# transaction, or with parameters; compare the peak RSS of 200000 rows against 2000
if [ -x /usr/bin/time ] && [ -z "${XP_VALGRIND:-}" ]; then
	sqlite3 "$T/many.db" "CREATE TABLE m(id INTEGER, at TEXT, msg TEXT);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
		INSERT INTO m SELECT i, datetime(1764000000 + i, 'unixepoch'), printf('%0100d', i) FROM n;
		CREATE TABLE s AS SELECT * FROM m WHERE id <= 2000;"
	# (AddressSanitizer's quarantine of freed memory would count as growth)
	rss() { ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$(sqlite_dsn "$T/many.db")" \
		-t "$1" --time-column at --since 2025-01-01 --chunk-size 1M -o "$T/m.tar" 2>&1 >/dev/null | tail -1; }
	small=$(rss s) big=$(rss m)
	ok "$([ $((big - small)) -lt 16384 ] && echo 0 || echo 1)" \
		"dumping 200000 rows takes no more memory than 2000 ($small KiB, $big KiB)"
else
	skip "no /usr/bin/time, or under valgrind: peak memory not measured"
fi

# names that need quoting, and the ways to pass a connection string
run xpdump --dsn "$dsn" -t 'we "ird' -o "$T/q.tar"
is "$rc:$(tar tf "$T/q.tar" | sed -n 2p)" '0:we "ird/000001.csv' "a table name with a quote and a space is quoted"
password "$T/dsn" "$dsn;PWD=hunter2"
run xpdump --dsn-file "$T/dsn" -t audit -o "$T/p.tar"
is "$rc" 0 "--dsn-file reads the connection string"
like "$(tar xOf "$T/p.tar" MANIFEST | sed -n 2p)" $'source\t*;PWD=***' "MANIFEST shows the source without its password"
ok "$(grep -qa hunter2 "$T/p.tar" && echo 1 || echo 0)" "the password is nowhere in the stream"
chmod 644 "$T/dsn"
run xpdump --dsn-file "$T/dsn" -t audit -o "$T/p2.tar"
like "$rc:$err" "1:xpdump: $T/dsn: readable by others (mode 0644); chmod 600 it" "--dsn-file refuses a file others can read"
XP_DSN=$dsn run xpdump -t audit -o "$T/env.tar"
is "$rc:$(tar tf "$T/env.tar" | head -1)" "0:MANIFEST" "XP_DSN gives the connection string"

# -o onto a device writes into it; a FIFO is refused at once (whoever reads it would get the
# clear data) and left as it is: a pipe is standard output
run xpdump --dsn "$dsn" -t audit -o /dev/null
is "$rc:$err" "0:" "-o /dev/null writes into the device"
mkfifo "$T/fifo"
run timeout 20 "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$dsn" -t audit -o "$T/fifo"
is "$rc:$err:$(stat -c %F "$T/fifo")" "1:xpdump: $T/fifo: not a regular file (a FIFO): refused:fifo" \
	"-o FIFO is refused without waiting for a reader, and stays a FIFO"

# failures: one line, exit 1, no file left behind
mkdir "$T/out"
run xpdump --dsn "$dsn" -t audit -t nosuch -o "$T/out/f.tar"
is "$rc" 1 "a missing table exits 1"
like "$err" "xpdump: table nosuch: *no such table*" "a missing table is named in one line"
is "$(ls -A "$T/out")" "" "a failed dump leaves no file"
run xpdump --dsn "Driver=SQLite3;Database=$T/nodir/x.db;PWD=hunter2" -t audit -o "$T/out/f.tar"
is "$rc:$(echo "$err" | wc -l)" "1:1" "a bad connection string exits 1 with one line"
like "$err" "xpdump: Driver=SQLite3;Database=$T/nodir/x.db;PWD=***: *" "the error shows the source without its password"
run xpdump --dsn "Driver=NoSuchDriver" -t audit -o "$T/out/f.tar"
like "$rc:$err" "1:xpdump: Driver=NoSuchDriver: *" "an unknown driver exits 1"
run xpdump --dsn "$dsn" -t audit --time-column nope -o "$T/out/f.tar"
is "$rc:$err" "1:xpdump: table audit: no column nope" "a missing time column exits 1"
is "$(ls -A "$T/out")" "" "still no file left"
if [ -w /dev/full ]; then
	xpdump --dsn "$dsn" -t ev >/dev/full 2>"$T/full.err"
	is "$?:$(cat "$T/full.err")" "1:xpdump: standard output: write: No space left on device" \
		"a full disk exits 1 with one line naming the output"
else
	skip "/dev/full is not writable here"
fi

# the stream is written by a child process of xpdump: killed, xpdump says so and exits 1,
# and the stream stops without its end (no SUMMARY). The table is far larger than the pipe
# (1 MiB) and the writer's blocks (1 MiB), so the writer is still at work when it is killed.
sqlite3 "$db" "CREATE TABLE big(id INTEGER, what TEXT);
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 16)
	INSERT INTO big SELECT i, printf('%.*c', 1048576, 'B') FROM n" || exit 1
mkfifo "$T/wk.fifo"
xpdump --dsn "$dsn" -t big 2>"$T/wk.err" >"$T/wk.fifo" &
wk=$!
exec 3<"$T/wk.fifo"
head -c 4096 <&3 >/dev/null # MANIFEST is out: the child has started
# descendants PID: every process below PID
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}
pids=$(descendants "$wk")
child=''
for p in $pids; do # the writer: an xpdump whose parent is an xpdump
	pp=$(ps -o ppid= -p "$p" | tr -d ' ')
	grep -qx -- "$pp" <<<"$pids" && child=$p
done
[ -n "$child" ] && kill -9 "$child"
cat <&3 >"$T/wk.rest"
exec 3<&-
wait "$wk"
is "$?:$(cat "$T/wk.err")" "1:xpdump: dump: the writer process was killed by signal 9" \
	"a killed writer process makes xpdump exit 1 and say so"
ok "$(grep -q SUMMARY "$T/wk.rest" && echo 1 || echo 0)" "and the stream has no SUMMARY"

# --max-age on an integer time column (epoch seconds): the limit itself is past it
sqlite3 "$T/epoch.db" "CREATE TABLE ev (id INTEGER, t INTEGER);
	INSERT INTO ev VALUES (1, 1000), (2, 1999), (3, 2000), (4, 2001), (5, NULL)"
XP_NOW=1970-01-01T00:50:00Z run xpdump --dsn "$(sqlite_dsn "$T/epoch.db")" -t ev --time-column t --max-age 1000s -o "$T/ep.tar"
is "$rc:$err" "4:xpdump: table ev: 3 rows past --max-age 1000s (at or before 1970-01-01T00:33:20Z), the oldest from 1970-01-01T00:16:40Z: not in this dump; the source keeps them longer than the legal limit" \
	"--max-age on epoch seconds: rows at or before now - D are counted (status 4)"
is "$(tar xOf "$T/ep.tar" ev/000001.csv | tr '\n' ' ')" "id,t 4,2001 " "only the rows inside the limit are dumped"
run xpdump --dsn "$(sqlite_dsn "$T/epoch.db")" -t ev --max-age 1000s -o "$T/ep.tar"
is "$rc" 2 "--max-age without --time-column is a usage error"
# --max-age per table, each by its own column: epoch seconds in ev, text times in tx
sqlite3 "$T/epoch.db" "CREATE TABLE tx (id INTEGER, fired TEXT);
	INSERT INTO tx VALUES (1, '1970-01-01 00:10:00'), (2, '1970-01-01 00:40:00'), (3, NULL)"
XP_NOW=1970-01-01T00:50:00Z run xpdump --dsn "$(sqlite_dsn "$T/epoch.db")" -t ev:t -t tx:fired --max-age 1000s -o "$T/ep2.tar"
is "$rc:$err" "4:xpdump: table ev: 3 rows past --max-age 1000s (at or before 1970-01-01T00:33:20Z), the oldest from 1970-01-01T00:16:40Z: not in this dump; the source keeps them longer than the legal limit
xpdump: table tx: 1 rows past --max-age 1000s (at or before 1970-01-01T00:33:20Z), the oldest from 1970-01-01T00:10:00Z: not in this dump; the source keeps them longer than the legal limit" \
	"--max-age counts each table's old rows by its own column"
is "$(tar xOf "$T/ep2.tar" ev/000001.csv | tr '\n' ' ')|$(tar xOf "$T/ep2.tar" tx/000001.csv | tr '\n' ' ')" \
	"id,t 4,2001 |id,fired 2,1970-01-01 00:40:00 " "and leaves them out of each table"

# usage
run xpdump --dsn "$dsn"
is "$rc" 2 "no table is a usage error"
run xpdump --dsn "$dsn" -t audit --since 2026-01-01
is "$rc" 2 "--since without --time-column is a usage error"
run xpdump --dsn "$dsn" -t audit --time-column ts --exclude 2026-01-02/2026-01-01
is "$rc" 2 "an empty exclusion is a usage error"
run xpdump --dsn "$dsn" -t audit --chunk-size 10
is "$rc" 2 "a chunk size below 1 KiB is a usage error"
if command -v script >/dev/null; then
	run script -qec "'$XP_BUILDDIR/src/xpdump/xpdump' --dsn '$dsn' -t audit" /dev/null
	like "$rc:$out" "2:xpdump: not writing clear data to a terminal; use -o FILE or a pipe*" "xpdump refuses to write the stream to a terminal"
else
	skip "script(1) is not installed to give xpdump a terminal"
fi
# The stream goes out in blocks of 102 tar records (1044480 bytes), a write each, not one write
# (and one wake-up of the reader) every 10 KiB; it still ends on a whole record.
if command -v strace >/dev/null; then
	strace -f -qq -e trace=write -o "$T/st" "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$dsn" -t ev >"$T/ev.tar"
	size=$(stat -c %s "$T/ev.tar")
	is "$(sed -n 's/^[0-9]* *write(1, .* = \([0-9]*\)$/\1/p' "$T/st" | paste -sd' ')" \
		"$(awk -v n="$size" 'BEGIN { for (; n > 1044480; n -= 1044480) printf "1044480 "; print n }')" \
		"the tar is written in blocks of 1044480 bytes ($size bytes)"
	is "$((size % 10240))" 0 "and ends on a whole 10240-byte record"
else
	skip "strace is not installed"
	skip "strace is not installed"
fi
# ... into a pipe that holds one block: xpdump grows it before it writes
if command -v python3 >/dev/null; then
	got=$(xpdump --dsn "$dsn" -t ev 2>/dev/null |
		python3 -c 'import fcntl, sys; sys.stdin.buffer.read(1); print(fcntl.fcntl(0, 1032))')
	is "$got" "$(awk '{ print ($1 < 1048576 ? $1 : 1048576) }' /proc/sys/fs/pipe-max-size)" \
		"xpdump's output pipe holds 1 MiB (or pipe-max-size), not 64 KiB"
else
	skip "python3 is not installed"
fi

run xpdump --help
like "$rc:$out" "0:usage: xpdump*" "--help prints usage and exits 0"

done_testing
