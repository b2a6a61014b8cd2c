#!/bin/bash
# xpseal open --since/--until: the partitions of a source over a range as one valid dump
# stream that xprestore loads in one transaction; a gap, a damaged partition, an empty range
# refused; xpbackup-drill restores the newest N partitions or a chosen range.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 1000 10 2026-11-10
# part SOURCE SINCE UNTIL: seals the window as a partition of SOURCE; its id in $id
part() {
	id=$(xpdump -q --dsn "$D" -t audit_log --time-column utc_time --since "$2" --until "$3" |
		xpseal -q -r "$R" --require-dump --partition --source "$1")
}
part demo 2026-11-01T00:00:00Z 2026-11-02T00:00:00Z
part demo 2026-11-02T00:00:00Z 2026-11-03T00:00:00Z
part demo 2026-11-03T00:00:00Z 2026-11-05T00:00:00Z
id3=$id
part other 2026-11-01T00:00:00Z 2026-11-06T00:00:00Z
count() { sqlite3 "$T/db" "select count(*) from audit_log where utc_time >= '$1' and utc_time < '$2'"; }

run xpseal open -r "$R" --source demo --since 2026-11-01T12:00:00Z --until 2026-11-04T00:00:00Z -o "$T/range.tar"
is "$rc" 0 "three partitions open as one stream"
is "$(tar -tf "$T/range.tar" | paste -sd' ')" "MANIFEST audit_log/000001.csv SUMMARY" \
	"one MANIFEST, the table's rows, one SUMMARY"
is "$(tar -xOf "$T/range.tar" MANIFEST | grep -E '^(since|until)' | paste -sd' ')" \
	"since	2026-11-01T00:00:00Z until	2026-11-05T00:00:00Z" \
	"its window is that of the whole partitions that meet the range"
want=$(count 2026-11-01 2026-11-05)
is "$(tar -xOf "$T/range.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $3 }')" "$want" \
	"SUMMARY counts every row of the three windows"
run xprestore -q --dsn "$(sqlite_dsn "$T/scratch.db")" --create -i "$T/range.tar"
is "$rc" 0 "xprestore loads the stream"
is "$(sqlite3 "$T/scratch.db" 'select count(*) from audit_log')" "$want" "all of its rows, in one table"
is "$(sqlite3 "$T/scratch.db" 'select count(*) from audit_log' )" \
	"$(sqlite3 "$T/db" "select count(*) from audit_log where utc_time >= '2026-11-01' and utc_time < '2026-11-05'")" \
	"exactly the source's rows of that window"
xpseal open -r "$R" --source demo --since 2026-11-01T12:00:00Z --until 2026-11-04T00:00:00Z |
	xprestore -q --dsn "$(sqlite_dsn "$T/piped.db")" --create
is "$?" 0 "… | xprestore works on a pipe"
is "$(sqlite3 "$T/piped.db" 'select count(*) from audit_log')" "$want" "with the same rows"

run xpseal open -r "$R" --source other --until 2026-11-02T00:00:00Z -o "$T/other.tar"
is "$(tar -xOf "$T/other.tar" MANIFEST | grep -E '^(since|until)' | paste -sd' ')" \
	"since	2026-11-01T00:00:00Z until	2026-11-06T00:00:00Z" "--source chooses the partitions"
run xpseal open -r "$R" --source demo --since 2026-12-01T00:00:00Z
is "$rc" 1 "a range no partition meets: status 1"
like "$err" "*no partition of source demo meets the range*" "saying so"
run xpseal open -r "$R" --source demo --since 2026-11-02T00:00:00Z "$id3"
is "$rc" 2 "a range and an id: usage error"

# ends that no partition covers: their rows are in no backup, which must not read as "no rows"
run xpseal open -r "$R" --source demo --since 2026-10-30T00:00:00Z --until 2026-11-02T00:00:00Z -o "$T/head.tar"
is "$rc" 1 "a --since before the first partition is refused"
is "$err" "xpseal: $R: no partition of source demo covers 2026-10-30T00:00:00Z to 2026-11-01T00:00:00Z: the range's rows of that time are in no backup (--partial opens the rest)" \
	"naming the uncovered times"
[ ! -e "$T/head.tar" ]
ok $? "and no output file is left"
run xpseal open -r "$R" --source demo --since 2026-10-30T00:00:00Z --until 2026-11-08T00:00:00Z -o "$T/both.tar"
is "$rc" 1 "a range past both ends is refused"
like "$err" "*covers 2026-10-30T00:00:00Z to 2026-11-01T00:00:00Z and 2026-11-05T00:00:00Z to 2026-11-08T00:00:00Z: *" \
	"naming both ends"
run xpseal open -r "$R" --source demo --until 2026-11-08T00:00:00Z --partial -o "$T/tail.tar"
is "$rc" 0 "--partial accepts an uncovered end"
is "$err" "xpseal: $R: 2026-11-05T00:00:00Z to 2026-11-08T00:00:00Z of the range is in no partition: the stream holds only what the partitions cover" \
	"and names it on stderr"
is "$(tar -xOf "$T/tail.tar" MANIFEST | grep -E '^(since|until)' | paste -sd' ')" \
	"since	2026-11-01T00:00:00Z until	2026-11-05T00:00:00Z" "the stream's window is what the partitions cover"
run xpseal open -r "$R" --partial "$id3"
is "$rc" 2 "--partial without a range: usage error"
# a cataloged partition without rows covers its window
part empty 2025-01-01T00:00:00Z 2025-01-02T00:00:00Z
part empty 2025-01-02T00:00:00Z 2025-01-03T00:00:00Z
run xpseal open -r "$R" --source empty --since 2025-01-01T00:00:00Z --until 2025-01-03T00:00:00Z -o "$T/empty.tar"
is "$rc:$err" "0:" "a range of partitions without rows is no gap"
is "$(tar -xOf "$T/empty.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $3 }')" "0" "and its stream says: no rows"

# a gap: refused before anything is written
part demo 2026-11-06T00:00:00Z 2026-11-07T00:00:00Z
run xpseal open -r "$R" --source demo --since 2026-11-01T00:00:00Z -o "$T/gap.tar"
is "$rc" 1 "a range over a gap is refused"
like "$err" "*leave a gap from 2026-11-05T00:00:00Z to 2026-11-06T00:00:00Z: not one window*" \
	"naming the gap"
[ ! -e "$T/gap.tar" ]
ok $? "and no output file is left"

# a damaged partition: integrity failure, and no stream a reader would take
cp "$R/data/${id3:0:2}/$id3.xps" "$T/saved.xps"
printf 'X' | dd of="$R/data/${id3:0:2}/$id3.xps" bs=1 seek=400 conv=notrunc 2>/dev/null
run xpseal open -r "$R" --source demo --since 2026-11-01T00:00:00Z --until 2026-11-05T00:00:00Z -o "$T/bad.tar"
is "$rc" 3 "a damaged partition in the range: status 3"
like "$err" "*$id3*" "naming it"
[ ! -e "$T/bad.tar" ]
ok $? "no output file is left"
xpseal open -r "$R" --source demo --since 2026-11-01T00:00:00Z --until 2026-11-05T00:00:00Z 2>/dev/null |
	xprestore -q --dsn "$(sqlite_dsn "$T/bad.db")" --create 2>/dev/null
is "$?" 3 "what reached a pipe before is refused by xprestore"
cp "$T/saved.xps" "$R/data/${id3:0:2}/$id3.xps"

# the drill: the newest N partitions, or a chosen range
DRILL=$XP_SRCDIR/scripts/xpbackup-drill
PATH=$XP_BUILDDIR/src/xpseal:$XP_BUILDDIR/src/xprestore:$PATH
run "$DRILL" -r "$R" -s demo -n 1 -S "$T/db"
is "$rc" 0 "the drill restores the newest partition"
is "$out" "xpbackup-drill: demo 2026-11-06T00:00:00Z to 2026-11-07T00:00:00Z: table audit_log: SUMMARY $(count 2026-11-06 2026-11-07), restored $(count 2026-11-06 2026-11-07), source $(count 2026-11-06 2026-11-07)
xpbackup-drill: demo 2026-11-06T00:00:00Z to 2026-11-07T00:00:00Z: 1 table(s) restored, row counts match" \
	"and compares its rows with the source's in its window"
run "$DRILL" -r "$R" -s demo -F 2026-11-02T00:00:00Z -U 2026-11-05T00:00:00Z -S "$T/db"
is "$rc" 0 "the drill restores a chosen range"
like "$out" "*demo 2026-11-02T00:00:00Z to 2026-11-05T00:00:00Z: table audit_log: SUMMARY $(count 2026-11-02 2026-11-05), restored $(count 2026-11-02 2026-11-05), source $(count 2026-11-02 2026-11-05)*" \
	"two partitions in one"
run "$DRILL" -r "$R" -s demo -n 3
is "$rc" 1 "the newest three leave a gap: the drill fails"

done_testing
