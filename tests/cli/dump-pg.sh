#!/bin/bash
# xpdump against PostgreSQL through psqlODBC: value classes against psql's own CSV, reloading a
# chunk with \copy, the snapshot level, and a server that dies in the middle of a dump.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1 || skip_all "psqlODBC is not registered"
pg_start || skip_all "PostgreSQL 15 server binaries are not installed"

psql -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || exit 1
CREATE TABLE v(id int8 PRIMARY KEY, at timestamptz NOT NULL, n numeric(38,10), f float8, r real,
	t text, vc varchar(20), d date, ts timestamp, u uuid, b bytea, ok boolean, i4 int4);
INSERT INTO v VALUES
 (1, '2026-11-24 03:00:00+01', 1234567890123456789012345678.1234567890, 0.1, 0.1,
  'hello, "world"', '日本語😀', '2026-11-24', '2026-11-24 03:00:00.123456',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\x00ff', true, -5),
 (2, '2026-11-24 04:00:00Z', -0.0000000001, 1e-300, 3.4e38, '', '', NULL, NULL, NULL, '\x', false, NULL),
 (3, '2026-11-25 00:00:00Z', NULL, 'NaN', '-Infinity', E'a\nb\r\nc\rd', NULL, '0001-01-01',
  '2026-01-01', NULL, NULL, NULL, 2147483647),
 (4, '2026-11-25 12:00:00Z', 1, 1.7976931348623157e308, 1, repeat('x', 1048576), ' lead ',
  NULL, NULL, NULL, NULL, NULL, NULL),
 (5, '2026-11-26 00:00:00Z', 0, 0.30000000000000004, -0.5, '\.', 'a,b', NULL, NULL, NULL,
  decode(repeat('ab', 70000), 'hex'), true, 0),
 (6, '2026-11-26 00:00:01Z', 9223372036854775807, -1e-5, 5e-45, 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE big AS SELECT i AS id, timestamptz '2026-01-01' + i * interval '1 second' AS at,
	repeat(md5(i::text), 3) AS msg FROM generate_series(1, 300000) i;
SQL

# psql's CSV of the same rows: only booleans differ (ODBC's 1/0 against t/f)
cols="id, at, n, f, r, t, vc, d, ts, u, b, ok::int AS ok, i4"
psql -qX -c "\\copy (SELECT $cols FROM v ORDER BY at) TO '$T/psql.csv' CSV HEADER" || exit 1
# and xpdump also quotes a field with leading or trailing spaces, and any \. field
sed -e 's/, lead ,/," lead ",/' -e 's/,\\\.,/,"\\.",/' "$T/psql.csv" >"$T/want.csv"

run xpdump --dsn "$PG_DSN" -t v --time-column at -o "$T/v.tar"
is "$rc:$err" "0:" "dump of the value-class table exits 0"
mkdir "$T/x" && tar xf "$T/v.tar" -C "$T/x"
ok "$(cmp -s "$T/x/v/000001.csv" "$T/want.csv" && echo 0 || echo 1)" \
	"the chunk equals psql's \\copy CSV byte for byte (int8, numeric(38,10), float8, real, text, CJK, '' vs NULL, CR/LF, date, timestamp, timestamptz, uuid, bytea, 1 MiB text)"
cmp "$T/x/v/000001.csv" "$T/want.csv" | head -3 | sed 's/^/# /'
like "$(cat "$T/x/MANIFEST")" $'*\ndbms\tPostgreSQL\nisolation\trepeatable-read\n*' \
	"PostgreSQL dumps in one REPEATABLE READ (snapshot) transaction"
run xpdump --dsn "$PG_DSN" -t v --isolation read-committed -o "$T/rc.tar"
is "$rc:$(tar xOf "$T/rc.tar" MANIFEST | grep '^isolation')" $'0:isolation\tread-committed' \
	"--isolation read-committed reads PostgreSQL at READ COMMITTED, recorded in MANIFEST"
like "$(grep $'^column\tn\t' "$T/x/MANIFEST")" $'column\tn\t2\tNUMERIC\tnumeric\t38\t10\t1' \
	"MANIFEST gives numeric's precision and scale"
like "$(cat "$T/x/SUMMARY")" $'*\ntable\tv\t6\t*\t1\t*\t2026-11-24T02:00:00Z\t2026-11-26T00:00:01Z\nend' \
	"SUMMARY gives the time range seen, in UTC"
like "$(cat "$T/x/SUMMARY")" $'xpdump-summary\t1\ntable\tv\t6\t*' "SUMMARY counts 6 rows"

# the chunk loads back with \copy and gives the same rows
psql -qX -c "CREATE TABLE v2 (LIKE v)" >/dev/null
run psql -qX -c "\\copy v2 FROM '$T/x/v/000001.csv' CSV HEADER"
is "$rc:$err" "0:" "psql \\copy loads the chunk"
q="SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM %s x"
# shellcheck disable=SC2059
is "$(psql -qXAt -c "$(printf "$q" v2)")" "$(psql -qXAt -c "$(printf "$q" v)")" \
	"the reloaded rows equal the originals in every column"

# a window on a timestamptz column, bound as parameters
run xpdump --dsn "$PG_DSN" -t v --time-column at --since 2026-11-24T03:00:00Z --until 2026-11-26 \
	--exclude 2026-11-25T00:00:00Z/2026-11-25T00:00:01Z -o "$T/w.tar"
is "$rc:$(tar xOf "$T/w.tar" v/000001.csv | grep -oE '^[0-9]+,2026' | cut -d, -f1 | tr '\n' ' ')" \
	"0:2 4 " "a window with an exclusion selects rows 2 and 4"

# schema-qualified names are quoted per part
psql -qX -c 'CREATE SCHEMA app' -c 'CREATE TABLE app."Log ""x"""(id int)' -c 'INSERT INTO app."Log ""x""" VALUES (42)' >/dev/null
run xpdump --dsn "$PG_DSN" -t 'app.Log "x"' -o "$T/s.tar"
is "$rc:$(tar xOf "$T/s.tar" 'app.Log "x"/000001.csv' | tr '\n' ' ')" "0:id 42 " \
	"schema.table with a quote and mixed case is quoted per part"

# psqlODBC declares arrays and json as varchar(255); a longer value is read again whole
psql -qX -c "CREATE TABLE arr(id int, xs text[], j json)" \
	-c "INSERT INTO arr VALUES (1, array[repeat('a', 600), repeat('b', 600)], '{\"k\": [1, 2]}')" >/dev/null
psql -qX -c "\\copy arr TO '$T/arr.csv' CSV HEADER"
run xpdump --dsn "$PG_DSN" -t arr -o "$T/arr.tar"
is "$rc:$(tar xOf "$T/arr.tar" arr/000001.csv | cmp - "$T/arr.csv" && echo same)" "0:same" \
	"a value longer than the driver declares is read whole (row arrays, then SQLGetData)"

# text and bytea are long columns: bound 1 KiB wide in arrays of many rows, a longer value
# read whole with SQLGetData; lengths cross the bound width at and around every byte, with
# multi-byte characters (2 and 4 bytes, a surrogate pair in UTF-16) across it
psql -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || exit 1
CREATE TABLE lv AS SELECT i AS id,
	CASE WHEN i % 11 = 0 THEN NULL WHEN i % 13 = 0 THEN ''
	     WHEN i <= 40 THEN repeat('a', 1000 + i) || 'é😀' || repeat('z', i % 5)
	     ELSE repeat('a', (i * 37) % 3000) || 'é' || repeat('z', i % 5) END AS t,
	repeat('v', i % 1500)::varchar(2000) AS vc,
	CASE WHEN i % 7 = 0 THEN NULL ELSE decode(repeat('0f', (i * 13) % 2500), 'hex') END AS b
	FROM generate_series(1, 2500) i;
SQL
psql -qX -c "\\copy (SELECT * FROM lv ORDER BY id) TO '$T/lv.csv' CSV HEADER"
run xpdump --dsn "$PG_DSN" -t lv --chunk-size 64M -o "$T/lv.tar"
is "$rc:$(tar xOf "$T/lv.tar" lv/000001.csv | cmp - "$T/lv.csv" && echo same)" "0:same" \
	"2500 rows of long text and bytea around the 1 KiB bound width equal psql's CSV"

# psqlODBC prints infinity as 9999-12-31 23:59:59 and -infinity as a year BC, which dates nothing
psql -qX -c "CREATE TABLE inf(id int, at timestamptz)" \
	-c "INSERT INTO inf VALUES (1, '-infinity'), (2, '2026-01-01Z'), (3, 'infinity'), (4, NULL)" >/dev/null
run xpdump --dsn "$PG_DSN" -t inf --time-column at -o "$T/inf.tar"
like "$rc:$(tar xOf "$T/inf.tar" SUMMARY)" $'0:*\ntable\tinf\t4\t*\t2026-01-01T00:00:00Z\t9999-12-31T23:59:59Z\nend' \
	"infinite timestamps do not stop a dump"

# psqlODBC streams only with UseDeclareFetch: xpdump adds it when missing
dsn=${PG_DSN%%;UseDeclareFetch*}
run xpdump --dsn "$dsn" -t big --chunk-size 1M -o "$T/big.tar"
is "$rc" 0 "a 300000-row table dumps with UseDeclareFetch added"
like "$(tar xOf "$T/big.tar" SUMMARY)" $'*\ntable\tbig\t300000\t*' "all 300000 rows counted"
like "$(tar xOf "$T/big.tar" MANIFEST | sed -n 2p)" "source	$dsn" "MANIFEST keeps the connection string as given"
is "$(tar tf "$T/big.tar" | grep -c '^big/')" "$(tar tvf "$T/big.tar" | awk '$6 ~ /^big\// && $3 <= 1048576' | wc -l)" \
	"every chunk of the big table is at most 1 MiB"

# one snapshot for all tables: a row committed while the dump runs (stalled on its output
# after the first 200 KB, so the snapshot has been taken) is not in a later table
psql -qX -c "CREATE TABLE later(id int)" -c "INSERT INTO later VALUES (1)" >/dev/null
xpdump --dsn "$PG_DSN" -t big -t later | {
	head -c 200000 >"$T/snap.tar"
	psql -qX -c "INSERT INTO later VALUES (2)" >/dev/null
	cat >>"$T/snap.tar"
}
is "$(tar xOf "$T/snap.tar" later/000001.csv | tr '\n' ' ')" "id 1 " \
	"a row committed during the dump is not in it (one snapshot)"
is "$(psql -qXAt -c "SELECT count(*) FROM later")" 2 "the row was committed meanwhile"

# the server dies while the dump is running: the reader stalls after the first 200 KB, the
# server is stopped, then the reader drains; xpdump's next fetch fails
(
	xpdump --dsn "$PG_DSN" -t big 2>"$T/kill.err"
	echo $? >"$T/kill.rc"
) | {
	head -c 200000 >/dev/null
	_pg_as "$PG_BIN/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1
	cat >/dev/null
}
is "$(cat "$T/kill.rc")" 1 "a server killed mid-dump makes xpdump exit 1"
is "$(wc -l <"$T/kill.err")" 1 "with one line on stderr"
like "$(cat "$T/kill.err")" "xpdump: table big: *" "the line names the table"

done_testing
