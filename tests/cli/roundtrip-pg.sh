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

# SQLite to PostgreSQL
vals_sqlite "$T/src.db"
run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t vals -o "$T/lite.tar"
is "$rc" 0 "xpdump writes the SQLite value-class table"
psqlq -c "DROP TABLE vals"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/lite.tar"
is "$rc" 0 "restore --create of a SQLite dump into PostgreSQL exits 0"
is "$(canon_pg vals)" "$(canon_sqlite "$T/src.db" vals)" "every SQLite value arrives in PostgreSQL"
is "$(types_pg vals | tr '\n' ',')" \
	"id integer,i64 bigint,i32 integer,num double precision,f64 double precision,txt text,d date,ts timestamp without time zone,u text,b bytea,flag boolean," \
	"SQLite's types map to PostgreSQL's"

done_testing
