#!/bin/bash
# The night's pipeline on a real PostgreSQL 15 and a real MariaDB, the Windows build's too:
# xpdump | xpseal --require-dump, then xpseal open | xprestore --create into another
# database of the same server, every value class and an audit log compared exactly. Under
# wine (make check-wine, XP_EXE_WRAP) the .exe tools call Wine's odbc32, which forwards each
# call to this host's unixODBC and its psqlODBC and MariaDB Connector/ODBC drivers: this
# proves our ODBC calls (row arrays with SQLFetchScroll, long values in SQLGetData pieces,
# parameter arrays, diagnostics, the paged reader's second statement in a Windows thread)
# and the .exe's pipes across that bridge, not Microsoft's odbc32.dll nor its Driver Manager,
# nor SQL Server's driver.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
run xpseal init -r "$R" --password-file "$T/pw"
[ "$rc" -eq 0 ] || { echo "Bail out! xpseal init failed: $err"; exit 1; }

# roundtrip DSN BACKDSN TABLE...: dumps the tables through DSN into a sealed backup (its id in
# $id) and restores it with --create through BACKDSN, both as pipelines; $rc1 and $rc2 the
# statuses of the two ends of each.
roundtrip() {
	local dsn=$1 back=$2 tabs=()
	shift 2
	for t in "$@"; do tabs+=(-t "$t"); done
	xpdump --dsn "$dsn" "${tabs[@]}" -q 2>"$T/dump.err" |
		xpseal -r "$R" --require-dump >"$T/id" 2>"$T/seal.err"
	rc1="${PIPESTATUS[*]}"
	id=$(tr -d '\r' <"$T/id")
	rc1="${rc1/ /:}:$(tr -d '\r' <"$T/dump.err")$(tr -d '\r' <"$T/seal.err")"
	xpseal open -r "$R" --password-file "$T/pw" "$id" 2>"$T/open.err" |
		xprestore -q --dsn "$back" --create 2>"$T/restore.err"
	rc2="${PIPESTATUS[*]}"
	rc2="${rc2/ /:}:$(tr -d '\r' <"$T/open.err")$(tr -d '\r' <"$T/restore.err")"
}

if pg_start; then
	vals_pg
	# long values past the 1 KiB the fetch binds: read with SQLGetData in pieces
	psqlq -c "CREATE TABLE big (id integer PRIMARY KEY, b bytea, t text);
		INSERT INTO big SELECT n, decode(repeat(lpad(to_hex(n), 2, '0'), 3000000), 'hex'),
		repeat('ü€😀' || n, 500000) FROM generate_series(1, 3) n;
		CREATE TABLE audit_log (id bigint PRIMARY KEY, utc_time timestamptz NOT NULL,
		user_name varchar(64), client_address varchar(45), source varchar(128),
		category varchar(32) NOT NULL, action varchar(64) NOT NULL, message varchar(512),
		result varchar(16) NOT NULL, object_guid uuid);
		INSERT INTO audit_log SELECT n, timestamptz '2026-11-01 00:00:00+00' + n * interval '1.001 s',
		CASE WHEN n % 50 = 0 THEN NULL ELSE 'CORP\\operator' || n % 7 END, '10.0.' || n % 256 || '.' || n % 199,
		'Camera ' || n % 31, 'Playback', 'Export', 'Exported \"clip\", ' || n || E' frames\\nrequested', 'Success',
		md5(n::text)::uuid FROM generate_series(1, 30000) n"
	psqlq -c "CREATE DATABASE back"
	BACK_DSN=${PG_DSN/Database=postgres/Database=back}
	roundtrip "$PG_DSN" "$BACK_DSN" vals big audit_log
	like "$rc1:$id" "0:0::[0-9a-f][0-9a-f]*" \
		"PostgreSQL: xpdump | xpseal --require-dump seals the dump through psqlODBC"
	is "$rc2" "0:0:" "xpseal open | xprestore --create loads it into another database"
	is "$(PGDATABASE=back copy_pg vals)" "$(copy_pg vals)" \
		"PostgreSQL: every value comes back exactly (int64 edges, numeric(38,10), floats, zones, uuid, bytea, boolean, NULLs, unicode, 1 MB text)"
	for t in big audit_log; do
		is "$(PGDATABASE=back copy_pg $t | cksum)" "$(copy_pg $t | cksum)" \
			"PostgreSQL: every value of $t comes back exactly"
	done
	is "$(PGDATABASE=back psqlq -c "SELECT sum(length(b)), sum(length(t)) FROM big")" "9000000|6000000" \
		"PostgreSQL: three 3 MB bytea and 3 MB text values arrive whole"
	# a row the target refuses: its diagnostics come back through the driver manager
	PGDATABASE=back psqlq -c "TRUNCATE vals; ALTER TABLE vals ADD UNIQUE (i32); INSERT INTO vals (id, i32) VALUES (100, 42)"
	xpseal open -r "$R" --password-file "$T/pw" "$id" -o "$T/pg.tar" 2>/dev/null
	run xprestore -q --dsn "$BACK_DSN" -i "$T/pg.tar"
	like "$rc:$err" "1:xprestore: vals: row*: *duplicate key*" \
		"PostgreSQL: a duplicate key fails the restore (status 1), the server's message given"
	is "$(PGDATABASE=back count_pg vals)" 1 "and nothing of the table stays"
	run xpdump --dsn "${PG_DSN/Port=$PGPORT/Port=1}" -t vals -o "$T/none.tar"
	like "$rc:$err" "1:xpdump: *" "PostgreSQL: a server that is not there: status 1, said"
else
	skip "PostgreSQL: no server binaries (postgresql-15)"
fi

if my_start; then
	myq <<'SQL'
SET time_zone = '+00:00';
CREATE TABLE vals (
	id INT PRIMARY KEY, i64 BIGINT, i32 INT NOT NULL, u BIGINT UNSIGNED, num DECIMAL(38,10),
	f64 DOUBLE, f32 FLOAT, txt LONGTEXT, vc VARCHAR(20), d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL,
	b LONGBLOB, flag BOOLEAN
) CHARACTER SET utf8mb4;
INSERT INTO vals VALUES
 (1, 9223372036854775807, 2147483647, 18446744073709551615, 9999999999999999999999999999.9999999999,
  0.1, 0.1, '日本語のテキスト', 'short', '2026-11-24', '2026-11-24 03:00:00', '2026-11-24 03:00:00',
  X'00', 1),
 (2, -9223372036854775808, -2147483648, 0, -9999999999999999999999999999.9999999999,
  -2.2250738585072014e-308, 3.40282e38, 'emoji 😀👍🏽 and RTL שלום עולם مرحبا', '',
  '1000-01-01', '1999-12-31 23:59:59.123456', '1999-12-31 23:59:59.123456', X'00FF00', 0),
 (3, 0, 0, 1, 0.0000000001, 1.5e300, 1.17549435e-38, '', NULL, '9999-12-31',
  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', X'', NULL),
 (4, NULL, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 1, 1, 2, 0.25, 3.14159265358979, -2.5, 'comma, "quotes" and ''single''\r\nCRLF', 'x',
  '2026-02-28', '1000-01-01 00:00:00', '1970-01-01 00:00:01', X'5C7830303030', 1),
 (6, 6, 6, 6, 6, 6, 6, REPEAT('aé€😀', 262144), NULL, NULL, NULL, NULL,
  REPEAT(X'00FF0D0A', 500000), NULL);
CREATE TABLE audit_log (id BIGINT PRIMARY KEY, `utc_time` DATETIME(3) NOT NULL,
	user_name VARCHAR(64), client_address VARCHAR(45), source VARCHAR(128),
	category VARCHAR(32) NOT NULL, action VARCHAR(64) NOT NULL, message VARCHAR(512),
	result VARCHAR(16) NOT NULL, object_guid CHAR(36), KEY (`utc_time`)) CHARACTER SET utf8mb4
	SELECT 9007199254740993 + seq AS id, '2026-11-01' + INTERVAL seq * 1001000 MICROSECOND AS `utc_time`,
	IF(seq % 50 = 0, NULL, CONCAT('CORP\\operator', seq % 7)) AS user_name,
	CONCAT('10.0.', seq % 256, '.', seq % 199) AS client_address, CONCAT('Camera ', seq % 31) AS source,
	'Playback' AS category, 'Export' AS action, CONCAT('Exported "clip", ', seq, ' frames\nrequested') AS message,
	'Success' AS result, UUID() AS object_guid FROM seq_1_to_60000;
CREATE DATABASE back;
SQL
	# cmp_my TABLE COLUMNS: rows, and rows of xp.TABLE and back.TABLE that differ in any
	# column (NULL-safe, exact, in UTC)
	cmp_my() {
		local c on=""
		for c in $2; do on+=" AND a.\`$c\` <=> b.\`$c\`"; done
		myq -e "SET time_zone = '+00:00'; SELECT count(*), sum(NOT (1 $on)) FROM xp.$1 a JOIN back.$1 b USING (id)"
	}
	myq -e "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1"
	roundtrip "$MY_DSN" "${MY_DSN/Database=xp/Database=back}" vals audit_log
	like "$rc1:$id" "0:0::[0-9a-f][0-9a-f]*" \
		"MariaDB: xpdump | xpseal --require-dump seals the dump through Connector/ODBC"
	is "$rc2" "0:0:" "xpseal open | xprestore --create loads it into another database"
	is "$(cmp_my vals "i64 i32 u num f64 f32 txt vc d dt ts b flag")" "6	0" \
		"MariaDB: every value comes back exactly (int64 and unsigned edges, decimals, floats, times, unicode, 1 MB text, 2 MB blob, NULLs)"
	is "$(cmp_my audit_log "utc_time user_name client_address source category action message result object_guid")" \
		"60000	0" "MariaDB: the audit log's 60,000 rows come back exactly"
	# the driver (3.1.15) holds whole results: the audit log is read in pages of 25,000 rows
	is "$(myq -e "SELECT argument FROM mysql.general_log WHERE command_type = 'Execute'
		AND argument LIKE 'SELECT \`id\`%FROM \`audit_log\`%'" | sed 's/> [0-9]*/> N/')" \
		"SELECT \`id\`,\`utc_time\`,\`user_name\`,\`client_address\`,\`source\`,\`category\`,\`action\`,\`message\`,\`result\`,\`object_guid\` FROM \`audit_log\` ORDER BY \`id\` LIMIT 25000
SELECT \`id\`,\`utc_time\`,\`user_name\`,\`client_address\`,\`source\`,\`category\`,\`action\`,\`message\`,\`result\`,\`object_guid\` FROM \`audit_log\` WHERE \`id\` > N ORDER BY \`id\` LIMIT 25000
SELECT \`id\`,\`utc_time\`,\`user_name\`,\`client_address\`,\`source\`,\`category\`,\`action\`,\`message\`,\`result\`,\`object_guid\` FROM \`audit_log\` WHERE \`id\` > N ORDER BY \`id\` LIMIT 25000" \
		"MariaDB: the audit log is read in three pages, each after the last one's key"
	# read ahead: the second page's query runs (in a second thread, on a second statement)
	# while the first page is written, 1 KiB chunks a reader has stopped taking
	myq -e "TRUNCATE mysql.general_log"
	xpdump --dsn "$MY_DSN" -t audit_log --chunk-size 1024 | {
		head -c 100000 >/dev/null
		for _ in $(seq 100); do
			n=$(myq -e "SELECT count(*) FROM mysql.general_log WHERE command_type = 'Execute' AND argument LIKE 'SELECT \`id\`%'")
			[ "$n" -ge 2 ] && break
			sleep 0.1
		done
		echo "$n" >"$T/ahead"
		cat >/dev/null
	}
	myq -e "SET GLOBAL general_log = 0"
	is "$(cat "$T/ahead")" 2 "MariaDB: the second page is asked for while the first one is written, the third not yet"
	run xpdump --dsn "${MY_DSN/Socket=$MY_SOCK/Socket=$T/nowhere}" -t vals -o "$T/none.tar"
	like "$rc:$err" "1:xpdump: *" "MariaDB: a server that is not there: status 1, said"
else
	skip "MariaDB: no server (mariadb-server)"
fi

done_testing
