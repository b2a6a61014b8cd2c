#!/bin/bash
# The type matrix: a table of every audit-log type of each source database (PostgreSQL,
# SQLite, MariaDB, SQL Server through the TDS test server), values at their edges, dumped
# with xpdump, sealed into a repository, opened with xpseal open and restored with
# xprestore --create into PostgreSQL, SQLite, MariaDB and SQL Server (the TDS test server,
# dumped again from there), then compared value by value in one canonical text per value. A
# value a target cannot hold is an error naming table, row and column, and the target keeps
# no table.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"
. "$XP_SRCDIR/tests/lib-tds.sh"
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
#   f  doubles: printed by each database in its own digits (SQLite's quote() gives 15 or 20,
#      PostgreSQL and MariaDB the shortest), so compared as the double they parse to (%.17g);
#   r  single-precision floats: compared as the float they round to (%.9g), since a real
#      arrives in SQLite's 8-byte REAL as the double of its shortest text, and MariaDB's
#      FLOAT is read here as its exact double;
#   n  decimals: MariaDB and SQL Server print the scale's trailing zeros, PostgreSQL's
#      unconstrained numeric and SQLite's text do not: trailing zeros of a fraction dropped;
#   c  CHAR(n): PostgreSQL's char::text drops the padding that the dump (and a text column
#      made by --create) keeps: trailing spaces dropped;
#   t  date and time: SQLite has no timestamp type and keeps the dump's text, MariaDB's
#      DATETIME(6) and TIME(6) print six fraction digits, PostgreSQL drops trailing zeros
#      and prints a zone in UTC as +00, SQLite keeps SQL Server's own offset: a time with an
#      offset is put in UTC, then trailing fraction zeros and a +00 or +00:00 dropped;
#   other classes compare as printed.
canon_norm() {
	perl -CS -MTime::Local=timegm_modern -ne 'BEGIN { for (split " ", $ARGV[0]) { push @cl, (split /:/)[1] } @ARGV = () }
		# a double that rounds to the largest float (pack would make it infinite)
		sub flt { my $x = $_[0] + 0; return abs($x) > 3.4028234663852886e38 && abs($x) < 3.4028235677973366e38 ? ($x <=> 0) * 3.4028234663852886e38 : $x }
		sub utc { my ($s) = @_; return $s unless $s =~ /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d):(\d\d)$/;
			my @t = gmtime(timegm_modern($6, $5, $4, $3, $2 - 1, $1) - ($8 . 1) * ($9 * 3600 + $10 * 60));
			return sprintf "%04d-%02d-%02d %02d:%02d:%02d%s", $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0], $7 // "" }
		chomp; my @v = split /\|/, $_, -1;
		for my $k (0 .. $#v) { my $c = $cl[$k] // ""; next if $v[$k] eq "\\N";
			if ($c eq "f") { $v[$k] = sprintf "%.17g", $v[$k] }
			elsif ($c eq "r") { $v[$k] = sprintf "%.9g", unpack "f", pack "f", flt($v[$k]) }
			elsif ($c eq "n" && $v[$k] =~ /\./) { $v[$k] =~ s/0+$//; $v[$k] =~ s/\.$//; $v[$k] = "0" if $v[$k] eq "-0" }
			elsif ($c eq "c") { $v[$k] =~ s/ +$// }
			elsif ($c eq "t") { $v[$k] = utc($v[$k]); $v[$k] =~ s/\+00(:00)?$//; if ($v[$k] =~ /\.\d*$/) { $v[$k] =~ s/0+$//; $v[$k] =~ s/\.$// } } }
		print join("|", @v), "\n"' "$1"
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
		ty=$(myq -e "SELECT column_type FROM information_schema.columns WHERE table_schema = 'xp' AND table_name = '$1' AND column_name = '$c'")
		case $ty in
		*blob | *binary*) sel+=("coalesce(hex($c), '\\\\N')") ;;
		'bit(1)') sel+=("coalesce($c + 0, '\\\\N')") ;;
		bit*) sel+=("coalesce(lpad(hex($c), 2 * ceil(${ty//[^0-9]/} / 8), '0'), '\\\\N')") ;;
		float*) sel+=("coalesce(CAST($c AS DOUBLE), '\\\\N')") ;;
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
	bin bytea, flag boolean, d date, tm time(6), ts timestamp(6), tz timestamptz(6), u uuid,
	js json, jb jsonb);
INSERT INTO pgt VALUES
 (1, -32768, -2147483648, -9223372036854775808, -9999999999999999999999999999.9999999999,
  -3.4028235e38, -1.7976931348623157e308, 'emoji 😀👍🏽 𝄞', 'a"b''c|d', 'abc', '\x00ff00', false,
  '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00',
  '00000000-0000-0000-0000-000000000000',
  '{"a": [1, 2.5, "😀"]}', '{"k": null}'),
 (2, 32767, 2147483647, 9223372036854775807, 9999999999999999999999999999.9999999999,
  3.4028235e38, 1.7976931348623157e308, E'CR\rLF\nCRLF\r\nend', '', '', '\x', true,
  '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', '[]', '[]'),
 (3, 0, 0, 0, 0.0000000001, 1.4e-45, 5e-324, '', NULL, NULL, '\x000102', NULL,
  '2000-02-29', '12:34:56.000001', '1970-01-01 00:00:00.000001', '2026-11-24 23:59:59.5+05:30',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'null', '"x"'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL),
 (5, -1, -1, -1, -0.0000000001, 1.17549435e-38, 2.2250738585072014e-308,
  E'tab\t"q",''s''\\', 'x', 'a  ', '\x5c7830', false, '1970-01-01', '00:00:00.5',
  '2026-03-29 01:30:00', '1999-12-31 23:59:59.123456-08', '6f9619ff-8b86-d011-b42d-00c04fc964ff', '{"a":1}', '{"a":1}');
SQL
PGSPEC="id:i i16:i i32:i i64:i num:n f32:r f64:f txt:s vc:s ch:c bin:b flag:i d:t tm:t ts:t tz:t u:s js:s jb:s"
run xpdump --dsn "$PG_DSN" -t pgt -o "$T/pg.tar"
is "$rc:$err" "0:" "PostgreSQL: xpdump reads every type"
seal_open pg "$T/pg.tar"
want=$(canon_pg pgt "$PGSPEC")
pg_want=$want
psqlq -c "ALTER TABLE pgt RENAME TO pgt_src"
# into MariaDB: the largest reals (3.4028235e+38, just past FLT_MAX as a double) into its
# FLOAT, booleans (1, 0 and NULL) as integers into its BOOL, a timestamptz (in UTC) without
# its zone into DATETIME(6)
restore_all pg pgt "$PGSPEC" "$want"

# PostgreSQL's dates and timestamps past year 9999, before year 1 and infinite: psqlODBC's
# own conversion of them is wrong (1 BC as 0001-01-01, 10000-01-01 as 1000-00-00, infinity
# as 9999-12-31 23:59:59), so they are read as PostgreSQL prints them
psqlq <<'SQL'
CREATE TABLE pge (id integer PRIMARY KEY, d date, ts timestamp, tz timestamptz);
INSERT INTO pge VALUES (1, '0001-01-01 BC', '4713-01-01 00:00:00 BC', '0001-12-31 23:59:59.5+00 BC'),
 (2, '10000-01-01', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00'),
 (3, 'infinity', 'infinity', 'infinity'), (4, '-infinity', '-infinity', '-infinity'),
 (5, '2026-11-24', '2026-11-24 03:00:00.123456', '2026-11-24 03:00:00.123456+05');
SQL
PESPEC="id:i d:s ts:s tz:s"
run xpdump --dsn "$PG_DSN" -t pge -o "$T/pge.tar"
is "$rc:$err:$(tar xOf "$T/pge.tar" pge/000001.csv | tr '\n' ' ')" \
	"0::id,d,ts,tz 1,0001-01-01 BC,4713-01-01 00:00:00 BC,0001-12-31 23:59:59.5+00 BC 2,10000-01-01,294276-12-31 23:59:59.999999,294276-12-31 23:59:59.999999+00 3,infinity,infinity,infinity 4,-infinity,-infinity,-infinity 5,2026-11-24,2026-11-24 03:00:00.123456,2026-11-23 22:00:00.123456+00 " \
	"PostgreSQL: dates before year 1, past 9999 and infinite are dumped as PostgreSQL prints them"
seal_open pge "$T/pge.tar"
want=$(canon_pg pge "$PESPEC")
psqlq -c "ALTER TABLE pge RENAME TO pge_src"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/pge.open.tar"
is "$rc:$err:$(canon_pg pge "$PESPEC")" "0::$want" "pge to PostgreSQL: every one comes back"
run xprestore -q --dsn "$(sqlite_dsn "$T/pge.db")" --create -i "$T/pge.open.tar"
is "$rc:$err:$(canon_lite "$T/pge.db" pge "$PESPEC")" "0::$want" "pge to SQLite: kept as the text it was"
# MariaDB's DATE and DATETIME hold the years 1 to 9999 only
for c in d ts tz; do
	psqlq -c "CREATE TABLE pge_$c AS SELECT id, $c FROM pge_src WHERE id IN (5, $([ $c = d ] && echo 2 || echo 1)) ORDER BY id DESC"
	xpdump --dsn "$PG_DSN" -t "pge_$c" -o "$T/pge_$c.tar"
	run xprestore -q --dsn "$MY_DSN" --create -i "$T/pge_$c.tar"
	is "$rc:$err:$(myq -e "SHOW TABLES LIKE 'pge_$c'")" \
		"1:xprestore: pge_$c: row 2: column $c: $(psqlq -c "SET TIME ZONE 'UTC'; SELECT $c FROM pge_src WHERE id = $([ $c = d ] && echo 2 || echo 1)") does not fit the target's $([ $c = d ] && echo date || echo datetime):" \
		"pge to MariaDB: $c out of MariaDB's years is an error naming table, row and column, and no table is left"
done

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
lite_want=$(canon_lite "$T/src.db" lt "$LTSPEC")
restore_all lite lt "$LTSPEC" "$lite_want"

# --- MariaDB ---------------------------------------------------------------------------------
myq <<'SQL'
CREATE TABLE mt (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT,
	su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT,
	bu BIGINT UNSIGNED, num DECIMAL(65,30), fl FLOAT, db DOUBLE, txt LONGTEXT, vc VARCHAR(40),
	bin LONGBLOB, vb VARBINARY(8), bo BOOLEAN, b1 BIT(1), b8 BIT(8), d DATE, dt DATETIME(6),
	tm TIME(6), yr YEAR, uu UUID, js JSON);
INSERT INTO mt VALUES
 (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -99999999999999999999999999999999999.999999999999999999999999999999, -1.17549435e-38,
  -1.7976931348623157e308, 'emoji 😀👍🏽 𝄞', 'a"b''c|d', x'00ff00', x'00', 0, 0, b'00000000',
  '0001-01-01', '0001-01-01 00:00:00', '00:00:00', 1901, '00000000-0000-0000-0000-000000000000',
  '{"a": [1, 2.5, "😀"]}'),
 (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
  18446744073709551615, 99999999999999999999999999999999999.999999999999999999999999999999,
  1.17549435e-38, 1.7976931348623157e308, CONCAT('CR', CHAR(13), 'LF', CHAR(10), 'CRLF',
  CHAR(13), CHAR(10), 'end'), '', x'', x'', 1, 1, b'11111111', '9999-12-31',
  '9999-12-31 23:59:59.999999', '23:59:59.999999', 2155, 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '[]'),
 (3, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0.000000000000000000000000000001, 0.5,
  2.2250738585072014e-308, '', NULL, x'000102', x'0d0a', NULL, NULL, NULL, '2000-02-29',
  '1970-01-01 00:00:00.000001', '12:34:56.000001', 2000, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  'null'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SQL
MTSPEC="id:i ti:i tu:i si:i su:i mi:i mu:i i:i iu:i bi:i bu:i num:n fl:r db:f txt:s vc:s bin:b vb:b bo:i b1:i b8:b d:t dt:t tm:t yr:i uu:s js:s"
run xpdump --dsn "$MY_DSN" -t mt -o "$T/my.tar"
is "$rc:$err" "0:" "MariaDB: xpdump reads every type"
seal_open my "$T/my.tar"
want=$(canon_my mt "$MTSPEC")
myq -e "RENAME TABLE mt TO mt_src"
restore_all my mt "$MTSPEC" "$want"
# MariaDB's TIME is a duration to 838:59:59; --create makes PostgreSQL's time, a time of day
myq -e "CREATE TABLE mtime (id INT, tm TIME); INSERT INTO mtime VALUES (1, '23:59:59'), (2, '838:59:59')"
xpdump --dsn "$MY_DSN" -t mtime -o "$T/mtime.tar"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/mtime.tar"
is "$rc:$err:$(psqlq -c "SELECT count(*) FROM pg_tables WHERE tablename = 'mtime'")" \
	"1:xprestore: mtime: row 2: column tm: 838:59:59 does not fit the target's time:0" \
	"my to PostgreSQL: a TIME past a day is an error naming row and column, no table left"

# --- SQL Server as the source, through the TDS test server ----------------------------------
if command -v python3 >/dev/null && odbcinst -q -d -n FreeTDS >/dev/null 2>&1; then
	# mst as SQL Server holds it (a datetimeoffset at +02:00); mst_my the same with what
	# MariaDB can hold (offsets of UTC only)
	MSCOLS='[["id", "int"], ["bi", "bigint"], ["i", "int"], ["si", "smallint"], ["ti", "tinyint"],
		["f", "bit"], ["num", "decimal(38,10)"], ["m", "money"], ["fl", "float"], ["r", "real"],
		["v", "varchar(20)"], ["nv", "nvarchar(max)"], ["bin", "varbinary(max)"],
		["g", "uniqueidentifier"], ["d", "date"], ["tm", "time(7)"], ["dt", "datetime"],
		["dt2", "datetime2(7)"], ["dto", "datetimeoffset(7)"]]'
	MSROWS='[1, "-9223372036854775808", -2147483648, -32768, 0, 0, "-9999999999999999999999999999.9999999999",
		"-922337203685477.5808", "-1.7976931348623157e308", "-3.4028234663852886e38", "", "emoji 😀👍🏽 𝄞",
		"0x00ff00", "00000000-0000-0000-0000-000000000000", "0001-01-01", "00:00:00.0000000",
		"1753-01-01 00:00:00.000", "0001-01-01 00:00:00.0000000", "0001-01-01 00:00:00.0000000 +00:00"],
		[2, "9223372036854775807", 2147483647, 32767, 255, 1, "9999999999999999999999999999.9999999999",
		"922337203685477.5807", "1.7976931348623157e308", "3.4028234663852886e38", "café", "CR\rLF\nCRLF\r\nend",
		"0x", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "9999-12-31", "23:59:59.9999990",
		"9999-12-31 23:59:59.997", "9999-12-31 23:59:59.9999990", "9999-12-31 23:59:59.9999990 +00:00"],
		[3, "0", 0, 0, 1, null, "0.0000000001", "0.0001", "2.2250738585072014e-308", "1.17549435e-38",
		"a\"b'"'"'c|d", "", "0x000102", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "2000-02-29",
		"12:34:56.1234560", "2026-11-24 03:00:00.997", "2026-11-24 03:00:00.1234560",
		"2026-11-24 OFF"],
		[4, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
		null, null, null]'
	ms_rows() { echo "${MSROWS/OFF/$1}"; }
	cat >"$T/ms.json" <<JSON
{"database": "Log", "user": "xpbackup", "password": "pa;ssw0rd", "snapshot": true,
 "tables": {"mst": {"columns": $MSCOLS, "rows": [$(ms_rows '05:00:00.1234560 +02:00')]},
	"mst_my": {"columns": $MSCOLS, "rows": [$(ms_rows '03:00:00.1234560 +00:00')]},
	"ms7": {"columns": [["id", "int"], ["dt2", "datetime2(7)"]],
		"rows": [[1, "2026-11-24 03:00:00.1234560"], [2, "9999-12-31 23:59:59.9999999"]]}}}
JSON
	tds_serve "$T/ms.json" Log
fi
if [ -n "${PORT:-}" ]; then
	MSSPEC="id:i bi:i i:i si:i ti:i f:i num:n m:n fl:f r:r v:s nv:s bin:b g:s d:t tm:t dt:t dt2:t dto:t"
	# SQL Server's values in the canonical text (GUIDs as RFC 4122 writes them, in lower case)
	ms_want() {
		canon_norm "$MSSPEC" <<EOF
1|-9223372036854775808|-2147483648|-32768|0|0|-9999999999999999999999999999.9999999999|-922337203685477.5808|-1.7976931348623157e308|-3.4028234663852886e38||emoji 😀👍🏽 𝄞|00FF00|00000000-0000-0000-0000-000000000000|0001-01-01|00:00:00.0000000|1753-01-01 00:00:00.000|0001-01-01 00:00:00.0000000|0001-01-01 00:00:00.0000000+00:00
2|9223372036854775807|2147483647|32767|255|1|9999999999999999999999999999.9999999999|922337203685477.5807|1.7976931348623157e308|3.4028234663852886e38|café|CR\\rLF\\nCRLF\\r\\nend||ffffffff-ffff-ffff-ffff-ffffffffffff|9999-12-31|23:59:59.9999990|9999-12-31 23:59:59.997|9999-12-31 23:59:59.9999990|9999-12-31 23:59:59.9999990+00:00
3|0|0|0|1|\\N|0.0000000001|0.0001|2.2250738585072014e-308|1.17549435e-38|a"b'c\\pd||000102|6f9619ff-8b86-d011-b42d-00c04fc964ff|2000-02-29|12:34:56.1234560|2026-11-24 03:00:00.997|2026-11-24 03:00:00.1234560|2026-11-24 03:00:00.1234560+00:00
4|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N
EOF
	}
	run xpdump --dsn-file "$T/dsn" -t mst -o "$T/ms.tar"
	is "$rc:$err" "0:" "SQL Server: xpdump reads every type"
	seal_open ms "$T/ms.tar"
	# MariaDB's DATETIME has no zone: a datetimeoffset at another offset than UTC is refused
	# (it is not moved to UTC on the way)
	restore_all ms mst "$MSSPEC" "$(ms_want)" \
		"1:xprestore: mst: row 3: column dto: 2026-11-24 05:00:00.1234560+02:00 does not fit the target's datetime"
	# SQL Server's tinyint holds 0 to 255: --create makes MariaDB's tinyint unsigned
	xpdump --dsn-file "$T/dsn" -t mst_my -o "$T/msmy.tar"
	run xprestore -q --dsn "$MY_DSN" --create -i "$T/msmy.tar"
	is "$rc:$err:$(canon_my mst_my "$MSSPEC")" "0::$(ms_want)" "ms to MariaDB: what it can hold arrives, tinyint 0 and 255 too"
	is "$(myq -e "SELECT column_type FROM information_schema.columns WHERE table_schema = 'xp' AND table_name = 'mst_my' AND column_name = 'ti'")" \
		"tinyint(3) unsigned" "ms to MariaDB: SQL Server's tinyint becomes tinyint unsigned"
	# datetime2(7) holds 100 ns: PostgreSQL and MariaDB's DATETIME(6) would round the last
	# digit, 9999-12-31 23:59:59.9999999 into year 10000
	xpdump --dsn-file "$T/dsn" -t ms7 -o "$T/ms7.tar"
	run xprestore -q --dsn "$PG_DSN" --create -i "$T/ms7.tar"
	is "$rc:$err:$(psqlq -c "SELECT count(*) FROM pg_tables WHERE tablename = 'ms7'")" \
		"1:xprestore: ms7: row 2: column dt2: 9999-12-31 23:59:59.9999999 does not fit the target's timestamp without time zone:0" \
		"ms to PostgreSQL: a fraction finer than a microsecond is an error naming row and column, no table left"
	run xprestore -q --dsn "$MY_DSN" --create -i "$T/ms7.tar"
	is "$rc:$err:$(myq -e "SHOW TABLES LIKE 'ms7'")" \
		"1:xprestore: ms7: row 2: column dt2: 9999-12-31 23:59:59.9999999 does not fit the target's datetime:" \
		"ms to MariaDB: the same"
	run xprestore -q --dsn "$(sqlite_dsn "$T/ms7.db")" --create -i "$T/ms7.tar"
	is "$rc:$err:$(sqlite3 "$T/ms7.db" "SELECT group_concat(dt2, ',') FROM ms7")" \
		"0::2026-11-24 03:00:00.1234560,9999-12-31 23:59:59.9999999" "ms to SQLite: kept as the text it was"
else
	skip "SQL Server: no python3, FreeTDS ODBC driver, or TDS test server here"
fi

# --- SQL Server as the target, through the TDS test server ----------------------------------
# Each source's opened dump restored with --create into an empty database of the test server
# (which converts each value into its column's type as SQL Server does), dumped again from
# there and compared with the source's canonical text.
# canon_ms TABLE SPEC: the table dumped from the test server, in the canonical text
canon_ms() {
	xpdump -q --dsn-file "$T/dsn" -t "$1" -o "$T/back.tar" || return
	python3 - "$T/back.tar" "$1" <<'PY' | canon_norm "$2"
import sys, tarfile
tf = tarfile.open(sys.argv[1])
cols = [l.split("\t") for l in tf.extractfile("MANIFEST").read().decode().splitlines()
        if l.startswith("column\t")]
binary = [c[2] in ("-2", "-3", "-4") for c in cols]
text = "".join(tf.extractfile(m).read().decode() for m in tf.getmembers()
               if m.name.startswith(sys.argv[2] + "/"))
rows, row, i = [], [], 0
while i <= len(text):  # RFC 4180, NULL the unquoted empty field
    if text.startswith('"', i):
        j, v = i + 1, ""
        while True:
            k = text.index('"', j)
            v += text[j:k]
            if text.startswith('""', k):
                v, j = v + '"', k + 2
            else:
                i = k + 1
                break
    else:
        k = min([x for x in (text.find(",", i), text.find("\n", i)) if x >= 0] or [len(text)])
        v, i = (text[i:k] or None), k
    row.append(v)
    if i >= len(text) or text[i] == "\n":
        rows.append(row)
        row = []
    i += 1
esc = lambda v: v.replace("\\", "\\\\").replace("|", "\\p").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
out = []
for r in rows[1:]:
    if r == [None]:
        continue
    out.append((int(r[0]), "|".join("\\N" if v is None else v[2:].upper() if b else esc(v)
                                    for v, b in zip(r, binary))))
print("\n".join(v for _, v in sorted(out)))
PY
}
if command -v python3 >/dev/null && odbcinst -q -d -n FreeTDS >/dev/null 2>&1; then
	echo '{"database": "Restore", "user": "xpbackup", "password": "pa;ssw0rd", "tables": {}}' >"$T/empty.json"
	tds_serve "$T/empty.json" Restore
fi
if [ -n "${PORT:-}" ]; then
	# restore_ms NAME TABLE SPEC WANT: NAME's opened dump into SQL Server, back equal to WANT
	restore_ms() {
		run xprestore -q --dsn-file "$T/dsn" --create -i "$T/$1.open.tar"
		is "$rc:$err" "0:" "$1 to SQL Server: --create exits 0"
		is "$(canon_ms "$2" "$3")" "$4" "$1 to SQL Server: every value arrives, and is dumped back the same"
	}
	restore_ms pg pgt "$PGSPEC" "$pg_want"
	restore_ms lite lt "$LTSPEC" "$lite_want"
	restore_ms ms mst "$MSSPEC" "$(ms_want)"
	is "$(tar xOf "$T/back.tar" mst/000001.csv | grep -o ',[0-9-]* [0-9:.]*[+-][0-9:]*$' | tr -d '\n')" \
		",0001-01-01 00:00:00.0000000+00:00,9999-12-31 23:59:59.9999990+00:00,2026-11-24 05:00:00.1234560+02:00" \
		"ms to SQL Server: a datetimeoffset keeps its own offset"
	# MariaDB's DECIMAL(65,30) becomes decimal(38,30): what it cannot hold is refused
	run xprestore -q --dsn-file "$T/dsn" --create -i "$T/my.open.tar"
	is "$rc:$err" "1:xprestore: mt: row 1: column num: -99999999999999999999999999999999999.999 does not fit the target's decimal" \
		"my to SQL Server: a decimal of 35 digits before the point is an error naming row and column"
	run xpdump -q --dsn-file "$T/dsn" -t mt
	like "$rc:$err" "1:xpdump: table mt: *Invalid object name 'mt'." "and the table it created is rolled back"
	myq -e "CREATE TABLE mt_ms AS SELECT * FROM mt_src; ALTER TABLE mt_ms DROP COLUMN num"
	xpdump --dsn "$MY_DSN" -t mt_ms -o "$T/mtms.tar"
	seal_open mtms "$T/mtms.tar"
	restore_ms mtms mt_ms "${MTSPEC/ num:n/}" "$(canon_my mt_ms "${MTSPEC/ num:n/}")"
	# a character of 4 bytes in UTF-8 takes two UTF-16 units of SQL Server's nvarchar(n)
	psqlq -c "CREATE TABLE pgw (id int, vc varchar(3)); INSERT INTO pgw VALUES (1, '😀😀😀')"
	xpdump --dsn "$PG_DSN" -t pgw -o "$T/pgw.tar"
	run xprestore -q --dsn-file "$T/dsn" --create -i "$T/pgw.tar"
	is "$rc:$err:$(canon_ms pgw "id:i vc:s")" "0::1|😀😀😀" "pg to SQL Server: varchar(3) of emoji fits the nvarchar(6) it becomes"
	# what SQL Server cannot hold: PostgreSQL's dates past 9999, NaN, a time past a day
	psqlq -c "CREATE TABLE pgx (id int, d date, f float8); INSERT INTO pgx VALUES (1, '2026-01-01', 1), (2, '10000-01-01', 1)"
	psqlq -c "CREATE TABLE pgn (id int, f float8); INSERT INTO pgn VALUES (1, 1), (2, 'NaN')"
	myq -e "CREATE TABLE myt (id INT, tm TIME); INSERT INTO myt VALUES (1, '24:00:00'), (2, '25:00:00')"
	xpdump --dsn "$PG_DSN" -t pgx -o "$T/pgx.tar"
	xpdump --dsn "$PG_DSN" -t pgn -o "$T/pgn.tar"
	xpdump --dsn "$MY_DSN" -t myt -o "$T/myt.tar"
	for c in "pgx:row 2: column d: 10000-01-01 does not fit the target's date" \
		"pgn:row 2: column f: NaN does not fit the target's float" \
		"myt:row 2: column tm: 25:00:00 does not fit the target's time"; do
		run xprestore -q --dsn-file "$T/dsn" --create -i "$T/${c%%:*}.tar"
		is "$rc:$err" "1:xprestore: ${c%%:*}: ${c#*:}" "to SQL Server: ${c#*: column }"
	done
	is "$(grep -c '^tm: rollback' "$T/log")" 4 "each of the 4 failed loads rolled back its transaction"
else
	skip "SQL Server as a target: no python3, FreeTDS ODBC driver, or TDS test server here"
fi

done_testing
