#!/bin/bash
# The type matrix: a table of every audit-log type of each source database (PostgreSQL,
# SQLite, MariaDB, SQL Server through the TDS test server), values at their edges, dumped
# with xpdump, sealed into a repository, opened with xpseal open and restored with
# xprestore --create into PostgreSQL, SQLite and MariaDB, then compared value by value in one
# canonical text per value. A value a target cannot hold is an error naming table, row and
# column, and the target keeps no table.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"
pg_start || skip_all "no PostgreSQL server binaries"
my_start || skip_all "no MariaDB server (mariadb-server) installed"

export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" 'correct horse'
xpseal init -r "$T/repo" --password-file "$T/pw" >/dev/null 2>&1 || { ok 1 "xpseal init"; done_testing; }

# seal_open NAME DUMP: seals DUMP, opens it again as $T/NAME.open.tar; checks both steps.
seal_open() {
	local id
	run xpseal -q -r "$T/repo" -i "$2"
	id=$out
	run xpseal open -r "$T/repo" --password-file "$T/pw" "$id" -o "$T/$1.open.tar"
	is "$rc:$err:$(cmp "$2" "$T/$1.open.tar" && echo same)" "0::same" "$1: sealed and opened again, the same bytes"
}

# The canonical text: one line per row, values joined by '|', NULL as \N, text with
# backslash, '|', CR, LF and tab escaped, bytes as upper-case hex. Each database's SQL gives
# that raw text (canon_*_raw), then canon_norm evens out the differences of form accepted
# between databases, by the column's class in the spec ("name:class ..."):
#   f  floats: printed by each database in its own digits (SQLite's quote() gives 15 or 20,
#      PostgreSQL and MariaDB the shortest), so compared as the double they parse to (%.17g);
#   n  decimals: MariaDB and SQL Server print the scale's trailing zeros, PostgreSQL's
#      unconstrained numeric and SQLite's text do not: trailing zeros of a fraction dropped;
#   c  CHAR(n): PostgreSQL's char::text drops the padding that the dump (and a text column
#      made by --create) keeps: trailing spaces dropped;
#   t  date and time: SQLite has no timestamp type and keeps the dump's text, MariaDB's
#      DATETIME(6) and TIME(6) print six fraction digits, PostgreSQL drops trailing zeros
#      and prints a zone in UTC as +00: trailing fraction zeros and a +00 or +00:00 dropped
#      (a non-UTC offset stays, so a zone lost on the way is still a difference);
#   other classes compare as printed.
canon_norm() {
	gawk -F'|' -v spec="$1" 'BEGIN { OFS = "|"; n = split(spec, s, " ")
		for (k = 1; k <= n; k++) { split(s[k], p, ":"); cl[k] = p[2] } }
	{ for (k = 1; k <= NF; k++) { v = $k; if (v == "\\N") continue
		if (cl[k] == "f") v = sprintf("%.17g", v + 0)
		else if (cl[k] == "n" && v ~ /\./) { sub(/0+$/, "", v); sub(/\.$/, "", v); if (v == "-0") v = "0" }
		else if (cl[k] == "c") sub(/ +$/, "", v)
		else if (cl[k] == "t") { sub(/\+00(:00)?$/, "", v); if (v ~ /\.[0-9]*$/) { sub(/0+$/, "", v); sub(/\.$/, "", v) } }
		$k = v } print }'
}
cols_of() { local c out=(); for c in $1; do out+=("${c%%:*}"); done; echo "${out[@]}"; }
# canon_pg_raw TABLE SPEC, canon_lite_raw DB TABLE SPEC, canon_my_raw TABLE SPEC
# the text escapes, the same on each database
pg_esc() { printf '%s\n' "replace(replace(replace(replace(replace($1, '\\', '\\\\'), '|', '\\p'), E'\\r', '\\r'), E'\\n', '\\n'), E'\\t', '\\t')"; }
canon_pg_raw() {
	local c ty sel=()
	for c in $(cols_of "$2"); do
		ty=$(psqlq -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$1'::regclass AND attname = '$c'")
		case $ty in
		bytea) sel+=("coalesce(upper(encode($c, 'hex')), '\\N')") ;;
		boolean) sel+=("coalesce($c::int::text, '\\N')") ;;
		*) sel+=("coalesce($(pg_esc "$c::text"), '\\N')") ;;
		esac
	done
	psqlq -c "SET TIME ZONE 'UTC'; SELECT concat_ws('|', $(IFS=,; echo "${sel[*]}")) FROM $1 ORDER BY id"
}
canon_lite_raw() {
	local c sel=()
	for c in $(cols_of "$3"); do
		sel+=("CASE typeof($c) WHEN 'null' THEN '\\N' WHEN 'blob' THEN hex($c) WHEN 'real' THEN quote($c)
			ELSE replace(replace(replace(replace(replace(CAST($c AS TEXT), '\\', '\\\\'), '|', '\\p'),
			char(13), '\\r'), char(10), '\\n'), char(9), '\\t') END")
	done
	local all=${sel[*]} sep=" END || '|' || CASE"
	sqlite3 "$1" "SELECT ${all// END CASE/$sep} FROM $2 ORDER BY id"
}
canon_my_raw() {
	local c ty sel=()
	for c in $(cols_of "$2"); do
		ty=$(myq -e "SELECT data_type FROM information_schema.columns WHERE table_schema = 'xp' AND table_name = '$1' AND column_name = '$c'")
		case $ty in
		*blob | *binary | bit) sel+=("coalesce(hex($c), '\\\\N')") ;;
		*) sel+=("coalesce(replace(replace(replace(replace(replace(CAST($c AS CHAR), '\\\\', '\\\\\\\\'), '|', '\\\\p'),
			'\\r', '\\\\r'), '\\n', '\\\\n'), '\\t', '\\\\t'), '\\\\N')") ;;
		esac
	done
	myq -r -e "SELECT CONCAT_WS('|', $(IFS=,; echo "${sel[*]}")) FROM $1 ORDER BY id"
}
canon_pg() { canon_pg_raw "$1" "$2" | canon_norm "$2"; }
canon_lite() { canon_lite_raw "$1" "$2" "$3" | canon_norm "$3"; }
canon_my() { canon_my_raw "$1" "$2" | canon_norm "$2"; }

# restore_all NAME TABLE SPEC WANT [MY_ERR]: --create into each target from $T/NAME.open.tar, compared
# with WANT, the source's canonical text; with MY_ERR MariaDB refuses it with that "rc:stderr"
restore_all() {
	run xprestore -q --dsn "$PG_DSN" --create -i "$T/$1.open.tar"
	is "$rc:$err" "0:" "$1 to PostgreSQL: --create exits 0"
	[ -n "$4" ] || ok 1 "$1: the source's canonical text is not empty"
	is "$(canon_pg "$2" "$3")" "$4" "$1 to PostgreSQL: every value arrives"
	run xprestore -q --dsn "$(sqlite_dsn "$T/$1.db")" --create -i "$T/$1.open.tar"
	is "$rc:$err" "0:" "$1 to SQLite: --create exits 0"
	is "$(canon_lite "$T/$1.db" "$2" "$3")" "$4" "$1 to SQLite: every value arrives"
	run xprestore -q --dsn "$MY_DSN" --create -i "$T/$1.open.tar"
	if [ -n "${5:-}" ]; then
		is "$rc:$err" "$5" "$1 to MariaDB: a value it cannot hold is an error naming row and column"
		is "$(myq -e "SHOW TABLES LIKE '$2'")" "" "$1 to MariaDB: and no table is left"
		return
	fi
	is "$rc:$err" "0:" "$1 to MariaDB: --create exits 0"
	is "$(canon_my "$2" "$3")" "$4" "$1 to MariaDB: every value arrives"
}

# --- PostgreSQL ------------------------------------------------------------------------------
psqlq <<'SQL'
SET TIME ZONE 'UTC';
CREATE TABLE pgt (id integer PRIMARY KEY, i16 smallint, i32 integer, i64 bigint,
	num numeric(38,10), f32 real, f64 double precision, txt text, vc varchar(40), ch char(3),
	bin bytea, flag boolean, d date, tm time(6), ts timestamp(6), u uuid, js json, jb jsonb);
INSERT INTO pgt VALUES
 (1, -32768, -2147483648, -9223372036854775808, -9999999999999999999999999999.9999999999,
  -3.4028235e38, -1.7976931348623157e308, 'emoji 😀👍🏽 𝄞', 'a"b''c|d', 'abc', '\x00ff00', false,
  '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '00000000-0000-0000-0000-000000000000',
  '{"a": [1, 2.5, "😀"]}', '{"k": null}'),
 (2, 32767, 2147483647, 9223372036854775807, 9999999999999999999999999999.9999999999,
  3.4028235e38, 1.7976931348623157e308, E'CR\rLF\nCRLF\r\nend', '', '', '\x', true,
  '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', '[]', '[]'),
 (3, 0, 0, 0, 0.0000000001, 1.4e-45, 5e-324, '', NULL, NULL, '\x000102', NULL,
  '2000-02-29', '12:34:56.000001', '1970-01-01 00:00:00.000001',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'null', '"x"'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL),
 (5, -1, -1, -1, -0.0000000001, 1.17549435e-38, 2.2250738585072014e-308,
  E'tab\t"q",''s''\\', 'x', 'a  ', '\x5c7830', false, '1970-01-01', '00:00:00.5',
  '2026-03-29 01:30:00', '6f9619ff-8b86-d011-b42d-00c04fc964ff', '{"a":1}', '{"a":1}');
SQL
PGSPEC="id:i i16:i i32:i i64:i num:n f32:f f64:f txt:s vc:s ch:c bin:b flag:i d:t tm:t ts:t u:s js:s jb:s"
run xpdump --dsn "$PG_DSN" -t pgt -o "$T/pg.tar"
is "$rc:$err" "0:" "PostgreSQL: xpdump reads every type"
seal_open pg "$T/pg.tar"
want=$(canon_pg pgt "$PGSPEC")
psqlq -c "ALTER TABLE pgt RENAME TO pgt_src"
# MariaDB's FLOAT takes no more than 3.402823466e38: PostgreSQL's real maximum, printed as
# 3.4028235e+38, is just past it as the double the text parses to, and MariaDB refuses it
restore_all pg pgt "$PGSPEC" "$want" \
	"1:xprestore: pgt: row 1: [22003] [ma-3.1.15][10.11.19-MariaDB-0+deb12u1]Out of range value for column 'f32' at row 1"
# the other types into MariaDB: booleans (1, 0 and NULL) go as integers into its BOOL
psqlq -c "CREATE TABLE pgm AS SELECT id, i16, i32, i64, num, f64, txt, vc, ch, bin, flag, d, tm, ts, u, js, jb FROM pgt_src"
MYSPEC=${PGSPEC/ f32:f/}
xpdump --dsn "$PG_DSN" -t pgm -o "$T/pgm.tar"
run xprestore -q --dsn "$MY_DSN" --create -i "$T/pgm.tar"
is "$rc:$err" "0:" "pg to MariaDB without the real column: --create exits 0"
is "$(canon_my pgm "$MYSPEC")" "$(canon_pg pgm "$MYSPEC")" "pg to MariaDB: every other value arrives"

# --- SQLite ----------------------------------------------------------------------------------
sqlite3 "$T/src.db" <<'SQL'
CREATE TABLE lt (id INTEGER PRIMARY KEY, i64 BIGINT, i32 INTEGER, num NUMERIC(12,4), f64 DOUBLE,
	r REAL, txt TEXT, vc VARCHAR(20), bin BLOB, flag BOOLEAN, d DATE, ts TIMESTAMP);
INSERT INTO lt VALUES
 (1, -9223372036854775808, -2147483648, -99999999.9999, -1.7976931348623157e308, 5e-324,
  'emoji 😀👍🏽 𝄞', 'a"b''c|d', X'00FF00', 0, '0001-01-01', '0001-01-01 00:00:00'),
 (2, 9223372036854775807, 2147483647, 99999999.9999, 1.7976931348623157e308, 2.2250738585072014e-308,
  'CR' || char(13) || 'LF' || char(10) || 'CRLF' || char(13, 10) || 'end', '', X'', 1,
  '9999-12-31', '9999-12-31 23:59:59.999'),
 (3, 0, 0, 0.0001, 0.1, -0.5, '', NULL, X'000102', NULL, '2000-02-29', '1970-01-01 00:00:00.001'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SQL
LTSPEC="id:i i64:i i32:i num:n f64:f r:f txt:s vc:s bin:b flag:i d:t ts:t"
run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t lt -o "$T/lite.tar"
is "$rc:$err" "0:" "SQLite: xpdump reads every type"
seal_open lite "$T/lite.tar"
restore_all lite lt "$LTSPEC" "$(canon_lite "$T/src.db" lt "$LTSPEC")"

done_testing
