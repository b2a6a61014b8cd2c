#!/bin/bash
# xpdump | xprestore with PostgreSQL: PostgreSQL to PostgreSQL (into an existing table and with
# --create) and SQLite to PostgreSQL, every value class, compared exactly.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"
pg_start || skip_all "no PostgreSQL server binaries"

vals_pg
run xpdump --dsn "$PG_DSN" -t vals -o "$T/vals.tar"
is "$rc" 0 "xpdump writes the value-class table"
psqlq -c "ALTER TABLE vals RENAME TO orig"
want=$(copy_pg orig)

empty_like_pg orig vals
run xprestore -q --dsn "$PG_DSN" -i "$T/vals.tar"
is "$rc" 0 "restore into an existing table exits 0"
is "$(copy_pg vals)" "$want" \
	"every value comes back exactly (int64 edges, numeric(38,10), floats, zones, uuid, bytea, boolean, 1 MB text)"
is "$(psqlq -c "SELECT length(txt), octet_length(txt) FROM vals WHERE id = 9")" \
	"$((4 * BIG_REPEAT))|$((10 * BIG_REPEAT))" "the 1 MB value keeps its characters and bytes"

psqlq -c "DROP TABLE vals"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/vals.tar"
is "$rc" 0 "restore --create exits 0"
is "$(copy_pg vals)" "$want" "--create gives the same content"
is "$(types_pg vals | tr '\n' ',')" \
	"id integer,i64 bigint,i32 integer,i16 smallint,num numeric(38,10),f64 double precision,f32 real,txt text,vc text,d date,ts timestamp without time zone,tz timestamp with time zone,u uuid,b bytea,flag boolean," \
	"--create maps the manifest's types for PostgreSQL"
is "$(psqlq -c "SELECT attname FROM pg_attribute WHERE attrelid = 'vals'::regclass AND attnum > 0 AND attnotnull ORDER BY attnum" | tr '\n' ' ')" \
	"id i32 " "NOT NULL columns stay NOT NULL"

# PostgreSQL to SQLite: every column but the floats (SQLite prints 15 digits) as quoted text
run xprestore -q --dsn "$(sqlite_dsn "$T/fromp.db")" --create -i "$T/vals.tar"
is "$rc" 0 "restore --create of a PostgreSQL dump into SQLite exits 0"
q="'''' || replace(CAST(%s AS TEXT), '''', '''''') || ''''"
pgsel='' litesel=''
for c in id i64 i32 i16 num txt vc d ts tz u flag; do
	# shellcheck disable=SC2059
	pgsel+="coalesce($(printf "$q" "$c$([ $c = flag ] && echo '::int')"), 'NULL') || '|' || "
	# shellcheck disable=SC2059
	litesel+="coalesce($(printf "$q" "$c"), 'NULL') || '|' || "
done
is "$(sqlite3 "$T/fromp.db" "SELECT ${litesel}CASE WHEN b IS NULL THEN 'NULL' ELSE 'X''' || hex(b) || '''' END FROM vals ORDER BY id")" \
	"$(psqlq -c "SET TIME ZONE 'UTC'; SELECT ${pgsel}coalesce('X''' || upper(encode(b, 'hex')) || '''', 'NULL') FROM orig ORDER BY id")" \
	"every PostgreSQL value arrives in SQLite (numeric(38,10) as exact text, zones, uuid, bytea, boolean)"
is "$(sqlite3 "$T/fromp.db" "SELECT group_concat(name || ' ' || type, ',') FROM pragma_table_info('vals')")" \
	"id INTEGER,i64 BIGINT,i32 INTEGER,i16 SMALLINT,num TEXT,f64 DOUBLE,f32 REAL,txt TEXT,vc TEXT,d DATE,ts TIMESTAMP,tz TIMESTAMP,u TEXT,b BLOB,flag BOOLEAN" \
	"PostgreSQL's types map to SQLite's"

# SQLite to PostgreSQL
vals_sqlite "$T/src.db"
run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t vals -o "$T/lite.tar"
is "$rc" 0 "xpdump writes the SQLite value-class table"
psqlq -c "DROP TABLE vals"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/lite.tar"
is "$rc" 0 "restore --create of a SQLite dump into PostgreSQL exits 0"
is "$(canon_pg vals)" "$(canon_sqlite "$T/src.db" vals)" "every SQLite value arrives in PostgreSQL"
is "$(types_pg vals | tr '\n' ',')" \
	"id integer,i64 bigint,i32 integer,num numeric,f64 double precision,txt text,d date,ts timestamp without time zone,u text,b bytea,flag boolean," \
	"SQLite's types map to PostgreSQL's"

# SQLite's NUMERIC and REAL columns hold integers past 2^53 and text too: xpdump passes them
# on as they are, and --create makes a NUMERIC column numeric, loaded from text
sqlite3 "$T/aff.db" "CREATE TABLE aff(id INTEGER, n NUMERIC(12,4), r REAL);
	INSERT INTO aff VALUES (1, 9007199254740993, 0.1), (2, -9223372036854775808, 1e300),
	(3, 1.25, 3), (4, NULL, NULL), (5, 123456789012345678, -2.5)"
run xpdump --dsn "$(sqlite_dsn "$T/aff.db")" -t aff -o "$T/aff.tar"
is "$rc:$(tar xOf "$T/aff.tar" aff/000001.csv | tr '\n' ' ')" \
	"0:id,n,r 1,9007199254740993,0.1 2,-9223372036854775808,1e+300 3,1.25,3 4,, 5,123456789012345678,-2.5 " \
	"integers past 2^53 in a SQLite NUMERIC column keep every digit"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/aff.tar"
is "$rc:$(psqlq -F , -c "SELECT id, n, r FROM aff ORDER BY id" | tr '\n' ' ')" \
	"0:1,9007199254740993,0.1 2,-9223372036854775808,1e+300 3,1.25,3 4,, 5,123456789012345678,-2.5 " \
	"and arrive exactly in PostgreSQL's numeric"

# the demo log, 5050 rows: full batches go as many-rows INSERTs, the last 50 as an array
"$XP_SRCDIR/examples/make-demo-db" -n 5050 -e 2026-11-24 "$T/demo.db"
xpdump --dsn "$(sqlite_dsn "$T/demo.db")" -t audit_log -o "$T/demo.tar"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/demo.tar"
is "$rc" 0 "restore --create of the demo log into PostgreSQL exits 0"
rest="user_name, client_address, source, category, action, message, result, object_guid"
is "$(psqlq -F '|' -c "SELECT id, to_char(utc_time, 'YYYY-MM-DD HH24:MI:SS.MS'), $rest FROM audit_log ORDER BY id" | cksum)" \
	"$(sqlite3 "$T/demo.db" "SELECT id, utc_time, $rest FROM audit_log ORDER BY id" | cksum)" \
	"the demo log arrives row for row"

# a row PostgreSQL refuses inside a full batch: nothing of the stream stays
psqlq -c "TRUNCATE audit_log; ALTER TABLE audit_log ADD PRIMARY KEY (id);
	INSERT INTO audit_log (id, utc_time, category, action, result)
	VALUES (4321, '2026-01-01', 'c', 'a', 'r')"
run xprestore -q --dsn "$PG_DSN" -i "$T/demo.tar"
is "$rc" 1 "a duplicate key in the 44th batch exits 1"
like "$err" "xprestore: audit_log: rows 4301-4400: *duplicate key*" "and names the batch's rows"
is "$(count_pg audit_log)" 1 "the 4300 rows before it are rolled back"

done_testing
