#!/bin/bash
# xpverify --drill: restores backups into scratch tables of SQLite and PostgreSQL databases,
# compares them with the backups and drops them again, also after a failure; tables of the
# same base name and leftover scratch tables are never touched; the journal; --json.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || exit 1

vals_sqlite "$T/src.db"
if [ -n "${XP_VALGRIND:-}" ]; then
	# valgrind has no 80-bit long double, so SQLite itself reads and prints some doubles one
	# unit in the last place off; the drill's exact comparison sees that: no floats there
	sqlite3 "$T/src.db" "CREATE TABLE v2 (id INTEGER PRIMARY KEY, i64 BIGINT, i32 INTEGER NOT NULL,
		txt TEXT, d DATE, ts TIMESTAMP, u TEXT, b BLOB, flag BOOLEAN);
		INSERT INTO v2 SELECT id, i64, i32, txt, d, ts, u, b, flag FROM vals;
		DROP TABLE vals; ALTER TABLE v2 RENAME TO vals"
fi
sqlite3 "$T/src.db" "CREATE TABLE audit (id INTEGER PRIMARY KEY, who TEXT);
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
	INSERT INTO audit SELECT i, 'user' || (i % 13) FROM n"
A=$(xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t vals -t audit --chunk-size 8192 | xpseal -r "$R") || exit 1
N=$(echo "not a dump" | xpseal -r "$R") || exit 1
P=xpdrill_${A:0:8}_

# SQLite scratch database that already has a table called like the backed-up one
S=$T/scratch.db
sqlite3 "$S" "CREATE TABLE vals (keep TEXT); INSERT INTO vals VALUES ('mine')"
run xpverify -r "$R" --drill "$(sqlite_dsn "$S")" --password-file "$T/pw" "$A"
is "$rc" 0 "a drill into SQLite exits 0"
is "$out" "$A: good signature
$A: deep check passed: 2 tables, 3009 rows
$A: drill passed: 2 tables, 3009 rows restored and compared" "it reports the deep check and the drill"
is "$err" "" "nothing on stderr"
is "$(sqlite3 "$S" "SELECT group_concat(name, ' ') FROM sqlite_master")" "vals" \
	"the scratch tables are gone afterwards"
is "$(sqlite3 "$S" "SELECT * FROM vals")" "mine" "the table of the same base name is untouched"

run xpverify -r "$R" --drill "$(sqlite_dsn "$S")" --password-file "$T/pw" "$N"
is "$rc.$out" "1.$N: good signature
$N: deep check passed: 11 bytes, not a dump stream
$N: drill skipped: not a dump stream" "a payload that is not a dump is deep-checked, not drilled"
is "$err" "xpverify: $R: nothing drilled: none of the backups checked is a dump stream" \
	"and a drill that restored nothing fails (status 1), saying why"

# a scratch table left over (or somebody's) is refused and left alone
sqlite3 "$S" "CREATE TABLE ${P}audit (x TEXT); INSERT INTO ${P}audit VALUES ('left over')"
run xpverify -r "$R" --drill "$(sqlite_dsn "$S")" --password-file "$T/pw" "$A"
is "$rc" 1 "an existing scratch table makes the drill fail with exit 1"
is "$err" "xpverify: $A: drill failed: ${P}audit: scratch table already exists" "and says why"
is "$(sqlite3 "$S" "SELECT * FROM ${P}audit")" "left over" "that table is untouched"
is "$(sqlite3 "$S" "SELECT count(*) FROM sqlite_master WHERE name = '${P}vals'")" 0 \
	"no other scratch table was made"

run xpverify -r "$R" --drill "$(sqlite_dsn "$T/no/such/dir/x.db")" --password-file "$T/pw" "$A"
is "$rc" 1 "a database that cannot be opened fails with exit 1"
like "$err" "xpverify: $A: drill failed: *" "in one drill line"

# a dump changed inside but sealed validly fails its deep check and is not restored
xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit -o "$T/a.tar" || exit 1
off=$(grep -obUa 'user12' "$T/a.tar" | head -1 | cut -d: -f1)
printf '3' | dd of="$T/a.tar" bs=1 seek=$((off + 5)) conv=notrunc 2>/dev/null
E=$(xpseal -r "$R" -i "$T/a.tar") || exit 1
run xpverify -r "$R" --drill "$(sqlite_dsn "$T/e.db")" --password-file "$T/pw" "$E"
is "$rc.$out" "3.$E: good signature" "a tampered dump fails the deep check with exit 3, no drill runs"
is "$(sqlite3 "$T/e.db" "SELECT count(*) FROM sqlite_master")" 0 "nothing was created in the scratch database"

jl() { grep -P "\t$1\t$2\t" "$R/journal" | cut -f4; }
is "$(jl "$A" drill)" "drill passed: 2 tables, 3009 rows restored and compared
drill failed: ${P}audit: scratch table already exists
$(jl "$A" drill | tail -1)" "the journal has every drill with its outcome"
like "$(jl "$A" drill | tail -1)" "drill failed: *" "the last one failed"
is "$(jl "$N" drill)" "skipped: not a dump stream" "and the skipped one"
is "$(jl "$A" verified | head -1)" "deep check passed: 2 tables, 3009 rows" "each drill journals its deep check"
is "$(jl "$E" drill)" "" "the tampered one has no drill in the journal"
like "$(jl "$E" verified)" "deep check failed: *table audit: BLAKE2b does not match SUMMARY" "but its failed deep check"

run xpverify -r "$R" --json --drill "$(sqlite_dsn "$T/j.db")" --password-file "$T/pw" "$A" "$N"
is "$rc" 0 "--json with drills exits 0"
python3 -m json.tool <<<"$out" >/dev/null
ok $? "--json output parses"
is "$(python3 -c '
import json, sys
for r in json.loads(sys.stdin.read())["results"]:
    print(r["deep"]["status"], r["drill"], r["journaled"])
' <<<"$out")" "passed {'status': 'passed', 'tables': 2, 'rows': 3009, 'withheld': 0} True
passed {'status': 'skipped'} True" "--json carries each drill's result"

# --drill-dsn-file: the connection string from a file only its owner may read, as xpdump's
(umask 077 && sqlite_dsn "$T/f.db" >"$T/drill-dsn")
run xpverify -r "$R" --drill-dsn-file "$T/drill-dsn" --password-file "$T/pw" "$A"
is "$rc.$out" "0.$A: good signature
$A: deep check passed: 2 tables, 3009 rows
$A: drill passed: 2 tables, 3009 rows restored and compared" "--drill-dsn-file reads the connection string from a file"
sqlite3 "$T/f.db" "CREATE TABLE ${P}audit (x TEXT)"
run xpverify -r "$R" --drill-dsn-file "$T/drill-dsn" --password-file "$T/pw" "$A"
is "$rc.$err" "1.xpverify: $A: drill failed: ${P}audit: scratch table already exists" \
	"the database it names is the one drilled into"
chmod 640 "$T/drill-dsn"
run xpverify -r "$R" --drill-dsn-file "$T/drill-dsn" --password-file "$T/pw" "$A"
is "$rc.$out" "1." "a connection string file that its group may read is refused with exit 1, nothing checked"
is "$err" "xpverify: $T/drill-dsn: readable by group (mode 0640); chmod 600 it" "and says why"
dump_err=$(xpdump --dsn-file "$T/drill-dsn" -t audit 2>&1 >/dev/null)
is "${err#xpverify: }" "${dump_err#xpdump: }" "in the words of xpdump --dsn-file"
chmod 604 "$T/drill-dsn"
run xpverify -r "$R" --drill-dsn-file "$T/drill-dsn" --password-file "$T/pw" "$A"
is "$rc.$err" "1.xpverify: $T/drill-dsn: readable by others (mode 0604); chmod 600 it" "so is one that others may read"
chmod 600 "$T/drill-dsn"
run xpverify -r "$R" --drill-dsn-file "$T/drill-dsn" --drill "$(sqlite_dsn "$T/f.db")" --password-file "$T/pw" "$A"
is "$rc" 2 "--drill and --drill-dsn-file together are a usage error"
like "$err" "xpverify: give one of --drill and --drill-dsn-file*" "that says so"
run xpverify -r "$R" --drill-dsn-file "$T/no-such-file" --password-file "$T/pw" "$A"
is "$rc.$err" "1.xpverify: $T/no-such-file: No such file or directory" "a missing file fails with exit 1"

pg_start || { skip "no PostgreSQL server binaries (6 tests)"; done_testing; }
vals_pg
B=$(xpdump --dsn "$PG_DSN" -t vals | xpseal -r "$R") || exit 1
Q=xpdrill_${B:0:8}_
psqlq -c "CREATE TABLE ${Q}vals_other (x int)"
run xpverify -r "$R" --drill "$PG_DSN" --password-file "$T/pw" "$B" "$A"
is "$rc" 0 "drills of a PostgreSQL and a SQLite dump into PostgreSQL exit 0"
is "$(grep -c 'drill passed' <<<"$out")" 2 "both pass"
[ "$rc" -eq 0 ] || diag "$err"
is "$(psqlq -c "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")" \
	"vals ${Q}vals_other" "only the tables that were there before are left"
is "$(count_pg vals)" 9 "the table the backup came from keeps its rows"

# a database that changes what it stores: the comparison fails, and the tables still go
psqlq <<'EOF'
CREATE FUNCTION evil() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.txt := 'changed'; RETURN NEW; END $$;
CREATE FUNCTION arm() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
	FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
		EXECUTE format('CREATE TRIGGER evil BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION evil()',
			r.object_identity);
	END LOOP;
END $$;
CREATE EVENT TRIGGER arm ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION arm();
EOF
run xpverify -r "$R" --drill "$PG_DSN" --password-file "$T/pw" "$B"
is "$rc.$err" "3.xpverify: $B: drill failed: vals: the rows read back differ from the backup's content" \
	"rows that come back different fail the drill with exit 3"
is "$(psqlq -c "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")" \
	"vals ${Q}vals_other" "the scratch tables are dropped after the failure too"

done_testing
