#!/bin/bash
# Restore drills obey the erasure ledger: xpverify --drill and xpbackup-drill restore a backup
# through it, count and say the rows it withholds; a ledger that cannot be read fails the
# drill (status 3 for a damaged one) unless told to ignore it, which is loud and journaled.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
# xpbackup-drill runs the tools it finds on PATH
PATH=$XP_BUILDDIR/src/xpseal:$XP_BUILDDIR/src/xprestore:$PATH
demo_repo 1500 10 2026-11-20
sqlite3 "$T/db" "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
	INSERT INTO people VALUES (1, 'CORP\\j.smith'), (2, 'Pat'), (3, NULL)"
q() { sqlite3 "$T/db" "$1"; }
old=$(XP_NOW=2026-11-21T00:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time -t people |
	XP_NOW=2026-11-21T00:00:00Z xpseal -q -r "$R" --require-dump)
smith=$(q "select count(*) from audit_log where user_name = 'CORP\\j.smith'")
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-17 --reason "Art. 17" -t audit_log -t people \
	--value 'user_name=CORP\j.smith' --value 'name=CORP\j.smith' >/dev/null
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-18 --reason retention -t audit_log \
	--interval 2026-11-12T00:00:00Z/2026-11-13T00:00:00Z >/dev/null
iv=$(q "select count(*) from audit_log where utc_time >= '2026-11-12' and utc_time < '2026-11-13' and user_name is not 'CORP\\j.smith'")
# the live database as the requests leave it
q "delete from audit_log where user_name = 'CORP\\j.smith' or (utc_time >= '2026-11-12' and utc_time < '2026-11-13');
	delete from people where name = 'CORP\\j.smith'"
kept=$((1500 - smith - iv + 2))
S=$(sqlite_dsn "$T/scratch.db")

run xpverify -r "$R" --drill "$S" "$old"
is "$rc" 0 "xpverify --drill through the ledger: status 0"
is "$out" "$old: good signature
$old: deep check passed: 2 tables, 1503 rows
$old: drill passed: 2 tables, $kept rows restored and compared, $((smith + 1 + iv)) withheld by erasure requests
$old: $((smith + 1)) rows withheld by erasure request CASE-17
$old: $iv rows withheld by erasure request CASE-18" "the drill restores and compares what a restore keeps, and says what it withheld"
like "$(grep '	drill	' "$R/journal" | tail -n1)" "*	drill passed: 2 tables, $kept rows restored and compared, $((smith + 1 + iv)) withheld by erasure requests	*" \
	"the journal records it"
run xpverify -r "$R" --drill "$S" --json "$old"
like "$out" "*\"drill\":{\"status\":\"passed\",\"tables\":2,\"rows\":$kept,\"withheld\":$((smith + 1 + iv))}*" "--json counts them"

# xpbackup-drill: the restore has exactly the live database's rows
run "$XP_SRCDIR/scripts/xpbackup-drill" -r "$R" -S "$T/db" "$old"
is "$rc" 0 "xpbackup-drill through the ledger: status 0"
is "$out" "xpbackup-drill: $old: table audit_log: SUMMARY $((kept - 2)), restored $((kept - 2)), source $((kept - 2))
xpbackup-drill: $old: table people: SUMMARY 2, restored 2, source 2
xpbackup-drill: $old: 2 table(s) restored, row counts match; $((smith + 1 + iv)) row(s) withheld by erasure requests" \
	"its counts match the live database after the erasure, and it says how many rows were withheld"
is "$err" "xpseal: $((smith + 1)) rows withheld by erasure request CASE-17
xpseal: $iv rows withheld by erasure request CASE-18" "per request"

# a damaged ledger fails the drills
cp "$R/erasures" "$T/erasures.good"
sed -i '2s/Art. 17/Art. 18/' "$R/erasures"
run xpverify -r "$R" --drill "$S" "$old"
is "$rc" 3 "xpverify --drill with an edited ledger: status 3"
like "$err" "xpverify: $old: drill failed: the erasure ledger cannot be applied: erasures: line 2: signature does not verify with the trusted signer (nothing restored; --ignore-erasures drills every row)" \
	"saying why"
is "$(sqlite3 "$T/scratch.db" "select count(*) from sqlite_master")" 0 "and nothing was restored"
run "$XP_SRCDIR/scripts/xpbackup-drill" -r "$R" "$old"
is "$rc" 3 "xpbackup-drill with an edited ledger: status 3"
rm "$R/erasures"
run xpverify -r "$R" --drill "$S" "$old"
like "$rc.$err" "3.*drill failed: the erasure ledger cannot be applied: erasures: the request journaled at journal line *" \
	"a deleted ledger: status 3"

# told to ignore it: every row, loudly and on record
run xpverify -r "$R" --drill "$S" --ignore-erasures "$old"
is "$rc" 0 "--ignore-erasures drills anyway"
like "$out" "*$old: drill passed: 2 tables, 1503 rows restored and compared" "every row"
like "$err" "xpverify: WARNING: $R: the erasure ledger is NOT applied: drills restore rows that erasure requests cover (*" \
	"saying so loudly"
like "$(grep '	erasures-ignored	' "$R/journal" | tail -n1)" "*	erasures-ignored	drilled with --ignore-erasures: *	drill	*" "and journaling it"
run "$XP_SRCDIR/scripts/xpbackup-drill" -r "$R" -I "$old"
is "$rc.$(tail -n1 <<<"$out")" "0.xpbackup-drill: $old: 2 table(s) restored, row counts match" "xpbackup-drill -I restores every row"
like "$err" "xpseal: WARNING: $old: the erasure ledger is NOT applied: *" "loudly"
run xpverify -r "$R" --ignore-erasures
is "$rc" 2 "--ignore-erasures without --drill is a usage error"
cp "$T/erasures.good" "$R/erasures"
run xpverify -r "$R" --drill "$S" "$old"
is "$rc" 0 "the ledger put back: the drill passes again"

# the reason a drill fails is said whole, with its advice, when the ledger's message is long
ref=CASE-$(printf 'x%.0s' $(seq 1 320))
XP_NOW=2026-11-23T00:00:00Z xperase -r "$R" --ref "$ref" --reason r -t audit_log \
	--interval 2026-11-14T00:00:00Z/2026-11-15T00:00:00Z >/dev/null
head -n -1 "$R/erasures" >"$T/erasures.cut" && cat "$T/erasures.cut" >"$R/erasures"
run xpverify -r "$R" --drill "$S" "$old"
like "$rc.$err" "3.xpverify: $old: drill failed: the erasure ledger cannot be applied: erasures: the request journaled at journal line * ($ref: 1 table, 0 values, 1 interval) is missing from the ledger or was changed (nothing restored; --ignore-erasures drills every row)*" \
	"a long reason: the drill's message is whole, to its advice"

done_testing
