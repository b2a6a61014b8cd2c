# Database helpers for the restore and round-trip tests: the all-value-classes table in
# SQLite and PostgreSQL, and each table's content as canonical text for exact comparison.
# Source it after tests/lib.sh.
# shellcheck shell=bash

# psqlq ARGS...: psql without rc files, quiet, unaligned, stopping at the first error.
psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# One big value: about 1 MB of text in every UTF-8 length (1 to 4 bytes a character).
BIG_UNIT='aé€😀'
BIG_REPEAT=104858

# vals_sqlite DB: creates table vals in SQLite database DB, one row per value class edge.
# Floats (and numerics, which the SQLite driver reports as DOUBLE) have at most 15 significant
# digits and a fraction, so SQLite and PostgreSQL print them alike; the tiny one is a power of
# two, which SQLite reads exactly even under valgrind (no 80-bit long double there).
vals_sqlite() {
	sqlite3 "$1" <<EOF
CREATE TABLE vals (
	id INTEGER PRIMARY KEY,
	i64 BIGINT,
	i32 INTEGER NOT NULL,
	num NUMERIC(12,4),
	f64 DOUBLE,
	txt TEXT,
	d DATE,
	ts TIMESTAMP,
	u TEXT,
	b BLOB,
	flag BOOLEAN
);
INSERT INTO vals VALUES
 (1, 9223372036854775807, 2147483647, 12.5, 0.1, '日本語のテキスト', '2026-11-24',
  '2026-11-24 03:00:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', X'00', 1),
 (2, -9223372036854775808, -2147483648, -3.5, -2.5, 'emoji 😀👍🏽 and RTL שלום עולם مرحبا',
  '1970-01-01', '1999-12-31 23:59:59.123', '00000000-0000-0000-0000-000000000000', X'00FF00', 0),
 (3, 0, 0, 0.125, 1.5e300, '', '2000-02-29', '2026-03-29 01:30:00', NULL, X'', NULL),
 (4, NULL, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 1, 1, 0.25, 3.14159265358979, 'comma, "quotes" and ''single''', '2026-02-28',
  '2026-11-24 00:00:00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', X'5C7830303030', 1),
 (6, -1, 42, 99999999.9999, -3.0517578125e-05, 'CR' || char(13) || 'LF' || char(10) || 'CRLF' ||
  char(13) || char(10) || 'end', '9999-12-31', '2026-11-24 23:59:59.999', NULL, X'0D0A2C22', 0),
 (7, 4294967296, 7, -0.0001, 0.5, ' leading and trailing spaces ', '2026-01-01',
  '2026-01-01 00:00:00', NULL, NULL, 1),
 (8, 123456789012345678, 8, 1.5, 123456789.125, '\x41 is not hex, NULL is not null', NULL,
  NULL, NULL, X'000102030405060708090A0B0C0D0E0F', 0),
 (9, 9, 9, 9.75, 9.5, replace(hex(zeroblob($BIG_REPEAT)), '00', '$BIG_UNIT'), NULL, NULL, NULL,
  NULL, NULL);
EOF
}

# vals_pg: creates table vals in the PostgreSQL database of pg_start, with every class at
# full range and precision (timestamps with and without zone, uuid, bytea, boolean).
vals_pg() {
	psqlq <<EOF
SET TIME ZONE 'UTC';
CREATE TABLE vals (
	id integer PRIMARY KEY,
	i64 bigint,
	i32 integer NOT NULL,
	i16 smallint,
	num numeric(38,10),
	f64 double precision,
	f32 real,
	txt text,
	vc varchar(20),
	d date,
	ts timestamp,
	tz timestamptz,
	u uuid,
	b bytea,
	flag boolean
);
INSERT INTO vals VALUES
 (1, 9223372036854775807, 2147483647, 32767, 9999999999999999999999999999.9999999999,
  0.1, 0.1, '日本語のテキスト', 'short', '2026-11-24', '2026-11-24 03:00:00',
  '2026-11-24 03:00:00+01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00', true),
 (2, -9223372036854775808, -2147483648, -32768, -9999999999999999999999999999.9999999999,
  -2.2250738585072014e-308, 3.4028235e38, 'emoji 😀👍🏽 and RTL שלום עולם مرحبا', '',
  '1970-01-01', '1999-12-31 23:59:59.123456', '1999-12-31 23:59:59.123456-08',
  '00000000-0000-0000-0000-000000000000', '\\x00ff00', false),
 (3, 0, 0, 0, 0.0000000001, 5e-324, 1.4e-45, '', NULL, '2000-02-29', '2026-03-29 01:30:00',
  '2026-03-29 01:30:00+00', NULL, '\\x', NULL),
 (4, NULL, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 1, 1, 1, 1234567890123456789012345678.0123456789, 0.30000000000000004, 16777217,
  'comma, "quotes" and ''single''', 'a,b', '2026-02-28', '2026-11-24 00:00:00',
  '2026-11-24 00:00:00+05:30', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '\\x5c783030', true),
 (6, -1, 42, -1, -0.0000000001, 1.7976931348623157e308, -0.0,
  E'CR\\rLF\\nCRLF\\r\\nend', E'tab\\there', '9999-12-31', '2026-11-24 23:59:59.999999',
  '2026-11-24 23:59:59.999999+00', NULL, '\\x0d0a2c22', false),
 (7, 4294967296, 7, 7, 12.5, 123456789.123456789, 0.333333343267,
  ' leading and trailing spaces ', ' x ', '2026-01-01', '2026-01-01 00:00:00',
  '2026-01-01 00:00:00+00', NULL, NULL, true),
 (8, 123456789012345678, 8, 8, 1, 0.3333333333333333, -1.5, E'\\\\x41 is not hex, NULL is not null',
  'NULL', NULL, NULL, NULL, NULL, '\\x000102030405060708090a0b0c0d0e0f', false),
 (9, 9, 9, 9, 9, 9, 9, repeat('$BIG_UNIT', $BIG_REPEAT), NULL, NULL, NULL, NULL, NULL, NULL,
  NULL);
EOF
}

# canon_sqlite DB TABLE: the rows of TABLE ordered by its first column, one line each, every
# value as an SQL literal of its text ('' doubled), blobs as X'HEX', NULL as NULL. Numbers
# stored as text and as numbers print alike, so a restore with --create compares equal.
canon_sqlite() {
	local sel
	sel=$(sqlite3 "$1" "SELECT group_concat('CASE typeof(\"' || name || '\") WHEN ''null'' THEN ''NULL''
		WHEN ''blob'' THEN ''X'''''' || hex(\"' || name || '\") || '''''''' ELSE
		quote(CAST(\"' || name || '\" AS TEXT)) END', ' || ''|'' || ')
		FROM pragma_table_info('$2')") || return 1
	sqlite3 "$1" "SELECT $sel FROM \"$2\" ORDER BY 1"
}

# canon_pg TABLE: the same canonical text from PostgreSQL (booleans as 1/0, bytea as X'HEX',
# numeric without trailing zeros).
canon_pg() {
	local sel
	sel=$(psqlq -c "SELECT string_agg(CASE
		WHEN data_type = 'numeric' THEN format('coalesce(quote_literal(trim_scale(%I)), ''NULL'')', column_name)
		WHEN data_type = 'boolean' THEN format('coalesce(quote_literal(%I::int), ''NULL'')', column_name)
		WHEN data_type = 'bytea' THEN format('coalesce(''X'''''' || upper(encode(%I, ''hex'')) || '''''''', ''NULL'')', column_name)
		ELSE format('coalesce('''''''' || replace(%I::text, '''''''', '''''''''''') || '''''''', ''NULL'')', column_name)
		END, ' || ''|'' || ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = '$1'") || return 1
	psqlq -c "SET TIME ZONE 'UTC'; SELECT $sel FROM \"$1\" ORDER BY 1"
}

# copy_pg TABLE: PostgreSQL's own CSV of TABLE ordered by its first column (exact for every
# type when both sides have the same column types).
copy_pg() {
	psqlq -c "SET TIME ZONE 'UTC'; COPY (SELECT * FROM \"$1\" ORDER BY 1) TO STDOUT (FORMAT csv)"
}

# types_pg TABLE: "column type" lines, in column order.
types_pg() {
	psqlq -F ' ' -c "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = '\"$1\"'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
}

count_sqlite() { sqlite3 "$1" "SELECT count(*) FROM \"$2\""; }
count_pg() { psqlq -c "SELECT count(*) FROM \"$1\""; }

# empty_like_sqlite SRC DST TABLE: creates TABLE in DST with SRC's definition and no rows.
empty_like_sqlite() {
	sqlite3 "$1" "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '$3'" |
		sqlite3 "$2"
}

# empty_like_pg SRC DST: creates table DST with SRC's columns and no rows.
empty_like_pg() { psqlq -c "CREATE TABLE \"$2\" (LIKE \"$1\" INCLUDING ALL)"; }
