#!/bin/bash
# xperase refuses (status 2) a request that names a table or column that no cataloged backup
# holds, or intervals over tables without a time column: it would erase nothing, and the
# ledger keeps every entry for good. --force records it with a warning; a repository without
# a backup to check against records it and says so. Names found only in an older backup count.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 300 5 2026-11-20
sqlite3 "$T/db" "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO people VALUES (1, 'Pat')"
# shellcheck disable=SC2317 # called through run
erase() { XP_NOW=2026-11-22T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --reason r "$@"; }
entries() { grep -vc '^#' "$R/erasures" 2>/dev/null || true; }

run erase --ref CASE-0 -t audit_log --value user_name=x
is "$rc.$err" "0.xperase: $R: the repository holds no backup to check the names against: CASE-0 is recorded unchecked" \
	"no backup yet: recorded, saying it was not checked"

# an older backup holds both tables, the newest only the audit log
XP_NOW=2026-11-20T00:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time -t people |
	XP_NOW=2026-11-20T00:00:00Z xpseal -q -r "$R" --require-dump >/dev/null
XP_NOW=2026-11-21T00:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time |
	XP_NOW=2026-11-21T00:00:00Z xpseal -q -r "$R" --require-dump >/dev/null

run erase --ref CASE-1 -t audit_lgo --value user_name=x
is "$rc.$err" "2.xperase: CASE-1: table audit_lgo is in no backup: it would erase nothing there (nothing recorded; --force records it)" \
	"a table in no backup: refused with status 2"
is "$(entries)" 1 "nothing recorded"
run erase --ref CASE-2 -t audit_log --value user_nam=x --value client_address=10.0.0.1
is "$rc.$err" "2.xperase: CASE-2: column user_nam is in none of the tables named: it would erase nothing there (nothing recorded; --force records it)" \
	"a column in none of the tables named: refused"
run erase --ref CASE-3 -t people --interval 2026-11-17T00:00:00Z/2026-11-18T00:00:00Z
is "$rc.$err" "2.xperase: CASE-3: no table named has a time column: an interval covers none of its rows: it would erase nothing there (nothing recorded; --force records it)" \
	"intervals over a table without a time column: refused"
run erase --ref CASE-4 -t people -t audt_log --value name=x --value user_name=y --interval 2026-11-17T00:00:00Z/2026-11-18T00:00:00Z
is "$rc.$err" "2.xperase: CASE-4: table audt_log is in no backup; column user_name is in none of the tables named; no table named has a time column: an interval covers none of its rows: it would erase nothing there (nothing recorded; --force records it)" \
	"every problem named at once"
is "$(entries)" 1 "still nothing recorded"

run erase --ref CASE-5 -t people --value name=Pat
is "$rc.$err" "0." "a table only an older backup holds: recorded, silently"
run erase --ref CASE-6 -t audit_log -t people --value name=Pat --interval 2026-11-17T00:00:00Z/2026-11-18T00:00:00Z
is "$rc.$err" "0." "a value in one table, the time column in another: recorded"
run erase --ref CASE-7 -t audit_lgo --value user_name=x --force
is "$rc.$err" "0.xperase: WARNING: CASE-7: table audit_lgo is in no backup: it erases nothing there (recorded: --force)" \
	"--force records it, with a warning"
is "$(cut -f2 "$R/erasures" | sed 1d | tr '\n' ' ')" "CASE-0 CASE-5 CASE-6 CASE-7 " "the ledger holds exactly the requests recorded"
run xperase -r "$R" --list --force
is "$rc" 2 "--force applies to a request only"

done_testing
