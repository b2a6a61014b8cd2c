#!/bin/bash
# The erasure ledger: xperase records requests by value, by interval and both, over one or more
# tables, with no value in the clear; xpseal open withholds what a request made after the
# backup covers and says so; a ledger that was edited or lost an entry is refused (exit 3)
# unless --ignore-erasures, which is loud and journaled.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=tests/cli/erase-lib.sh
. "$XP_SRCDIR/tests/cli/erase-lib.sh"
# restore ID DB: xpseal open ID | xprestore into a new database DB
restore() { xpseal open -r "$R" "$1" 2>"$T/open.err" | xprestore -q --dsn "$(sqlite_dsn "$2")" --create; }

backup 2026-11-21T00:00:00Z
old=$id
restore "$old" "$T/before.db"
is "$(cnt "$T/before.db" 'select count(*) from audit_log')" 2000 "before any request, open restores every row"

run xperase -r "$R" --list
is "$rc.$out.$err" "0.$R: no erasure requests." "--list on an empty ledger says there is none, status 0"
xpseal init -r "$T/none" >/dev/null 2>&1
run xperase -r "$T/none" --dry-run
is "$rc.$out.$err" "0.$T/none: no dump backups: nothing to count." "--dry-run with no dump backup says so, status 0"

smith=$(q "select count(*) from audit_log where user_name = 'CORP\\j.smith'")
run env XP_NOW=2026-11-22T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --ref CASE-17 \
	--reason "Art. 17 request" -t audit_log --value 'user_name=CORP\j.smith'
is "$rc.$out" "0.$R: erasure request CASE-17 recorded: 1 table, 1 value, 0 intervals" "a request by value is recorded"
ok "$(grep -rlF 'j.smith' "$R" | wc -l)" "no file of the repository holds the value in the clear"
like "$(sed -n 2p "$R/erasures")" "2026-11-22T00:00:00Z	CASE-17	audit_log	user_name=????????????????????????????????????????????????????????????????	-	Art. 17 request	*" \
	"the ledger holds the column and a keyed hash of the value"
like "$(tail -n1 "$R/journal")" "*	erasure	CASE-17: 1 table, 1 value, 0 intervals	ledger *" "the request is journaled"

run xpseal open -r "$R" "$old" -o "$T/open.tar"
is "$rc.$err" "0.xpseal: $smith rows withheld by erasure request CASE-17" "open withholds the rows and says how many"
xprestore -q --dsn "$(sqlite_dsn "$T/after.db")" --create -i "$T/open.tar"
is "$(cnt "$T/after.db" 'select count(*) from audit_log')" $((2000 - smith)) "a restore of the old backup lacks them"
is "$(cnt "$T/after.db" "select count(*) from audit_log where user_name = 'CORP\\j.smith'")" 0 "none of that user's rows is left"
is "$(cnt "$T/after.db" 'select count(*) from people')" 6 "the table the request does not name is whole"
restore "$old" "$T/piped.db"
is "$(cnt "$T/piped.db" 'select count(*) from audit_log')" $((2000 - smith)) "xpseal open | xprestore withholds them too"

# an interval on its own, and a value within an interval over two tables
iv=$(q "select count(*) from audit_log where utc_time >= '2026-11-12' and utc_time < '2026-11-13' and user_name is not 'CORP\\j.smith'")
XP_NOW=2026-11-23T00:00:00Z xperase -r "$R" --ref CASE-18 --reason retention -t audit_log \
	--interval 2026-11-12T00:00:00Z/2026-11-13T00:00:00Z >/dev/null
addr=$(q "select client_address from audit_log where utc_time >= '2026-11-14' and utc_time < '2026-11-16' and client_address is not null group by 1 order by count(*) desc, 1 limit 1")
both=$(q "select count(*) from audit_log where utc_time >= '2026-11-14' and utc_time < '2026-11-16' and client_address = '$addr' and user_name is not 'CORP\\j.smith'")
XP_NOW=2026-11-23T00:00:00Z xperase -r "$R" --ref CASE-19 --reason "subject request" -t audit_log -t people \
	--value "client_address=$addr" --value "name=O'Brien, \"Pat\"" --value "name=line one
line two" --interval 2026-11-14T00:00:00Z/2026-11-16T00:00:00Z >/dev/null
XP_NOW=2026-11-23T00:00:00Z xperase -r "$R" --ref CASE-20 --reason "subject request" -t people \
	--value "name=O'Brien, \"Pat\"" --value "name=line one
line two" --value 'name=CORP\j.smith' >/dev/null
run xpseal open -r "$R" "$old" -o "$T/open2.tar"
is "$rc.$err" "0.xpseal: $smith rows withheld by erasure request CASE-17
xpseal: $iv rows withheld by erasure request CASE-18
xpseal: $both row$([ "$both" = 1 ] || echo s) withheld by erasure request CASE-19
xpseal: 3 rows withheld by erasure request CASE-20" \
	"each request counts the rows it withholds (value, interval, both, several tables; a table without a time column has no rows in an interval)"
xprestore -q --dsn "$(sqlite_dsn "$T/after2.db")" --create -i "$T/open2.tar"
is "$(cnt "$T/after2.db" 'select group_concat(id) from people order by id')" "3,5,6" \
	"quotes, commas and newlines match exactly; NULL, trailing spaces and another case do not"
is "$(cnt "$T/after2.db" 'select count(*) from audit_log')" $((2000 - smith - iv - both)) "the audit log lacks exactly those rows"
ok "$(grep -rlF -e 'O'"'"'Brien' -e 'line two' -e "$addr" "$R" | wc -l)" "still no value in the clear"

# a backup made after the requests is restored as it is (xpdump --exclude keeps rows out)
backup 2026-11-24T00:00:00Z
run xpseal open -r "$R" "$id" -o "$T/new.tar"
is "$rc.$err" "0." "a backup made after every request has nothing withheld"
run xperase -r "$R" --dry-run
is "$rc.$(sort <<<"$out")" "0.$(sort <<<"$old: $((smith + iv + both + 3)) rows, $smith by CASE-17, $iv by CASE-18, $both by CASE-19, 3 by CASE-20
$id: 0 rows")" "--dry-run says which backups hold how many rows of which request"

# tampering
cp "$R/erasures" "$T/erasures.good"
sed -i '2s/Art. 17 request/Art. 17 requests/' "$R/erasures"
run xpseal open -r "$R" "$old" -o "$T/x.tar"
is "$rc" 3 "an edited entry: open refuses with status 3"
like "$err" "xpseal: erasures: line 2: *nothing restored; --ignore-erasures restores everything)" "naming the line"
ok "$([ ! -e "$T/x.tar" ]; echo $?)" "and writes nothing"
run xpverify -r "$R"
is "$rc" 3 "xpverify finds the edited entry: status 3"
like "$err" "*xpverify: erasures: line 2: signature does not verify with the trusted signer*" "and says where"
head -n -1 "$T/erasures.good" >"$R/erasures"
run xpverify -r "$R"
like "$rc.$err" "3.*xpverify: erasures: the request journaled at journal line * (CASE-20: *) is missing*" \
	"xpverify finds a dropped entry"
run xpseal open -r "$R" "$old" -o "$T/x.tar"
is "$rc" 3 "a dropped last entry: status 3"
like "$err" "*the request journaled at journal line * (CASE-20: *) is missing from the ledger*" "the journal names it"
sed '3d' "$T/erasures.good" >"$R/erasures"
run xpseal open -r "$R" "$old" -o "$T/x.tar"
is "$rc" 3 "a dropped middle entry: status 3"
rm "$R/erasures"
run xpseal open -r "$R" "$old" -o "$T/x.tar"
is "$rc" 3 "a deleted ledger: status 3"
run xpseal open -r "$R" "$old" --ignore-erasures -o "$T/all.tar"
is "$rc" 0 "--ignore-erasures restores anyway"
like "$err" "xpseal: WARNING: $old: the erasure ledger is NOT applied: *" "saying so loudly"
like "$(tail -n1 "$R/journal")" "*	erasures-ignored	opened with --ignore-erasures: *	$old	*" "and journaling it"
xprestore -q --dsn "$(sqlite_dsn "$T/all.db")" --create -i "$T/all.tar"
is "$(cnt "$T/all.db" 'select count(*) from audit_log')" 2000 "with every row"
cp "$T/erasures.good" "$R/erasures"
run xpseal open -r "$R" "$old" -o "$T/x.tar"
is "$rc" 0 "the ledger put back: open works again"
run xpverify -r "$R"
is "$rc" 0 "and xpverify finds nothing"

# partitions opened as a range: the same filter
partition_repo
XP_NOW=2026-11-22T00:00:00Z xperase -r "$P" --ref CASE-17 --reason "Art. 17 request" -t audit_log \
	--value 'user_name=CORP\j.smith' >/dev/null
run xpseal open -r "$P" --source demo --since 2026-11-11T00:00:00Z -o "$T/range.tar"
is "$rc.$err" "0.xpseal: $smith rows withheld by erasure request CASE-17" "open --since withholds them from a range of partitions"
is "$(tar -xOf "$T/range.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $3 }')" $((2000 - smith)) \
	"and its SUMMARY counts the rows it holds"

# killed between the ledger and the journal: the request holds; a torn line is ignored, then cut
n=$(XP_FAULT_TRACE=1 xperase -r "$P" --ref CASE-21 --reason r -t audit_log --interval 2026-11-01/2026-11-02 2>&1 >/dev/null |
	sed -n 's/^xperase: fault point \([0-9]*\): erase-recorded$/\1/p')
ok "$([ -n "$n" ]; echo $?)" "the record has a fault point after the ledger's fsync"
lines=$(wc -l <"$P/erasures")
run env XP_FAULT_AT="$n" "$XP_BUILDDIR/src/xperase/xperase" -r "$P" --ref CASE-22 --reason r -t audit_log \
	--interval 2026-11-16T00:00:00Z/2026-11-17T00:00:00Z
is "$rc.$(wc -l <"$P/erasures").$(grep -c 'CASE-22' "$P/journal")" "137.$((lines + 1)).0" \
	"killed there: the entry is in the ledger, not yet journaled"
d16=$(q "select count(*) from audit_log where utc_time >= '2026-11-16' and utc_time < '2026-11-17' and user_name is not 'CORP\\j.smith'")
run xpseal open -r "$P" --source demo --since 2026-11-11T00:00:00Z -o "$T/range2.tar"
like "$rc.$err" "0.*xpseal: $d16 rows withheld by erasure request CASE-22" "the signed entry applies"
printf '2026-11-30T00:00:00Z\tCASE-23\taudit' >>"$P/erasures"
run xpseal open -r "$P" --source demo --since 2026-11-11T00:00:00Z -o "$T/range3.tar"
is "$rc" 0 "a torn last line (a crash mid-append) is ignored"
run xperase -r "$P" --ref CASE-24 --reason r -t audit_log --interval 2026-11-01T00:00:00Z/2026-11-02T00:00:00Z
is "$rc.$(grep -c CASE-23 "$P/erasures").$(tail -n1 "$P/erasures" | cut -f2)" "0.0.CASE-24" "the next request cuts it off"
run xperase -r "$P" --list
is "$rc" 0 "and the ledger checks out"

# a registered copy gets the ledger with the journal, and a restore from it obeys it
xpcopy add -r "$P" --jurisdiction eu nas "$T/nas" >/dev/null 2>&1
run xpcopy -q -r "$P"
is "$rc.$(cmp "$P/erasures" "$T/nas/erasures" && echo same)" "0.same" "xpcopy copies the ledger beside the journal"
run xpseal open -r "$T/nas" --source demo --since 2026-11-11T00:00:00Z -o "$T/range4.tar"
like "$rc.$err" "0.xpseal: $smith rows withheld by erasure request CASE-17*" "a restore from the copy withholds the rows too"

# recording needs the password and a whole request
run xperase -r "$R" --ref C-1 --reason r -t audit_log
is "$rc" 2 "a request without a value or interval is a usage error"
run xperase -r "$R" --ref 'C,1' --reason r -t audit_log --value user_name=x
is "$rc" 2 "a reference with a comma is refused"
password "$T/bad" 'wrong horse battery'
run xperase -r "$R" --password-file "$T/bad" --ref C-2 --reason r -t audit_log --value user_name=x
is "$rc" 3 "a wrong password: status 3"
run xperase -r "$R" --list
is "$rc" 0 "--list checks and lists the ledger"
is "$(printf '%s\n' "$out" | cut -d' ' -f1-3)" "2026-11-22T00:00:00Z  CASE-17
2026-11-23T00:00:00Z  CASE-18
2026-11-23T00:00:00Z  CASE-19
2026-11-23T00:00:00Z  CASE-20" "one line per request"

# a listing that could not be written is a failure, never status 0
xperase -r "$R" --list >/dev/full 2>"$T/full.err"
is "$?:$(cat "$T/full.err")" "1:xperase: standard output: No space left on device" \
	"--list into a full standard output: status 1, and says why"

done_testing
