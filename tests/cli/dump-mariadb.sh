#!/bin/bash
# xpdump, xpseal and xprestore with MariaDB through MariaDB Connector/ODBC: MariaDB's types at
# their edges, MariaDB to MariaDB (into an existing table and with --create), to PostgreSQL
# and to SQLite, compared exactly; long values among short ones in row arrays; one snapshot
# for all tables; 20,000 FLOAT rows (the driver's row arrays of floats once overran xpdump's
# buffers); TIMESTAMP read in UTC whatever the server's time zone.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"
my_start || skip_all "no MariaDB server (mariadb-server) installed"
pg_start || skip_all "no PostgreSQL server binaries"

myq <<'SQL'
SET time_zone = '+00:00';
CREATE TABLE vals (
	id INT PRIMARY KEY, i64 BIGINT, i32 INT NOT NULL, num DECIMAL(38,10), f64 DOUBLE,
	f32 FLOAT, txt TEXT, vc VARCHAR(20), d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL,
	b BLOB, flag BOOLEAN
) CHARACTER SET utf8mb4;
INSERT INTO vals VALUES
 (1, 9223372036854775807, 2147483647, 9999999999999999999999999999.9999999999, 0.1, 0.1,
  '日本語のテキスト', 'short', '2026-11-24', '2026-11-24 03:00:00', '2026-11-24 03:00:00', X'00', 1),
 (2, -9223372036854775808, -2147483648, -9999999999999999999999999999.9999999999,
  -2.2250738585072014e-308, 3.40282e38, 'emoji 😀👍🏽 and RTL שלום עולם مرحبا', '',
  '1000-01-01', '1999-12-31 23:59:59.123456', '1999-12-31 23:59:59.123456', X'00FF00', 0),
 (3, 0, 0, 0.0000000001, 1.5e300, 1.17549435e-38, '', NULL, '9999-12-31',
  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', X'', NULL),
 (4, NULL, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 1, 1, 0.25, 3.14159265358979, -2.5, 'comma, "quotes" and ''single''\r\nCRLF', 'x',
  '2026-02-28', '1000-01-01 00:00:00', '1970-01-01 00:00:01', X'5C7830303030', 1);
SQL
# the server's zone is not UTC: xpdump must still read TIMESTAMP in UTC
myq -e "SET GLOBAL time_zone = '+02:00'"

run xpdump --dsn "$MY_DSN" -t vals -o "$T/vals.tar"
is "$rc:$err" "0:" "xpdump writes MariaDB's value-class table"
is "$(tar xOf "$T/vals.tar" vals/000001.csv)" "id,i64,i32,num,f64,f32,txt,vc,d,dt,ts,b,flag
1,9223372036854775807,2147483647,9999999999999999999999999999.9999999999,0.1,0.1,日本語のテキスト,short,2026-11-24,2026-11-24 03:00:00.000000,2026-11-24 03:00:00.000000,\\x00,1
2,-9223372036854775808,-2147483648,-9999999999999999999999999999.9999999999,-2.2250738585072014e-308,3.40282e+38,emoji 😀👍🏽 and RTL שלום עולם مرحبا,\"\",1000-01-01,1999-12-31 23:59:59.123456,1999-12-31 23:59:59.123456,\\x00ff00,0
3,0,0,0.0000000001,1.5e+300,1.1754944e-38,\"\",,9999-12-31,9999-12-31 23:59:59.999999,2038-01-19 03:14:07.999999,\\x,
4,,-1,,,,,,,,,,
5,1,1,0.2500000000,3.14159265358979,-2.5,\"comma, \"\"quotes\"\" and 'single'$(printf '\r')
CRLF\",x,2026-02-28,1000-01-01 00:00:00.000000,1970-01-01 00:00:01.000000,\\x5c7830303030,1" \
	"every value is in the CSV exactly: FLOAT shortest, TIMESTAMP in UTC though the server runs at +02:00"

# cmp_my A B: rows, and rows of tables A and B that differ in any column (NULL-safe, exact;
# in UTC, as a TIMESTAMP and the DATETIME that --create makes of it compare only there)
cmp_my() {
	local c on=""
	for c in i64 i32 num f64 f32 txt vc d dt ts b flag; do on+=" AND a.$c <=> b.$c"; done
	myq -e "SET time_zone = '+00:00'; SELECT count(*), sum(NOT (1 $on)) FROM $1 a JOIN $2 b USING (id)"
}
myq -e "RENAME TABLE vals TO orig; CREATE TABLE vals LIKE orig"
run xprestore -q --dsn "$MY_DSN" -i "$T/vals.tar"
is "$rc:$err:$(cmp_my orig vals)" "0::5	0" "MariaDB to MariaDB: every value comes back exactly"
myq -e "DROP TABLE vals"
run xprestore -q --dsn "$MY_DSN" --create -i "$T/vals.tar"
is "$rc:$err:$(cmp_my orig vals)" "0::5	0" "MariaDB to MariaDB with --create: the same"
is "$(myq -e "SELECT group_concat(column_name, ' ', column_type ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'vals'")" \
	"id int(11),i64 bigint(20),i32 int(11),num decimal(38,10),f64 double,f32 float,txt longtext,vc varchar(20),d date,dt datetime(6),ts datetime(6),b longblob,flag tinyint(4)" \
	"--create maps MariaDB's types back (FLOAT stays a float)"

run xprestore -q --dsn "$PG_DSN" --create -i "$T/vals.tar"
is "$rc:$err" "0:" "MariaDB to PostgreSQL with --create exits 0"
is "$(copy_pg vals)" "1,9223372036854775807,2147483647,9999999999999999999999999999.9999999999,0.1,0.1,日本語のテキスト,short,2026-11-24,2026-11-24 03:00:00,2026-11-24 03:00:00,\\x00,1
2,-9223372036854775808,-2147483648,-9999999999999999999999999999.9999999999,-2.2250738585072014e-308,3.40282e+38,emoji 😀👍🏽 and RTL שלום עולם مرحبا,\"\",1000-01-01,1999-12-31 23:59:59.123456,1999-12-31 23:59:59.123456,\\x00ff00,0
3,0,0,0.0000000001,1.5e+300,1.1754944e-38,\"\",,9999-12-31,9999-12-31 23:59:59.999999,2038-01-19 03:14:07.999999,\\x,
4,,-1,,,,,,,,,,
5,1,1,0.2500000000,3.14159265358979,-2.5,\"comma, \"\"quotes\"\" and 'single'$(printf '\r')
CRLF\",x,2026-02-28,1000-01-01 00:00:00,1970-01-01 00:00:01,\\x5c7830303030,1" \
	"every MariaDB value arrives in PostgreSQL exactly"

run xprestore -q --dsn "$(sqlite_dsn "$T/fromm.db")" --create -i "$T/vals.tar"
is "$rc:$err" "0:" "MariaDB to SQLite with --create exits 0"
is "$(sqlite3 "$T/fromm.db" "SELECT id, i64, num, quote(txt), hex(b), ts FROM vals WHERE id IN (1, 2, 3) ORDER BY id")" \
	"1|9223372036854775807|9999999999999999999999999999.9999999999|'日本語のテキスト'|00|2026-11-24 03:00:00.000000
2|-9223372036854775808|-9999999999999999999999999999.9999999999|'emoji 😀👍🏽 and RTL שלום עולם مرحبا'|00FF00|1999-12-31 23:59:59.123456
3|0|0.0000000001|''||2038-01-19 03:14:07.999999" \
	"MariaDB's integers, decimals, 4-byte text, blobs and times arrive in SQLite"

# 20,000 FLOAT rows: row arrays of floats, many fetches
myq -e "CREATE TABLE f (id INT PRIMARY KEY, x FLOAT, d DOUBLE, ts TIMESTAMP(6) NULL)
	SELECT seq AS id, seq / 3 AS x, seq / 7 AS d, FROM_UNIXTIME(1764000000 + seq) AS ts
	FROM seq_1_to_20000"
run xpdump --dsn "$MY_DSN" -t f --time-column ts -o "$T/f.tar"
is "$rc:$err" "0:" "xpdump reads 20,000 FLOAT rows and exits 0"
is "$(tar xOf "$T/f.tar" f/000001.csv | sed -n '2,5p' | tr '\n' ' ')" \
	"1,0.33333334,0.142857142,2025-11-24 16:00:01.000000 2,0.6666667,0.285714285,2025-11-24 16:00:02.000000 3,1,0.428571428,2025-11-24 16:00:03.000000 4,1.3333334,0.571428571,2025-11-24 16:00:04.000000 " \
	"each FLOAT is its own value, in its shortest exact text"
is "$(tar xOf "$T/f.tar" SUMMARY | awk '$1 == "table" { print $3, $7, $8 }')" \
	"20000 2025-11-24T16:00:01Z 2025-11-24T21:33:20Z" "SUMMARY counts every row, its window in UTC"
# --max-age: rows at or past the limit are left out, counted and reported, status 4
XP_NOW=2026-11-24T17:00:00Z run xpdump --dsn "$MY_DSN" -t f --time-column ts --max-age 365d -o "$T/fa.tar"
is "$rc:$err" "4:xpdump: table f: 3600 rows past --max-age 365d (at or before 2025-11-24T17:00:00Z), the oldest from 2025-11-24T16:00:01Z: not in this dump; the source keeps them longer than the legal limit" \
	"--max-age: the rows past the limit are counted, the oldest named, status 4"
is "$(tar xOf "$T/fa.tar" SUMMARY | awk '$1 == "table" { print $3, $7 }')" "16400 2025-11-24T17:00:01Z" \
	"and left out of the dump"
XP_NOW=2025-11-24T16:00:00Z run xpdump --dsn "$MY_DSN" -t f --time-column ts --max-age 365d -o "$T/fa.tar"
is "$rc:$err" "0:" "--max-age with no row past it: status 0, nothing said"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/f.tar"
is "$rc:$err" "0:" "the FLOAT rows load into PostgreSQL"
is "$(psqlq -F , -c "SELECT id, x::float8, d FROM f ORDER BY id" | md5sum)" \
	"$(myq -e "SELECT id, CAST(x AS DOUBLE), d FROM f ORDER BY id" | tr '\t' , | md5sum)" \
	"all 20,000 FLOAT and DOUBLE values are the same in PostgreSQL as in MariaDB"

# values longer than the bound width in rows of an array: each is its own row's (the driver's
# positioning in a row array gives another row's value)
myq -e "CREATE TABLE lt (id INT PRIMARY KEY, x TEXT) SELECT seq AS id,
	CONCAT(seq, ':', IF(seq % 7 = 2, REPEAT('b', 5000 + seq), 'a')) AS x FROM seq_1_to_2500"
run xpdump --dsn "$MY_DSN" -t lt -o "$T/lt.tar"
is "$rc:$(tar xOf "$T/lt.tar" lt/000001.csv | sed 1d | md5sum)" \
	"0:$(myq -e "SELECT id, x FROM lt ORDER BY id" | tr '\t' , | md5sum)" \
	"2500 rows with 5 KB values among short ones: every value is its own row's, whole"

# the driver (3.1.15) holds whole results: xpdump reads tables with an integer key in pages
# of 25,000 rows, each after the last row's key; keys past 2^53 and times shared by many rows
myq -e "CREATE TABLE pg (id BIGINT PRIMARY KEY, ts DATETIME(6) NOT NULL, txt VARCHAR(200), KEY (ts))
	SELECT 9007199254740993 + 3 * seq AS id, FROM_UNIXTIME(1764000000 + seq DIV 7) AS ts,
	REPEAT(CHAR(65 + seq % 26), 200) AS txt FROM seq_1_to_200000"
# (AddressSanitizer's quarantine of freed memory would count as growth)
ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o "$T/rss" "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$MY_DSN" -t pg -o "$T/pg.tar"
is "$?:$(tar xOf "$T/pg.tar" --wildcards 'pg/*.csv' | sed 1d | grep -v '^id,' | md5sum)" \
	"0:$(myq -e "SELECT id, ts, txt FROM pg ORDER BY id" | tr '\t' , | md5sum)" \
	"200,000 rows read in pages: every row once, in key order, keys past 2^53 exact"
# peak memory against a 2,000-row copy: the pages keep the growth far below the 46 MB that
# the driver would otherwise hold (66 MiB peak without paging, about 28 MiB with it)
myq -e "CREATE TABLE pgs (id BIGINT PRIMARY KEY, ts DATETIME(6) NOT NULL, txt VARCHAR(200), KEY (ts))
	SELECT * FROM pg ORDER BY id LIMIT 2000"
big=$(cat "$T/rss")
ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o "$T/rss" "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$MY_DSN" -t pgs -o "$T/pgs.tar"
small=$(cat "$T/rss")
if [ -n "${XP_VALGRIND:-}" ]; then
	skip "under valgrind: peak memory not measured"
elif asan_built "$XP_BUILDDIR/src/xpdump/xpdump"; then
	skip "built with AddressSanitizer, whose allocator holds freed memory per thread: peak memory is not the program's (the plain build checks it)"
else
	ok "$(((big - small) < 24 * 1024 ? 0 : 1))" \
		"and xpdump's peak memory grows by less than 24 MiB for 46 MB of rows ($((small / 1024)) MiB for 2,000 rows, $((big / 1024)) MiB for 200,000)"
fi
run xpdump --dsn "$MY_DSN" -t pg --time-column ts --since 2025-11-24T20:00:00Z -o "$T/pgw.tar"
is "$rc:$(tar xOf "$T/pgw.tar" --wildcards 'pg/*.csv' | sed 1d | grep -v '^id,' | md5sum)" \
	"0:$(myq -e "SELECT id, ts, txt FROM pg WHERE ts >= '2025-11-24 20:00:00' ORDER BY ts, id" | tr '\t' , | md5sum)" \
	"a window over an indexed time column, in pages: every row once, in time order, ties by key"

# one snapshot for all tables: a row committed while the dump runs (stalled on its output
# after the first 200 KB) is not in a later table
myq -e "CREATE TABLE later (id INT); INSERT INTO later VALUES (1)"
xpdump --dsn "$MY_DSN" -t lt -t later | {
	head -c 200000 >"$T/snap.tar"
	myq -e "INSERT INTO later VALUES (2)"
	cat >>"$T/snap.tar"
}
is "$(tar xOf "$T/snap.tar" later/000001.csv | tr '\n' ' '):$(myq -e "SELECT count(*) FROM later")" "id 1 :2" \
	"a row committed during the dump is not in it (one snapshot)"
# and the pages of one table too: a row committed after the first page is not in a later one
xpdump --dsn "$MY_DSN" -t pg | {
	head -c 200000 >"$T/snap.tar"
	myq -e "INSERT INTO pg VALUES (9999999999999999, '2030-01-01', 'late')"
	cat >>"$T/snap.tar"
}
is "$(tar xOf "$T/snap.tar" SUMMARY | awk '$1 == "table" { print $3 }'):$(myq -e "SELECT count(*) FROM pg")" "200000:200001" \
	"every page reads the snapshot the dump began with"

# sealed, checked deep and opened again
export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" 'correct horse'
xpseal init -r "$T/repo" --password-file "$T/pw" >/dev/null 2>&1
xpdump -q --dsn "$MY_DSN" -t f --time-column ts | xpseal -q -r "$T/repo" --require-dump >"$T/id"
run xpverify -r "$T/repo" --deep --password-file "$T/pw"
is "$rc" 0 "the sealed MariaDB dump passes xpverify --deep"
myq -e "RENAME TABLE f TO forig"
run sh -c "'$XP_BUILDDIR/src/xpseal/xpseal' open -r '$T/repo' --password-file '$T/pw' $(cat "$T/id") |
	'$XP_BUILDDIR/src/xprestore/xprestore' -q --dsn '$MY_DSN' --create"
is "$rc:$err" "0:" "xpseal open | xprestore --create into MariaDB exits 0"
is "$(myq -e "SET time_zone = '+00:00'; SELECT count(*), sum(NOT (a.x <=> b.x AND a.d <=> b.d AND a.ts <=> b.ts)) FROM forig a JOIN f b USING (id)")" \
	"20000	0" "every FLOAT, DOUBLE and TIMESTAMP comes back exactly"

# NOT NULL DATETIME and TIMESTAMP fetched as the driver's binary values (its text costs a
# sprintf each) and printed as it prints them: the fraction to the declared digits, a zero
# date (which it hands over as NULL) as zeros; a column the driver calls nullable stays text
# (there NULL is NULL)
myq <<'SQL'
SET sql_mode = '', time_zone = '+00:00';
CREATE TABLE dts (k INT PRIMARY KEY, d0 DATETIME NOT NULL, d1 DATETIME(1) NOT NULL,
	d3 DATETIME(3) NOT NULL, d6 DATETIME(6) NOT NULL, t6 TIMESTAMP(6) NOT NULL DEFAULT 0,
	n6 DATETIME(6) NULL);
INSERT INTO dts VALUES (1, 0, 0, 0, 0, 0, 0),
	(2, '1000-01-01', '1000-01-01 00:00:00.9', '2024-02-29 23:59:59.999',
	 '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01.000001', NULL),
	(3, '2024-00-00', '2024-01-00 00:00:00.1', '0000-01-01 00:00:00.5',
	 '2001-02-03 04:05:06.000001', '2038-01-19 03:14:07.999999', '2001-02-03 04:05:06.1');
SQL
mkdir -p "$T/odbc"
{ cat /etc/odbcinst.ini; printf '[ODBC]\nTrace=Yes\nTraceFile=%s\n' "$T/odbc/trace"; } >"$T/odbc/odbcinst.ini"
ODBCSYSINI=$T/odbc run xpdump --dsn "$MY_DSN" -t dts -o "$T/dts.tar"
is "$rc:$err:$(tar xOf "$T/dts.tar" dts/000001.csv)" "0::k,d0,d1,d3,d6,t6,n6
1,0000-00-00 00:00:00,0000-00-00 00:00:00.0,0000-00-00 00:00:00.000,0000-00-00 00:00:00.000000,0000-00-00 00:00:00.000000,0000-00-00 00:00:00.000000
2,1000-01-01 00:00:00,1000-01-01 00:00:00.9,2024-02-29 23:59:59.999,9999-12-31 23:59:59.999999,1970-01-01 00:00:01.000001,
3,2024-00-00 00:00:00,2024-01-00 00:00:00.1,0000-01-01 00:00:00.500,2001-02-03 04:05:06.000001,2038-01-19 03:14:07.999999,2001-02-03 04:05:06.100000" \
	"NOT NULL DATETIME and TIMESTAMP of 0 to 6 digits, zero dates among them, exactly as the driver prints them"
is "$(awk '/SQLBindCol.c/ { b = 1 } b && /Column Number/ { c = $4 } b && /Target Type = 93 / { print c; b = 0 }' "$T/odbc/trace" | sort -u | tr '\n' ' ')" \
	"2 3 4 5 " "NOT NULL DATETIMEs are fetched as timestamp structs; a TIMESTAMP (the driver says it may be NULL) and a nullable one as text"

done_testing
