#!/bin/bash
# MariaDB's own types through xpdump and xprestore: TIME (a duration to ±838:59:59, with a
# fraction), unsigned integers, TINYINT, MEDIUMINT, YEAR, BOOLEAN, UUID, ENUM, JSON, BIT(1) and
# BIT(n); back into MariaDB with --create (same types, same values), into PostgreSQL and SQLite
# (wider types where they have no such type; a value a target cannot hold is an error naming
# table, row and column); a failed --create on MariaDB leaves no table behind; the snapshot
# and the driver's streaming options.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"
my_start || skip_all "no MariaDB server (mariadb-server) installed"
pg_start || skip_all "no PostgreSQL server binaries"

myq <<'SQL'
CREATE TABLE t (
	id INT PRIMARY KEY, tm TIME, tm6 TIME(6), u BIGINT UNSIGNED, ti TINYINT, tu TINYINT UNSIGNED,
	yr YEAR, bo BOOLEAN, uu UUID, en ENUM('a', 'bb'), js JSON, b1 BIT(1), b8 BIT(8),
	iu INT UNSIGNED, su SMALLINT UNSIGNED, mi MEDIUMINT
);
INSERT INTO t VALUES
 (1, '12:34:56', '-838:59:59.999999', 18446744073709551615, -128, 255, 2155, 1,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'bb', '{"a": [1, 2]}', 1, b'10100101', 4294967295,
  65535, -8388608),
 (2, '838:59:59', '01:02:03.5', 0, 127, 0, 1901, 0, NULL, 'a', '[]', 0, 0, 0, 0, 8388607),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE ok LIKE t;
INSERT INTO ok SELECT * FROM t WHERE id <> 2;
UPDATE ok SET tm = '23:59:59', tm6 = '00:00:00.000001' WHERE id = 1;
SQL
cols="tm tm6 u ti tu yr bo uu en js b1 b8 iu su mi"
# cmp_my A B: rows, and rows of A and B that differ in any column (NULL-safe, exact)
cmp_my() {
	local c on=""
	for c in $cols; do on+=" AND a.$c <=> b.$c"; done
	myq -e "SELECT count(*), sum(NOT (1 $on)) FROM $1 a JOIN $2 b USING (id)"
}
my_types() {
	myq -e "SELECT group_concat(column_name, ' ', column_type ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'xp' AND table_name = '$1'"
}

run xpdump --dsn "$MY_DSN" -t t -t ok -o "$T/t.tar"
is "$rc:$err" "0:" "xpdump reads MariaDB's own types"
is "$(tar xOf "$T/t.tar" MANIFEST | awk -F '\t' '$1 == "column" && $2 ~ /^(u|tu|yr|iu|su|mi|b1|b8|tm6)$/ { print $2, $5, $6, $7 }' | sort -u | tr '\n' ,)" \
	"b1 bit 1 0,b8 bit 8 0,iu integer unsigned 10 0,mi mediumint 10 0,su smallint unsigned 5 0,tm6 time 15 6,tu tinyint unsigned 3 0,u bigint unsigned 19 0,yr year unsigned 5 0," \
	"MANIFEST says which integers are unsigned"
is "$(tar xOf "$T/t.tar" t/000001.csv)" 'id,tm,tm6,u,ti,tu,yr,bo,uu,en,js,b1,b8,iu,su,mi
1,12:34:56,-838:59:59.999999,18446744073709551615,-128,255,2155,1,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,bb,"{""a"": [1, 2]}",1,\xa5,4294967295,65535,-8388608
2,838:59:59,01:02:03.500000,0,127,0,1901,0,,a,[],0,\x00,0,0,8388607
3,,,,,,,,,,,,,,,' "every value is in the CSV exactly (BIT(1) as 1 and 0, not as a byte)"
is "$(tar xOf "$T/t.tar" MANIFEST | awk -F '\t' '$1 == "isolation" { print $2 }')" "consistent-snapshot" \
	"the snapshot is started WITH CONSISTENT SNAPSHOT, and MANIFEST says so"

# MariaDB to MariaDB with --create: the same types, every value back
myq -e "RENAME TABLE t TO t0, ok TO ok0"
run xprestore -q --dsn "$MY_DSN" --create -i "$T/t.tar"
is "$rc:$err:$(cmp_my t0 t):$(cmp_my ok0 ok)" "0::3	0:2	0" "MariaDB to MariaDB with --create: every value comes back exactly"
is "$(my_types t)" "id int(11),tm time,tm6 time(6),u bigint(20) unsigned,ti tinyint(4),tu tinyint(3) unsigned,yr year(4),bo tinyint(4),uu char(36),en char(2),js longtext,b1 bit(1),b8 bit(8),iu int(10) unsigned,su smallint(5) unsigned,mi mediumint(9)" \
	"--create keeps MariaDB's types: TIME(6), unsigned, TINYINT, YEAR, BIT(n), char(36) for UUID and ENUM"
# into existing tables of the original types
myq -e "DELETE FROM t; DELETE FROM ok; DROP TABLE t, ok; CREATE TABLE t LIKE t0; CREATE TABLE ok LIKE ok0"
run xprestore -q --dsn "$MY_DSN" -i "$T/t.tar"
is "$rc:$err:$(cmp_my t0 t):$(cmp_my ok0 ok)" "0::3	0:2	0" "MariaDB to MariaDB into its own tables: every value comes back exactly"

# a failed --create drops the tables it made: DDL commits on MariaDB
myq -e "DROP TABLE t, ok; CREATE TABLE ok (id INT)"
run xprestore -q --dsn "$MY_DSN" --create -i "$T/t.tar"
like "$rc:$err" "1:xprestore: ok: \[42S01\]*Table 'ok' already exists" "--create fails on a table that exists"
is "$(myq -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'xp' AND table_name = 't'")" 0 \
	"and the table it had created before is dropped again"
myq -e "DROP TABLE ok"
run xprestore -q --dsn "$MY_DSN" --create -i "$T/t.tar"
is "$rc:$err:$(cmp_my t0 t)" "0::3	0" "so the same --create runs again once the cause is gone"
myq -e "DROP TABLE t, ok"

# a value the target's column cannot hold: an error naming table, row and column
myq -e "CREATE TABLE t LIKE t0; ALTER TABLE t MODIFY u BIGINT; CREATE TABLE ok LIKE ok0"
run xprestore -q --dsn "$MY_DSN" -i "$T/t.tar"
is "$rc:$err:$(myq -e "SELECT count(*) FROM t")" \
	"1:xprestore: t: row 1: column u: 18446744073709551615 does not fit the target's bigint:0" \
	"BIGINT UNSIGNED into MariaDB's BIGINT: row 1, column u, nothing loaded"
# PostgreSQL's interval holds MariaDB's TIME: there it is text the driver leaves alone
psqlq -c "CREATE TABLE t (id integer, tm interval, tm6 interval, u bigint, ti smallint, tu smallint, yr smallint,
	bo smallint, uu uuid, en text, js text, b1 boolean, b8 bytea, iu bigint, su integer, mi integer)"
run xprestore -q --dsn "$PG_DSN" -i "$T/t.tar"
is "$rc:$err:$(count_pg t)" "1:xprestore: t: row 1: column u: 18446744073709551615 does not fit the target's int8:0" \
	"and into PostgreSQL's bigint: the same row and column"
psqlq -c "ALTER TABLE t ALTER u TYPE numeric(20), ALTER tm TYPE time"
run xprestore -q --dsn "$PG_DSN" -i "$T/t.tar"
is "$rc:$err:$(count_pg t)" "1:xprestore: t: row 2: column tm: 838:59:59 does not fit the target's time:0" \
	"TIME 838:59:59 into PostgreSQL's time is an error, not 00:00:00"
psqlq -c "ALTER TABLE t ALTER tm TYPE interval; CREATE TABLE ok (LIKE t)"
run xprestore -q --dsn "$PG_DSN" -i "$T/t.tar"
is "$rc:$err:$(count_pg t):$(psqlq -c "SELECT tm6 FROM t WHERE id = 1"):$(psqlq -c "SELECT tm FROM t WHERE id = 2")" \
	"0::3:-838:59:59.999999:838:59:59" "into PostgreSQL's interval every TIME arrives"
psqlq -c "DROP TABLE t, ok"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/t.tar"
is "$rc:$err" "1:xprestore: t: row 1: column tm6: -838:59:59.999999 does not fit the target's time" \
	"--create into PostgreSQL makes time columns: a TIME outside a day is an error there"
is "$(psqlq -c "SELECT count(*) FROM pg_tables WHERE tablename IN ('t', 'ok')")" 0 \
	"and PostgreSQL takes the tables back with the rest"

# the table whose times fit: to PostgreSQL and SQLite with --create
myq -e "INSERT INTO ok SELECT * FROM ok0"
run xpdump --dsn "$MY_DSN" -t ok -o "$T/ok.tar"
is "$rc:$err" "0:" "xpdump reads the table whose times fit a day"
run xprestore -q --dsn "$PG_DSN" --create -i "$T/ok.tar"
is "$rc:$err" "0:" "MariaDB to PostgreSQL with --create exits 0"
is "$(types_pg ok | tr '\n' ,)" "id integer,tm time without time zone,tm6 time without time zone,u numeric(20,0),ti smallint,tu smallint,yr smallint,bo smallint,uu text,en text,js text,b1 boolean,b8 bytea,iu bigint,su integer,mi integer," \
	"PostgreSQL gets the next wider type where it has no such type (numeric(20) for BIGINT UNSIGNED)"
is "$(copy_pg ok)" '1,23:59:59,00:00:00.000001,18446744073709551615,-128,255,2155,1,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,bb,"{""a"": [1, 2]}",t,\xa5,4294967295,65535,-8388608
3,,,,,,,,,,,,,,,' "every value arrives in PostgreSQL exactly"
run xprestore -q --dsn "$(sqlite_dsn "$T/ok.db")" --create -i "$T/ok.tar"
is "$rc:$err" "0:" "MariaDB to SQLite with --create exits 0"
is "$(sqlite3 "$T/ok.db" "SELECT id, tm, tm6, typeof(u), u, ti, tu, iu, b1, hex(b8) FROM ok ORDER BY id")" \
	"1|23:59:59|00:00:00.000001|text|18446744073709551615|-128|255|4294967295|1|A5
3|||null||||||" "SQLite keeps BIGINT UNSIGNED as text, every digit"

# the driver's streaming options, seen in unixODBC's trace of the connection string
mkdir "$T/odbc"
{ cat /etc/odbcinst.ini; printf '[ODBC]\nTrace=Yes\nTraceFile=%s\n' "$T/odbc/trace"; } >"$T/odbc/odbcinst.ini"
# (3.1.17 and later obey them; before, each page is held whole anyway, and xpdump reads the
# next page ahead with a cursor that scrolls, which FORWARDONLY=1 would forbid)
ver=$(dpkg-query -W -f '${Version}' odbc-mariadb 2>/dev/null)
ODBCSYSINI=$T/odbc run xpdump --dsn "$MY_DSN" -t ok -o /dev/null
if [ -z "$ver" ]; then
	skip "the version of MariaDB Connector/ODBC is unknown (no odbc-mariadb package)"
elif dpkg --compare-versions "$ver" lt 3.1.17; then
	is "$rc:$(grep -c 'FORWARDONLY=1' "$T/odbc/trace")" "0:0" \
		"xpdump leaves Connector/ODBC $ver its scrolling cursors (it reads in pages)"
else
	is "$rc:$(grep -c 'NO_CACHE=1;FORWARDONLY=1' "$T/odbc/trace")" "0:1" \
		"xpdump asks MariaDB Connector/ODBC not to cache forward-only results"
fi
rm "$T/odbc/trace"
ODBCSYSINI=$T/odbc run xpdump --dsn "$MY_DSN;NO_CACHE=0" -t ok -o /dev/null
is "$rc:$(grep -c 'FORWARDONLY=1' "$T/odbc/trace")" "0:0" "unless the connection string decides"

done_testing
