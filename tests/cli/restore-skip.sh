#!/bin/bash
# Two message tables as the video-management system's Log Server keeps them, where a table swap
# leaves a copy of some rows in both: one backup restores each table as it was (the copy in
# both); xprestore --skip-existing KEY loads into tables that already hold some of the rows
# (a later backup over an earlier one, or a database that has logged since) without doubling
# them, on SQLite, PostgreSQL and MariaDB.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
odbcinst -q -d -n SQLite3 >/dev/null 2>&1 || skip_all "the SQLite3 ODBC driver is not registered"

src=$T/log.db
sqlite3 "$src" <<'SQL' || exit 1
CREATE TABLE MessageInstance_Active(Id TEXT PRIMARY KEY, UtcTime TIMESTAMP NOT NULL, Message TEXT);
CREATE TABLE MessageInstance_Inactive(Id TEXT PRIMARY KEY, UtcTime TIMESTAMP NOT NULL, Message TEXT);
INSERT INTO MessageInstance_Inactive VALUES ('a1', '2026-11-20 10:00:00', 'login'),
	('a2', '2026-11-21 11:00:00', 'export, "evidence"'), ('a3', '2026-11-22 12:00:00', 'logout');
-- a swap has copied a2 and a3 into the active table; a4 is new
INSERT INTO MessageInstance_Active VALUES ('a2', '2026-11-21 11:00:00', 'export, "evidence"'),
	('a3', '2026-11-22 12:00:00', 'logout'), ('a4', '2026-11-23 13:00:00', 'playback');
SQL
dump() { xpdump --dsn "$(sqlite_dsn "$src")" -t MessageInstance_Active:UtcTime -t MessageInstance_Inactive:UtcTime -o "$1"; }
dump "$T/one.tar" || exit 1
# content DB: both tables' rows, "table|id|time|message", sorted
content() {
	sqlite3 "$1" "SELECT 'A', * FROM MessageInstance_Active UNION ALL SELECT 'I', * FROM MessageInstance_Inactive ORDER BY 1, 2"
}

sqlite3 "$T/r1.db" "$(sqlite3 "$src" .schema)"
run xprestore --dsn "$(sqlite_dsn "$T/r1.db")" -i "$T/one.tar"
is "$rc:$err" "0:xprestore: 6 rows loaded into 2 tables" "one backup restores both tables"
is "$(content "$T/r1.db")" "$(content "$src")" "each table as it was, the rows a swap copied in both"

# the database has logged since (a5), and a later backup holds the rows again
sqlite3 "$src" "INSERT INTO MessageInstance_Active VALUES ('a5', '2026-11-24 14:00:00', 'live view');
	DELETE FROM MessageInstance_Inactive WHERE Id = 'a1'"
dump "$T/two.tar" || exit 1
before=$(content "$T/r1.db")
run xprestore --dsn "$(sqlite_dsn "$T/r1.db")" -i "$T/two.tar"
like "$rc:$err" "1:xprestore: MessageInstance_Active: row *UNIQUE constraint failed*" \
	"without --skip-existing the rows already there stop the load"
is "$(content "$T/r1.db")" "$before" "and nothing changes"
run xprestore --dsn "$(sqlite_dsn "$T/r1.db")" --skip-existing Id -i "$T/two.tar"
is "$rc:$err" "0:xprestore: 1 rows loaded into 2 tables, 5 skipped (Id already there)" \
	"--skip-existing Id loads only the row not there yet and counts the rest"
is "$(content "$T/r1.db")" "A|a2|2026-11-21 11:00:00|export, \"evidence\"
A|a3|2026-11-22 12:00:00|logout
A|a4|2026-11-23 13:00:00|playback
A|a5|2026-11-24 14:00:00|live view
I|a1|2026-11-20 10:00:00|login
I|a2|2026-11-21 11:00:00|export, \"evidence\"
I|a3|2026-11-22 12:00:00|logout" "every message once per table; a1, gone from the source since, stays"

# without a key index, and with a NULL key and a key twice in the stream
sqlite3 "$T/nokey.db" "CREATE TABLE ev(Id TEXT, at TEXT); INSERT INTO ev VALUES ('k1', 'x'), (NULL, 'n'), ('k2', 'y'), ('k2', 'z'), (NULL, 'm')"
xpdump --dsn "$(sqlite_dsn "$T/nokey.db")" -t ev -o "$T/ev.tar" || exit 1
sqlite3 "$T/nokey-r.db" "CREATE TABLE ev(Id TEXT, at TEXT); INSERT INTO ev VALUES ('k1', 'old')"
run xprestore --dsn "$(sqlite_dsn "$T/nokey-r.db")" --skip-existing Id -q -i "$T/ev.tar"
is "$rc:$(sqlite3 "$T/nokey-r.db" "SELECT ifnull(Id, '-') || at FROM ev ORDER BY rowid" | paste -sd' ')" \
	"0:k1old -n k2y -m" "a NULL key never matches; a key twice in the stream goes in once"
run xprestore --dsn "$(sqlite_dsn "$T/nokey-r.db")" --skip-existing nosuch -i "$T/ev.tar"
is "$rc:$err" "1:xprestore: ev: no column nosuch to skip existing rows by" "a key the stream's table lacks exits 1"
run xprestore --dsn "$(sqlite_dsn "$T/nokey-r.db")" --skip-existing
is "$rc" 2 "--skip-existing without a column is a usage error"

# PostgreSQL: typed parameters in INSERT ... SELECT
if pg_start; then
	psql -q -c "CREATE TABLE \"MessageInstance_Active\"(\"Id\" text PRIMARY KEY, \"UtcTime\" timestamp NOT NULL, \"Message\" text);
		CREATE TABLE \"MessageInstance_Inactive\"(\"Id\" text PRIMARY KEY, \"UtcTime\" timestamp NOT NULL, \"Message\" text);
		INSERT INTO \"MessageInstance_Active\" VALUES ('a4', '2026-11-23 13:00:00', 'playback')" || exit 1
	run xprestore --dsn "$PG_DSN" --skip-existing Id -i "$T/two.tar"
	is "$rc:$err" "0:xprestore: 5 rows loaded into 2 tables, 1 skipped (Id already there)" \
		"PostgreSQL: --skip-existing leaves out the row already there"
	is "$(psql -At -c "SELECT 'A', * FROM \"MessageInstance_Active\" UNION ALL SELECT 'I', * FROM \"MessageInstance_Inactive\" ORDER BY 1, 2" | paste -sd' ')" \
		"A|a2|2026-11-21 11:00:00|export, \"evidence\" A|a3|2026-11-22 12:00:00|logout A|a4|2026-11-23 13:00:00|playback A|a5|2026-11-24 14:00:00|live view I|a2|2026-11-21 11:00:00|export, \"evidence\" I|a3|2026-11-22 12:00:00|logout" \
		"PostgreSQL: both tables, every message once per table"
else
	skip "no PostgreSQL server binaries"
	skip "no PostgreSQL server binaries"
fi
# MariaDB: a SELECT with WHERE needs FROM DUAL there
if my_start; then
	myq -e "CREATE TABLE MessageInstance_Active(Id varchar(10) PRIMARY KEY, UtcTime datetime NOT NULL, Message text);
		CREATE TABLE MessageInstance_Inactive LIKE MessageInstance_Active;
		INSERT INTO MessageInstance_Inactive VALUES ('a2', '2026-11-21 11:00:00', 'export, \"evidence\"')" || exit 1
	run xprestore --dsn "$MY_DSN" --skip-existing Id -i "$T/two.tar"
	is "$rc:$err" "0:xprestore: 5 rows loaded into 2 tables, 1 skipped (Id already there)" \
		"MariaDB: --skip-existing leaves out the row already there"
	is "$(myq -e "SELECT Id FROM MessageInstance_Active UNION ALL SELECT Id FROM MessageInstance_Inactive" | sort | paste -sd' ')" \
		"a2 a2 a3 a3 a4 a5" "MariaDB: every message once per table"
else
	skip "no MariaDB server (mariadb-server) installed"
	skip "no MariaDB server (mariadb-server) installed"
fi
done_testing
