# The fixture of the erasure tests (erase.sh, erase-rewrite.sh), sourced after tests/lib.sh:
# the demo repository and audit log of 2000 rows over 10 days up to 2026-11-20 (demo_repo),
# and a second table, people, whose matched column holds quotes, a comma, a newline, NULL and
# trailing spaces; partition_repo makes a repository of partitions.
# shellcheck shell=bash
need_sqlite
demo_repo 2000 10 2026-11-20
sqlite3 "$T/db" "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, note TEXT);
	INSERT INTO people VALUES (1, 'O''Brien, \"Pat\"', 'a'), (2, 'line one' || char(10) || 'line two', 'b'),
	(3, NULL, 'c'), (4, 'CORP\\j.smith', 'd'), (5, 'CORP\\j.smith ', 'e'), (6, 'corp\\j.smith', 'f')"
# q SQL: a query on the source database
q() { sqlite3 "$T/db" "$1"; }
# cnt DB SQL: a query on the database DB
cnt() { sqlite3 "$1" "$2"; }
# backup NOW [XPSEAL-OPTIONS]: a dump of both tables sealed at NOW; its id in $id
backup() {
	local now=$1
	shift
	# shellcheck disable=SC2034 # for the test that sources this
	id=$(XP_NOW=$now xpdump -q --dsn "$D" -t audit_log:utc_time -t people |
		XP_NOW=$now xpseal -q -r "$R" --require-dump "$@")
}
# partition_repo: a second repository $P holding the audit log as two partitions of source
# demo, 2026-11-11 to 2026-11-16 and 2026-11-16 to 2026-11-21, sealed on 2026-11-21
partition_repo() {
	local w
	P=$T/prepo
	xpseal init -r "$P" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
	for w in 2026-11-11T00:00:00Z/2026-11-16T00:00:00Z 2026-11-16T00:00:00Z/2026-11-21T00:00:00Z; do
		XP_NOW=2026-11-21T00:00:00Z xpdump -q --dsn "$D" -t audit_log --time-column utc_time \
			--since "${w%/*}" --until "${w#*/}" |
			XP_NOW=2026-11-21T00:00:00Z xpseal -q -r "$P" --require-dump --partition --source demo >/dev/null
	done
}
