#!/bin/bash
# xpdump --ledger REPO: a dump of the live database leaves out the rows that any erasure
# request of REPO covers (by value and by interval), says how many per request, and writes a
# SUMMARY of what it wrote; it composes with --exclude; the ledger's key needs the password.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 1500 10 2026-11-20
sqlite3 "$T/db" "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, note TEXT);
	INSERT INTO people VALUES (1, 'O''Brien, \"Pat\"', 'a'), (2, 'line one' || char(10) || 'line two', 'b'),
	(3, NULL, 'c'), (4, 'CORP\\j.smith', 'd'), (5, 'CORP\\j.smith ', 'e')"
q() { sqlite3 "$T/db" "$1"; }
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-17 --reason "Art. 17" -t audit_log -t people \
	--value 'user_name=CORP\j.smith' --value 'name=CORP\j.smith' --value "name=O'Brien, \"Pat\"" >/dev/null
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-18 --reason retention -t audit_log \
	--interval 2026-11-12T00:00:00Z/2026-11-13T00:00:00Z >/dev/null
smith=$(q "select count(*) from audit_log where user_name = 'CORP\\j.smith'")
iv=$(q "select count(*) from audit_log where utc_time >= '2026-11-12' and utc_time < '2026-11-13' and user_name is not 'CORP\\j.smith'")

# the live database still holds the rows (its own retention has not run yet)
run env XP_NOW=2026-11-23T00:00:00Z "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$D" -t audit_log:utc_time -t people \
	--ledger "$R" -o "$T/d.tar"
is "$rc.$err" "0.xpdump: $((smith + 2)) rows left out by erasure request CASE-17
xpdump: $iv rows left out by erasure request CASE-18" "--ledger leaves the covered rows out and says how many per request"
is "$(tar -xOf "$T/d.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $2, $3 }')" "audit_log $((1500 - smith - iv))
people 3" "SUMMARY counts the rows written"
xprestore -q --dsn "$(sqlite_dsn "$T/r.db")" --create -i "$T/d.tar"
is "$(sqlite3 "$T/r.db" "select count(*) from audit_log where user_name = 'CORP\\j.smith' or (utc_time >= '2026-11-12' and utc_time < '2026-11-13')")" 0 \
	"none of the covered rows is in the dump"
is "$(sqlite3 "$T/r.db" 'select group_concat(id) from people order by id')" "2,3,5" "values match exactly (NULL and a trailing space do not)"
is "$(sqlite3 "$T/r.db" 'select count(*) from audit_log')" $((1500 - smith - iv)) "every other row is"
run xpseal -q -r "$R" --require-dump -i "$T/d.tar"
is "$rc" 0 "the dump is complete: xpseal --require-dump seals it"
id=$out
run xpverify -r "$R" --deep "$id"
is "$rc" 0 "its SUMMARY matches its rows (xpverify --deep)"
run xpseal open -r "$R" "$id" -o "$T/o.tar"
is "$rc.$err" "0." "opened later, nothing is withheld: the rows are not in it"

# with --exclude: what SQL left out is not fetched, the ledger leaves out the rest
ex=$(q "select count(*) from audit_log where utc_time >= '2026-11-12' and utc_time < '2026-11-12 12:00:00' and user_name is not 'CORP\\j.smith'")
exs=$(q "select count(*) from audit_log where user_name = 'CORP\\j.smith' and not (utc_time >= '2026-11-12 12:00:00' and utc_time < '2026-11-13 12:00:00')")
exn=$(q "select count(*) from audit_log where utc_time >= '2026-11-12 12:00:00' and utc_time < '2026-11-13 12:00:00'")
run xpdump --dsn "$D" -t audit_log:utc_time --exclude 2026-11-12T12:00:00Z/2026-11-13T12:00:00Z --ledger "$R" -o "$T/e.tar"
is "$rc.$err" "0.xpdump: $exs rows left out by erasure request CASE-17
xpdump: $ex rows left out by erasure request CASE-18" "--exclude and --ledger compose: the ledger counts only the rows fetched"
is "$(tar -xOf "$T/e.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $3 }')" $((1500 - exn - exs - ex)) \
	"and the dump holds neither"

# the password: from a file, a descriptor, never argv; wrong or missing
run env -u XP_PASSWORD_FILE "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$D" -t people --ledger "$R" --password-file /dev/fd/3 -o "$T/f.tar" 3<"$T/pw"
is "$rc.$err" "0.xpdump: 2 rows left out by erasure request CASE-17" "--password-file /dev/fd/N reads it from a descriptor"
password "$T/bad" 'wrong horse battery'
run xpdump --dsn "$D" -t people --ledger "$R" --password-file "$T/bad" -o "$T/g.tar"
is "$rc.$([ -e "$T/g.tar" ] && echo written)" "3." "a wrong password: status 3, nothing written"
run env -u XP_PASSWORD_FILE setsid -w "$XP_BUILDDIR/src/xpdump/xpdump" --dsn "$D" -t people --ledger "$R" -o "$T/g.tar" </dev/null
is "$rc" 2 "no password file and no terminal: status 2"
run xpdump --dsn "$D" -t people --password-file "$T/pw"
is "$rc" 2 "--password-file without --ledger is a usage error"
cp "$R/erasures" "$T/erasures.good"
sed -i '2s/Art. 17/Art. 18/' "$R/erasures"
run xpdump --dsn "$D" -t people --ledger "$R" -o "$T/g.tar"
like "$rc.$err" "3.xpdump: --ledger $R: erasures: line 2: signature does not verify*" "a damaged ledger: status 3"
is "$([ -e "$T/g.tar" ] && echo written)" "" "and nothing is written"
run xpdump --dsn "$D" -t people --ledger "$T/nowhere" -o "$T/g.tar"
is "$rc" 1 "not a repository: status 1"
cp "$T/erasures.good" "$R/erasures"

done_testing
