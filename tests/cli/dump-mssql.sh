#!/bin/bash
# xpdump from SQL Server through FreeTDS's ODBC driver, against the TDS 7.4 test server in
# tests/tds (no SQL Server runs here): SQL Server's types dumped exactly, snapshot isolation
# asked for in SQL and checked, snapshot isolation off refused with the ALTER DATABASE to run
# (and --isolation read-committed accepted and recorded), a table swapped mid-dump a clear
# error that leaves nothing sealed. tsql, a client that is not ours, reads the same rows.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-tds.sh"
command -v python3 >/dev/null || skip_all "no python3"
odbcinst -q -d -n FreeTDS >/dev/null 2>&1 || skip_all "no FreeTDS ODBC driver (tdsodbc)"

DB=SurveillanceLogServerV2
# the table as the Log Server declares it, every type xpdump must carry, values at their edges
LONGTEXT=$(python3 -c 'print("ab€" * 1500 + "😀")')
LONGBIN=$(python3 -c 'print(bytes(range(256)).hex() * 9)')
# tds_config FILE SNAPSHOT FAILS: the server's configuration (tables, rows, injected errors)
tds_config() {
	LONGTEXT=$LONGTEXT LONGBIN=$LONGBIN python3 - "$@" <<'PY'
import json, os, sys
path, snapshot, fails = sys.argv[1], sys.argv[2] == "on", json.loads(sys.argv[3])
cols = [["id", "bigint"], ["at", "datetime2(7)"], ["off", "datetimeoffset(7)"],
        ["dt", "datetime"], ["d", "date"], ["tm", "time(7)"], ["s", "nvarchar(50)"],
        ["txt", "nvarchar(max)"], ["v", "varchar(20)"], ["g", "uniqueidentifier"],
        ["bin", "varbinary(max)"], ["n", "decimal(38,10)"], ["m", "money"], ["f", "bit"],
        ["ti", "tinyint"]]
rows = [
    [9223372036854775807, "2026-11-24 03:00:00.1234567", "2026-11-24 05:00:00.1234567 +02:00",
     "2026-11-24 03:00:00.997", "2026-11-24", "23:59:59.9999999", "emoji 😀👍🏽, \"quoted\"",
     os.environ["LONGTEXT"], "café €", "6F9619FF-8B86-D011-B42D-00C04FC964FF",
     "0x" + os.environ["LONGBIN"], "9999999999999999999999999999.9999999999",
     "922337203685477.5807", 1, 255],
    [-9223372036854775808, "0001-01-01 00:00:00.0000000", "0001-01-01 14:00:00.0000000 +14:00",
     "1753-01-01 00:00:00.000", "0001-01-01", "00:00:00.0000000", "", "", "",
     "00000000-0000-0000-0000-000000000000", "0x", "-0.0000000001", "-922337203685477.5808",
     0, 0],
    [3, "9999-12-31 23:59:59.9999999", "9999-12-31 09:59:59.9999999 -14:00",
     "9999-12-31 23:59:59.997", "9999-12-31", "12:34:56.0000001", "line\r\nbreak", "x", "x",
     "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "0x00", "0", "0.0001", None, None],
    [4, None, None, None, None, None, None, None, None, None, None, None, None, None, None],
]
inactive = {"columns": [["id", "bigint"], ["at", "datetime2(7)"]],
            "rows": [[10, "2026-11-01 00:00:00.0000000"]]}
# rows enough for several row arrays of 1000
many = {"columns": [["id", "int"], ["at", "datetime2(7)"], ["msg", "nvarchar(40)"]],
        "rows": [[k, "2026-11-%02d 00:00:00.%07d" % (1 + k % 28, k), "message %d é" % k]
                 for k in range(2500)]}
cfg = {"database": "SurveillanceLogServerV2", "user": "xpbackup", "password": "pa;ssw0rd",
       "snapshot": snapshot, "fail": fails,
       "tables": {"MessageInstance_Active": {"columns": cols, "rows": rows},
                  "MessageInstance_Inactive": inactive, "many": many}}
json.dump(cfg, open(path, "w"))
PY
}
# tds_start SNAPSHOT [FAILS]: (re)starts the test server with this test's tables
tds_start() {
	tds_config "$T/server.json" "$1" "${2:-[]}"
	tds_serve "$T/server.json" "$DB"
}
manifest() { tar xOf "$1" MANIFEST | sed -n "s/^$2\t//p"; }

tds_start on
[ -n "$PORT" ] || skip_all "the TDS test server did not start: $(cat "$T/server.err")"

run xpdump --dsn-file "$T/dsn" -t MessageInstance_Active -o "$T/a.tar"
is "$rc:$err" "0:" "xpdump reads SQL Server's types through FreeTDS"
want_txt=${LONGTEXT}
want_bin=$(python3 -c 'print("\\x" + bytes(range(256)).hex() * 9)')
is "$(tar xOf "$T/a.tar" MessageInstance_Active/000001.csv)" "id,at,off,dt,d,tm,s,txt,v,g,bin,n,m,f,ti
9223372036854775807,2026-11-24 03:00:00.1234567,2026-11-24 05:00:00.1234567+02:00,2026-11-24 03:00:00.997,2026-11-24,23:59:59.9999999,\"emoji 😀👍🏽, \"\"quoted\"\"\",$want_txt,café €,6f9619ff-8b86-d011-b42d-00c04fc964ff,$want_bin,9999999999999999999999999999.9999999999,922337203685477.5807,1,255
-9223372036854775808,0001-01-01 00:00:00.0000000,0001-01-01 14:00:00.0000000+14:00,1753-01-01 00:00:00.000,0001-01-01,00:00:00.0000000,\"\",\"\",\"\",00000000-0000-0000-0000-000000000000,\\x,-0.0000000001,-922337203685477.5808,0,0
3,9999-12-31 23:59:59.9999999,9999-12-31 09:59:59.9999999-14:00,9999-12-31 23:59:59.997,9999-12-31,12:34:56.0000001,\"line$(printf '\r')
break\",x,x,ffffffff-ffff-ffff-ffff-ffffffffffff,\\x00,0.0000000000,0.0001,,
4,,,,,,,,,,,,,," \
	"every value exactly: datetime2(7) and time(7) to 100 ns, datetimeoffset with its own offset, varchar and nvarchar(max) in UTF-8, money and decimal(38,10) to the last digit"
is "$(tar xOf "$T/a.tar" MANIFEST | grep '^column' | cut -f2,5 | tr '\t\n' ' ,')" \
	"id bigint,at datetime2,off datetimeoffset,dt datetime,d date,tm time,s nvarchar,txt nvarchar,v varchar,g uniqueidentifier,bin varbinary,n decimal,m money,f bit,ti tinyint," \
	"MANIFEST names SQL Server's types"
is "$(manifest "$T/a.tar" isolation)" snapshot "MANIFEST records snapshot isolation"
is "$(manifest "$T/a.tar" source)" \
	"Driver=FreeTDS;Server=127.0.0.1;Port=$PORT;TDS_Version=7.4;UID=xpbackup;PWD=***;Database=$DB" \
	"and the source without its password"
is "$(grep -v '^login' "$T/log")" "batch: SET TRANSACTION ISOLATION LEVEL SNAPSHOT
batch: BEGIN TRANSACTION
batch: SELECT transaction_isolation_level FROM sys.dm_exec_sessions WHERE session_id = @@SPID
batch: SELECT snapshot_isolation_state, name FROM sys.databases WHERE database_id = DB_ID()
batch: SELECT * FROM \"MessageInstance_Active\" WHERE 1=0
batch: SELECT \"id\",\"at\",\"off\",\"dt\",\"d\",\"tm\",\"s\",\"txt\",\"v\",\"g\",\"bin\",\"n\",\"m\",\"f\",\"ti\" FROM \"MessageInstance_Active\"
batch: ROLLBACK" \
	"snapshot asked in SQL, checked as granted and allowed; no server cursor; the transaction ends"

: >"$T/log"
run xpdump --dsn-file "$T/dsn" -t MessageInstance_Active --time-column at \
	--since 2026-01-01 --until 2026-12-01 -o "$T/w.tar"
is "$rc:$err" "0:" "a time window over datetime2"
is "$(tar xOf "$T/w.tar" MessageInstance_Active/000001.csv | cut -d, -f1)" "id
9223372036854775807" "reads only the rows inside it"
is "$(grep '^rpc' "$T/log")" \
	"rpc sp_executesql: SELECT \"id\",\"at\",\"off\",\"dt\",\"d\",\"tm\",\"s\",\"txt\",\"v\",\"g\",\"bin\",\"n\",\"m\",\"f\",\"ti\" FROM \"MessageInstance_Active\" WHERE \"at\" >= @P1 AND \"at\" < @P2 ORDER BY \"at\" | varchar(19)='2026-01-01 00:00:00' | varchar(19)='2026-12-01 00:00:00'" \
	"the bounds go as parameters of sp_executesql, text in UTC"
is "$(tar xOf "$T/w.tar" SUMMARY | grep '^table' | cut -f7,8)" \
	"2026-11-24T03:00:00Z	2026-11-24T03:00:00Z" "SUMMARY has the window's datetime2 values"

# with unixODBC's trace of the driver calls: the system's FreeTDS entry, traced
mkdir "$T/odbc"
{
	printf '[ODBC]\nTrace=Yes\nTraceFile=%s\n\n' "$T/trace"
	awk '/^\[/ { p = ($0 == "[FreeTDS]") } p' "$(odbcinst -j | sed -n 's/^DRIVERS\.*: //p')"
} >"$T/odbc/odbcinst.ini"
ODBCSYSINI=$T/odbc run xpdump --dsn-file "$T/dsn" -t many -o "$T/many.tar"
is "$rc:$err:$(tar xOf "$T/many.tar" many/000001.csv | md5sum)" \
	"0::$(python3 -c 'print("id,at,msg"); [print("%d,2026-11-%02d 00:00:00.%07d,message %d é" % (k, 1 + k % 28, k, k)) for k in range(2500)]' | md5sum)" \
	"2500 rows in row arrays of 1000, the array size set after the statement ran"
is "$(grep -c '^batch: SELECT "id","at","msg" FROM "many"$' "$T/log"):$(grep -c cursor "$T/log")" "1:0" \
	"as one plain SELECT: no server cursor"
# each call's name (at its entry), the attribute it sets, and the SELECT of table many
calls=$(awk '/^\[ODBC\]/ { f = $0; sub(/\.c\].*/, "", f); sub(/.*\[/, "", f) }
	/^\t+Entry:/ { print f } /^\t+Attribute = / { print $3 }
	/^\t+SQL = \[SELECT "id","at","msg" FROM "many"/ { print "many" }' "$T/trace" |
	sed -n '/^many$/,/^SQLCloseCursor$/p' | tr '\n' ' ')
is "$calls" "many SQLSetStmtAttr SQL_ATTR_ROW_ARRAY_SIZE SQLFetch SQLFetch SQLFetch SQLFetch SQLCloseCursor " \
	"the driver trace: the row-array size set after SQLExecDirect, 2500 rows in 4 SQLFetch calls"

# a client that is not ours reads the same rows from the same server
if command -v tsql >/dev/null; then
	run env LC_ALL=C.UTF-8 tsql -H 127.0.0.1 -p "$PORT" -U xpbackup -P 'pa;ssw0rd' -D "$DB" -v 7.4 -o fhq \
		<<<$'SELECT id, s, v, g, n, m, f, ti FROM MessageInstance_Active\ngo\nquit'
	is "$(printf '%s\n' "$out" | grep -v '^locale\|^using\|^Setting\|^Changed')" \
		"$(printf '%s\t' 9223372036854775807 'emoji 😀👍🏽, "quoted"' 'café €' \
			6F9619FF-8B86-D011-B42D-00C04FC964FF 9999999999999999999999999999.9999999999 \
			922337203685477.5807 1 255 | sed 's/\t$//')
$(printf '%s\t' -9223372036854775808 '' '' 00000000-0000-0000-0000-000000000000 \
			-0.0000000001 -922337203685477.5808 0 0 | sed 's/\t$//')
$(printf '3\tline\r\nbreak\tx\tFFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\t0.0000000000\t0.0001\tNULL\tNULL')
4	NULL	NULL	NULL	NULL	NULL	NULL	NULL" \
		"tsql (FreeTDS's own client) reads the same rows from the test server"
else
	skip "no tsql (freetds-bin)"
fi

# snapshot isolation off in the database: refused, and what to run said
tds_start off
run xpdump --dsn-file "$T/dsn" -t MessageInstance_Active -o "$T/off.tar"
is "$rc" 1 "snapshot isolation off in the database: xpdump exits 1"
is "$err" "xpdump: database $DB: snapshot isolation is off (SQL Server error 3952); run ALTER DATABASE [$DB] SET ALLOW_SNAPSHOT_ISOLATION ON, or accept read committed with --isolation read-committed (tables may then be inconsistent with each other)" \
	"saying so and what to run"
[ ! -e "$T/off.tar" ]
ok $? "and writes no dump"
is "$(grep -c 'SERIALIZABLE\|SELECT "id"' "$T/log")" 0 "it neither falls back to SERIALIZABLE nor reads a row"
is "$(tail -1 "$T/log")" "batch: ROLLBACK" "and ends the transaction it began"
: >"$T/log"
run xpdump --dsn-file "$T/dsn" -t MessageInstance_Active --isolation read-committed -o "$T/rc.tar"
is "$rc:$err" "0:" "--isolation read-committed dumps where snapshots are off"
is "$(manifest "$T/rc.tar" isolation)" read-committed "and MANIFEST records read-committed"
is "$(grep -v '^login' "$T/log" | head -2)" "batch: SET TRANSACTION ISOLATION LEVEL READ COMMITTED
batch: BEGIN TRANSACTION" "asked in SQL"
is "$(tar xOf "$T/rc.tar" MessageInstance_Active/000001.csv | md5sum)" \
	"$(tar xOf "$T/a.tar" MessageInstance_Active/000001.csv | md5sum)" "the same rows"
# turned off after the check, before the first read: the read's error says the same
tds_start on '[{"match": "WHERE 1=0", "error": 3952}]'
run xpdump --dsn-file "$T/dsn" -t MessageInstance_Active -o "$T/off.tar"
is "$rc:$err" "1:xpdump: table MessageInstance_Active: snapshot isolation is off (SQL Server error 3952); run ALTER DATABASE [NAME] SET ALLOW_SNAPSHOT_ISOLATION ON, or accept read committed with --isolation read-committed (tables may then be inconsistent with each other)" \
	"error 3952 on a read: exit 1, and what to run"
run xpdump --dsn-file "$T/dsn" -t MessageInstance_Active --isolation serializable
is "$rc" 2 "--isolation takes only snapshot or read-committed"

# the Log Server swaps its tables while xpdump reads them
password "$T/pw" 'correct horse'
export XP_SIGNING_KEY=$T/signer.key XP_PASSWORD_FILE=$T/pw
xpseal init -r "$T/repo" >/dev/null 2>&1
for e in 3961 208; do
	tds_start on "[{\"match\": \"^SELECT \\\"id\\\",\\\"at\\\" FROM\", \"error\": $e}]"
	xpdump --dsn-file "$T/dsn" -t MessageInstance_Active -t MessageInstance_Inactive \
		2>"$T/dump.err" | xpseal -q -r "$T/repo" --require-dump >/dev/null 2>"$T/seal.err"
	s=("${PIPESTATUS[@]}")
	is "${s[*]}" "1 1" "error $e on the second table mid-dump: xpdump exits 1, xpseal --require-dump 1"
	like "$(cat "$T/dump.err")" "xpdump: table MessageInstance_Inactive: dropped, renamed or altered while it was dumped (SQL Server error $e; a table swap?): the dump is incomplete, run it again; *" \
		"the error names the table and says what happened"
	# (tr: under wine a Windows program's standard error ends its lines in CR LF)
	is "$(tr -d '\r' <"$T/seal.err")" "xpseal: input is not a complete dump stream (no SUMMARY): nothing sealed" \
		"and nothing is sealed"
done
is "$(find "$T/repo/data" -type f | wc -l)" 0 "the repository holds no backup"
run xpdump --dsn-file "$T/dsn" -t NoSuchTable
like "$rc:$err" "1:xpdump: table NoSuchTable: *Invalid object name 'NoSuchTable'." \
	"a table that never existed is the server's own error"
done_testing
