#!/bin/bash
# xpverify --against: each partition's rows compared with the source's rows of its window now,
# by key and by hash, never by content: a changed row, a row that appeared and one that
# vanished are found by count and key; rows the source's own retention dropped are not.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 500 5 2026-11-05
part() {
	id=$(xpdump -q --dsn "$D" -t audit_log --time-column utc_time --since "$1" --until "$2" |
		xpseal -q -r "$R" --require-dump --partition --source demo)
}
part 2026-11-01T00:00:00Z 2026-11-03T00:00:00Z
p1=$id
part 2026-11-03T00:00:00Z 2026-11-06T00:00:00Z
p2=$id
q() { sqlite3 "$T/db" "$@"; }

run xpverify -r "$R" --against "$D"
is "$rc" 0 "a source as it was sealed: status 0"
is "$(printf '%s\n' "$out" | grep -v 'good signature')" "catalog and journal: no findings
$p1 (2026-11-01T00:00:00Z to 2026-11-03T00:00:00Z): audit_log: 200 rows as sealed
$p2 (2026-11-03T00:00:00Z to 2026-11-06T00:00:00Z): audit_log: 300 rows as sealed
against the source: 2 partition(s) compared: no differences" "one line per partition and table"

# a row edited after the fact: found by key, its content never shown
q "update audit_log set message = 'nothing happened here' where id = 42"
run xpverify -r "$R" --against "$D"
is "$rc" 3 "a changed source row: status 3"
is "$err" "xpverify: $p1 (2026-11-01T00:00:00Z to 2026-11-03T00:00:00Z): audit_log: 200 rows sealed, 200 in the source now: changed 1 (key 42), appeared 0, vanished 0" \
	"named by its key and counted"
case $out$err in *"nothing happened"*) ok 1 "the content is never shown" ;; *) ok 0 "the content is never shown" ;; esac

# a row removed and one added inside a sealed window
q "delete from audit_log where id = 350; insert into audit_log (id, utc_time, category, action, result) values (9001, '2026-11-04 12:00:00', 'Audit', 'added later', 'Success')"
run xpverify -r "$R" --against "$D" --source demo
is "$rc" 3 "a vanished row: status 3"
like "$err" "*$p2 (2026-11-03T00:00:00Z to 2026-11-06T00:00:00Z): audit_log: 300 rows sealed, 300 in the source now: changed 0, appeared 1 (key 9001), vanished 1 (key 350)*" \
	"appeared and vanished, by key"

# the source's own retention: rows before its oldest row are not findings
"$XP_SRCDIR/examples/make-demo-db" -f -n 500 -d 5 -e 2026-11-05 "$T/db" >/dev/null
q "delete from audit_log where utc_time < '2026-11-02 00:00:00'"
run xpverify -r "$R" --against "$D"
is "$rc" 0 "rows the source dropped by its own retention: status 0"
like "$out" "*$p1 (2026-11-01T00:00:00Z to 2026-11-03T00:00:00Z): audit_log: 200 rows sealed, 100 still in the source (the rest is older than its oldest row, 2026-11-02T*): as sealed*" \
	"they are said to be older than what the source holds"
q "insert into audit_log (id, utc_time, category, action, result) values (9002, '2026-11-05 23:00:00', 'Audit', 'late', 'Success')"
run xpverify -r "$R" --against "$D"
is "$rc" 1 "a row that only appeared (a late row): status 1"
like "$err" "*changed 0, appeared 1 (key 9002), vanished 0*" "named by its key"

# usage and failures
run xpverify -r "$R" --against "$D" "$p1"
is "$rc" 2 "--against with an id: usage error"
run xpverify -r "$R" --key id
is "$rc" 2 "--key without --against: usage error"
run xpverify -r "$R" --against "$D" --key nosuch
is "$rc" 2 "an unknown key column: status 2"
like "$err" "*audit_log: no key column nosuch*" "naming it"
run xpverify -r "$R" --against "Driver=SQLite3;Database=$T/nosuch/db"
is "$rc" 1 "a source that cannot be read: status 1"
run xpverify -r "$R" --against "$D" --source other
is "$rc" 1 "no partition of that source: status 1"
like "$err" "*no partition of source other to compare with the source*" "saying so"

done_testing
