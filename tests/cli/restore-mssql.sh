#!/bin/bash
# xprestore into SQL Server through FreeTDS's ODBC driver, against the TDS 7.4 test server in
# tests/tds (no SQL Server runs here). First the server itself, through tsql, a client that is
# not ours: tables made, rows converted into SQL Server's types as SQL Server converts them
# (and refused with its error numbers), transactions rolled back, INSERT ... SELECT ... WHERE
# NOT EXISTS; xpdump reads back what tsql wrote. Then xprestore: what it sends (a transaction,
# CREATE TABLE, sp_prepare and sp_execute with typed parameters), the rows tsql reads back,
# --skip-existing, and a failed load that leaves nothing.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-tds.sh"
command -v python3 >/dev/null || skip_all "no python3"
odbcinst -q -d -n FreeTDS >/dev/null 2>&1 || skip_all "no FreeTDS ODBC driver (tdsodbc)"
command -v tsql >/dev/null || skip_all "no tsql (freetds-bin)"

echo '{"database": "Restore", "user": "xpbackup", "password": "pa;ssw0rd", "tables": {}}' >"$T/empty.json"
tds_serve "$T/empty.json" Restore
[ -n "$PORT" ] || skip_all "the TDS test server did not start: $(cat "$T/server.err")"
# tsq: runs tsql's input on stdin; $out is what it printed: rows, then the Msg lines of errors
tsq() {
	run env LC_ALL=C.UTF-8 tsql -H 127.0.0.1 -p "$PORT" -U xpbackup -P 'pa;ssw0rd' -D Restore -v 7.4 -o fhq
	out=$(printf '%s\n%s\n' "$out" "$err" | grep -v '^locale\|^using\|^Setting\|^Changed\|^	"\|^$')
}

tsq <<'SQL'
CREATE TABLE tq (id int NOT NULL, s nvarchar(4), n decimal(6,2), d2 datetime2(3), dto datetimeoffset, b varbinary(4), t tinyint, g uniqueidentifier)
go
INSERT INTO tq VALUES (1, N'é😀', 1234.567, '2026-01-02 03:04:05.1239', '2026-01-02 03:04:05 +02:00', 0x00ff, 255, '6f9619ff-8b86-d011-b42d-00c04fc964ff'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
go
INSERT INTO tq (id, t) VALUES (3, 256)
go
INSERT INTO tq (id, s) VALUES (3, N'abcde')
go
INSERT INTO tq (id, n) VALUES (3, 10000)
go
INSERT INTO tq (id) VALUES (NULL)
go
INSERT INTO tq (id, d2) VALUES (3, '2026-02-30')
go
BEGIN TRANSACTION; CREATE TABLE tx (a int); INSERT INTO tx VALUES (1); ROLLBACK
go
SELECT a FROM tx
go
CREATE TABLE tk (k nvarchar(10), v int)
go
INSERT INTO tk (k, v) VALUES (N'Abc', 1)
go
INSERT INTO tk (k, v) SELECT N'aBC  ', 2 WHERE NOT EXISTS (SELECT 1 FROM tk WHERE k = N'aBC  ')
go
INSERT INTO tk (k, v) SELECT N'Abd', 3 WHERE NOT EXISTS (SELECT 1 FROM tk WHERE k = N'Abd')
go
INSERT INTO tk (k, v) SELECT N'x', 4 WHERE NOT EXISTS (SELECT 1 FROM tk WHERE v = '1')
go
INSERT INTO tk (k, v) SELECT N'y', 5 WHERE NOT EXISTS (SELECT 1 FROM tk WHERE v = 9)
go
SELECT k, v FROM tk
go
quit
SQL
is "$out" "Abc	1
Abd	3
y	5
Msg 220 (severity 16, state 1) from tdstest Line 1:
Msg 2628 (severity 16, state 1) from tdstest Line 1:
Msg 8115 (severity 16, state 1) from tdstest Line 1:
Msg 515 (severity 16, state 1) from tdstest Line 1:
Msg 241 (severity 16, state 1) from tdstest Line 1:
Msg 208 (severity 16, state 1) from tdstest Line 1:" \
	"tsql: 256 into tinyint, 5 characters into nvarchar(4), 10000 into decimal(6,2), NULL into NOT NULL and a date that does not exist are refused with SQL Server's numbers; a rolled-back CREATE TABLE leaves no table; INSERT ... SELECT ... WHERE NOT EXISTS leaves out a row whose key is there (text compared without regard to case or trailing spaces, '1' converted to int)"
run xpdump --dsn-file "$T/dsn" -t tq -o "$T/tq.tar"
is "$rc:$err:$(tar xOf "$T/tq.tar" tq/000001.csv)" "0::id,s,n,d2,dto,b,t,g
1,é😀,1234.57,2026-01-02 03:04:05.124,2026-01-02 03:04:05.0000000+02:00,\\x00ff,255,6f9619ff-8b86-d011-b42d-00c04fc964ff
2,,,,,,," \
	"xpdump reads what tsql wrote, rounded as SQL Server rounds (decimal(6,2), datetime2(3)), the offset kept"
is "$(tar xOf "$T/tq.tar" MANIFEST | awk -F '\t' '$1 == "column" { print $2, $5, $6, $7, $8 }' | tr '\n' ,)" \
	"id int 10 0 0,s nvarchar 4 0 1,n decimal 6 2 1,d2 datetime2 23 3 1,dto datetimeoffset 34 7 1,b varbinary 4 0 1,t tinyint 3 0 1,g uniqueidentifier 36 0 1," \
	"and describes the table tsql made: types, sizes, scales, NOT NULL"

# xprestore --create from SQLite: what it sends
sqlite3 "$T/src.db" <<'SQL'
CREATE TABLE lt (id INTEGER PRIMARY KEY, n NUMERIC(12,4), f DOUBLE, txt TEXT, bin BLOB, flag BOOLEAN, d DATE, ts TIMESTAMP);
INSERT INTO lt VALUES (1, -99999999.9999, 5e-324, 'emoji 😀 €', X'00FF', 1, '0001-01-01', '0001-01-01 00:00:00.5'),
	(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (3, 0.5, -0.1, '', X'', 0, '9999-12-31', '9999-12-31 23:59:59.999');
SQL
xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t lt -o "$T/lt.tar"
: >"$T/log"
run xprestore --dsn-file "$T/dsn" --create -i "$T/lt.tar"
is "$rc:$err" "0:xprestore: 3 rows loaded into 1 table" "xprestore --create loads SQLite's rows into SQL Server"
is "$(grep -v '^login' "$T/log" | sed 's/^\(rpc sp_execute\): INSERT[^|]*/\1: /')" \
	"tm: begin
batch: CREATE TABLE \"lt\" (\"id\" integer, \"n\" decimal(38,10), \"f\" float, \"txt\" nvarchar(max), \"bin\" varbinary(255), \"flag\" bit, \"d\" date, \"ts\" datetime2)
batch: SELECT * FROM \"lt\" WHERE 1=0
rpc sp_prepare: INSERT INTO \"lt\" (\"id\", \"n\", \"f\", \"txt\", \"bin\", \"flag\", \"d\", \"ts\") VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8) | @P1 INT,@P2 NVARCHAR(32),@P3 FLOAT,@P4 NVARCHAR(4000),@P5 VARBINARY(1021),@P6 BIT,@P7 NVARCHAR(48),@P8 NVARCHAR(48)
rpc sp_execute: | int=1 | nvarchar(32)='-99999999.9999' | float=5e-324 | nvarchar(4000)='emoji 😀 €' | varbinary(1021)=0x00ff | bit=1 | nvarchar(48)='0001-01-01' | nvarchar(48)='0001-01-01 00:00:00.5'
rpc sp_execute: | int=2 | nvarchar(32)=None | float=None | nvarchar(4000)=None | varbinary(1021)=None | bit=None | nvarchar(48)=None | nvarchar(48)=None
rpc sp_execute: | int=3 | nvarchar(32)='0.5' | float=-0.1 | nvarchar(4000)='' | varbinary(1021)=0x | bit=0 | nvarchar(48)='9999-12-31' | nvarchar(48)='9999-12-31 23:59:59.999'
rpc sp_unprepare | int=1
tm: commit and begin" \
	"in one transaction: CREATE TABLE, one prepared INSERT, the rows as typed parameters (text as nvarchar, bytes as varbinary, floats as their bytes, decimals and dates as text SQL Server reads), commit"
tsq <<<$'SELECT id, n, f, txt, bin, flag FROM lt\ngo\nquit'
is "$out" "$(printf '1\t-99999999.9999000000\t4.9406564584124654e-324\temoji 😀 €\t00ff\t1\n2\tNULL\tNULL\tNULL\tNULL\tNULL\n3\t0.5000000000\t-0.10000000000000001\t\t\t0')" \
	"tsql reads the rows xprestore loaded"
run xpdump --dsn-file "$T/dsn" -t lt -o "$T/back.tar"
is "$rc:$(tar xOf "$T/back.tar" lt/000001.csv | cut -d, -f1,7,8)" "0:id,d,ts
1,0001-01-01,0001-01-01 00:00:00.5000000
2,,
3,9999-12-31,9999-12-31 23:59:59.9990000" "the year 1 arrives as the year 1 (FreeTDS's own date conversion makes it 2001)"

# --skip-existing: rows whose key the table holds are left out, the others loaded
sqlite3 "$T/more.db" "CREATE TABLE lt (id INTEGER PRIMARY KEY, n NUMERIC(12,4), f DOUBLE, txt TEXT, bin BLOB, flag BOOLEAN, d DATE, ts TIMESTAMP);
	INSERT INTO lt VALUES (2, 2.5, NULL, 'again', NULL, 1, NULL, NULL), (3, NULL, NULL, 'again', NULL, NULL, NULL, NULL),
	(4, 4.25, 0.5, 'new 😀', X'01', 0, '2026-11-24', '2026-11-24 03:00:00'), (5, NULL, NULL, 'new', NULL, NULL, NULL, NULL);"
xpdump --dsn "$(sqlite_dsn "$T/more.db")" -t lt -o "$T/more.tar"
: >"$T/log"
run xprestore --dsn-file "$T/dsn" --skip-existing id -i "$T/more.tar"
is "$rc:$err" "0:xprestore: 2 rows loaded into 1 table, 2 skipped (id already there)" \
	"xprestore --skip-existing id: the two rows whose id is there are skipped, the two others loaded"
is "$(grep -v '^login' "$T/log" | sed 's/^\(rpc sp_[a-z]*\): INSERT[^|]*/\1: /' | cut -d'|' -f1,2,10)" \
	"tm: begin
batch: SELECT COUNT(*) FROM \"lt\"
attention
batch: SELECT * FROM \"lt\" WHERE 1=0
rpc sp_prepare: | @P1 INT,@P2 NVARCHAR(32),@P3 FLOAT,@P4 NVARCHAR(4000),@P5 VARBINARY(1021),@P6 BIT,@P7 NVARCHAR(48),@P8 NVARCHAR(48),@P9 INT
rpc sp_execute: | int=2 | int=2
rpc sp_execute: | int=3 | int=3
rpc sp_execute: | int=4 | int=4
rpc sp_execute: | int=5 | int=5
batch: SELECT COUNT(*) FROM \"lt\"
attention
rpc sp_unprepare | int=1
tm: commit and begin" \
	"in one transaction: the rows counted before and after, each row an INSERT ... SELECT ... WHERE NOT EXISTS with its key as the last parameter"
grep -c 'INSERT INTO "lt" ("id", "n", "f", "txt", "bin", "flag", "d", "ts") SELECT @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8 WHERE NOT EXISTS (SELECT 1 FROM "lt" WHERE "id" = @P9) |' "$T/log" >"$T/n"
is "$(cat "$T/n")" 5 "the statement prepared and executed is INSERT ... SELECT @P1 ... WHERE NOT EXISTS (... WHERE \"id\" = @P9)"
tsq <<<$'SELECT id, n, txt FROM lt ORDER BY id\ngo\nquit'
is "$out" "$(printf '1\t-99999999.9999000000\temoji 😀 €\n2\tNULL\tNULL\n3\t0.5000000000\t\n4\t4.2500000000\tnew 😀\n5\tNULL\tnew')" \
	"tsql reads the old rows as they were and the new ones"

# a row SQL Server refuses: the load names it and leaves the table as it was
tsq <<<$'CREATE TABLE narrow (id int, s nvarchar(2))\ngo\nINSERT INTO narrow VALUES (0, N\'ok\')\ngo\nquit'
sqlite3 "$T/n.db" "CREATE TABLE narrow (id INTEGER, s TEXT); INSERT INTO narrow VALUES (1, 'ab'), (2, 'abc');"
xpdump --dsn "$(sqlite_dsn "$T/n.db")" -t narrow -o "$T/narrow.tar"
run xprestore -q --dsn-file "$T/dsn" -i "$T/narrow.tar"
like "$rc:$err" "1:xprestore: narrow: row 2: *String or binary data would be truncated in table 'Restore.dbo.narrow', column 's'. Truncated value: 'abc'." \
	"a value the column cannot hold: SQL Server's error, naming the row"
tsq <<<$'SELECT id, s FROM narrow\ngo\nquit'
is "$out" "$(printf '0\tok')" "and the rows before it are rolled back"
done_testing
