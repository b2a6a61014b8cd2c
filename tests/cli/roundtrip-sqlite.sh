#!/bin/bash
# xpdump | xprestore between SQLite databases: every value class, into an existing table and
# with --create, and the demo audit log.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

vals_sqlite "$T/src.db"
run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t vals -o "$T/vals.tar"
is "$rc" 0 "xpdump writes the value-class table"

empty_like_sqlite "$T/src.db" "$T/into.db" vals
run xprestore -q --dsn "$(sqlite_dsn "$T/into.db")" -i "$T/vals.tar"
is "$rc.$out.$err" "0.." "restore into an existing table exits 0, quietly with -q"
is "$(canon_sqlite "$T/into.db" vals)" "$(canon_sqlite "$T/src.db" vals)" \
	"every value comes back exactly (64-bit edges, floats, '' vs NULL, CR/LF, binary with NUL, 1 MB text)"
is "$(sqlite3 "$T/into.db" "SELECT length(txt) FROM vals WHERE id = 9")" $((4 * BIG_REPEAT)) \
	"the 1 MB value keeps its length in characters"
is "$(sqlite3 "$T/into.db" "SELECT quote(b) FROM vals WHERE id IN (2, 3, 8) ORDER BY id" | tr '\n' ' ')" \
	"X'00FF00' X'' X'000102030405060708090A0B0C0D0E0F' " "binary values keep their NUL bytes and lengths"

run xprestore --dsn "$(sqlite_dsn "$T/new.db")" --create -i - <"$T/vals.tar"
is "$rc" 0 "restore --create from stdin exits 0"
is "$err" "xprestore: 9 rows loaded into 1 table" "it reports what it loaded"
is "$(canon_sqlite "$T/new.db" vals)" "$(canon_sqlite "$T/src.db" vals)" "--create gives the same content"
is "$(sqlite3 "$T/new.db" "SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('vals')")" \
	"id INTEGER, i64 BIGINT, i32 INTEGER, num NUMERIC, f64 DOUBLE, txt TEXT, d DATE, ts TIMESTAMP, u TEXT, b BLOB, flag BOOLEAN" \
	"--create maps the manifest's types for SQLite"

run xprestore --dsn "$(sqlite_dsn "$T/new.db")" --create -i "$T/vals.tar"
is "$rc" 1 "--create over an existing table fails with status 1"
like "$err" "xprestore: vals: *already exists*" "and names the table"
is "$(count_sqlite "$T/new.db" vals)" 9 "the table keeps its rows"

# the demo audit log, several chunks, twice into the same table
"$XP_SRCDIR/examples/make-demo-db" -n 5000 -d 30 -e 2026-11-24 -s 7 "$T/demo.db"
is "$(count_sqlite "$T/demo.db" audit_log)" 5000 "make-demo-db writes the rows asked for"
is "$(sqlite3 "$T/demo.db" "SELECT substr(min(utc_time), 1, 19) || ' ' || substr(max(utc_time), 1, 19) FROM audit_log")" \
	"2026-10-26 00:00:00 2026-11-24 23:59:59" "the rows span the days asked for, ending on the day given"
"$XP_SRCDIR/examples/make-demo-db" -n 5000 -d 30 -e 2026-11-24 -s 7 "$T/demo2.db"
is "$(sqlite3 "$T/demo2.db" "SELECT * FROM audit_log" | cksum)" \
	"$(sqlite3 "$T/demo.db" "SELECT * FROM audit_log" | cksum)" "the same seed gives the same rows"
run xpdump --dsn "$(sqlite_dsn "$T/demo.db")" -t audit_log --chunk-size 65536 -o "$T/demo.tar"
is "$rc" 0 "xpdump writes the demo log"
run xprestore -q --dsn "$(sqlite_dsn "$T/demo-copy.db")" --create -i "$T/demo.tar"
is "$rc" 0 "restore --create of the demo log exits 0"
is "$(canon_sqlite "$T/demo-copy.db" audit_log | cksum)" "$(canon_sqlite "$T/demo.db" audit_log | cksum)" \
	"the demo log comes back row for row"

# two tables in one stream, into tables whose columns are in another order
sqlite3 "$T/src.db" "ATTACH '$T/demo.db' AS d; CREATE TABLE audit_log AS SELECT * FROM d.audit_log"
run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t vals -t audit_log -o "$T/two.tar"
is "$rc" 0 "xpdump writes two tables into one stream"
sqlite3 "$T/two.db" "CREATE TABLE audit_log (object_guid TEXT, result TEXT, message TEXT, action TEXT,
	category TEXT, source TEXT, client_address TEXT, user_name TEXT, utc_time TIMESTAMP, id INTEGER);
	CREATE TABLE vals (flag BOOLEAN, b BLOB, u TEXT, ts TIMESTAMP, d DATE, txt TEXT, f64 DOUBLE,
	num NUMERIC(12,4), i32 INTEGER NOT NULL, i64 BIGINT, id INTEGER PRIMARY KEY)"
run xprestore --dsn "$(sqlite_dsn "$T/two.db")" -i "$T/two.tar"
is "$rc.$err" "0.xprestore: 5009 rows loaded into 2 tables" "both tables load, columns matched by name"
is "$(sqlite3 "$T/two.db" "SELECT id, i64, quote(b), txt FROM vals WHERE id IN (2, 6) ORDER BY id")" \
	"$(sqlite3 "$T/src.db" "SELECT id, i64, quote(b), txt FROM vals WHERE id IN (2, 6) ORDER BY id")" \
	"values land in the columns of their names"
is "$(sqlite3 "$T/two.db" "SELECT id, utc_time, user_name, object_guid FROM audit_log ORDER BY id" | cksum)" \
	"$(sqlite3 "$T/demo.db" "SELECT id, utc_time, user_name, object_guid FROM audit_log ORDER BY id" | cksum)" \
	"the second table arrives whole"

done_testing
