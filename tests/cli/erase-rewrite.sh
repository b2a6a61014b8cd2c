#!/bin/bash
# xperase --rewrite: every backup holding rows a later erasure request covers is re-sealed
# without them and replaces the old one in the catalog (journaled "erasing", "deleted",
# "erased" with the references and counts, never a value); the data window is recomputed;
# NULLs, quotes and newlines in the matched column; several tables; a shreddable backup gets a
# new key and the old one is destroyed; --dry-run changes nothing; a tampered ledger rewrites
# nothing (status 3); a backup on legal hold is refused (status 1); copies lose the old file;
# partitions stay continuous, an emptied one stays, empty.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=tests/cli/erase-lib.sh
. "$XP_SRCDIR/tests/cli/erase-lib.sh"
# load TAR DB: the dump stream TAR into a new SQLite database DB
load() { xprestore -q --dsn "$(sqlite_dsn "$2")" --create -i "$1"; }
cat_field() { awk -F'\t' -v id="$1" -v f="$2" '$1 == id { print $f }' "$R/catalog"; }
ids() { awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog" | sort | paste -sd' '; }
files() { find "$R/data" -type f ! -name '.*' | sed 's|.*/||' | LC_ALL=C sort | paste -sd' '; }

backup 2026-11-21T00:00:00Z
a=$id
backup 2026-11-21T06:00:00Z --shreddable
s=$id
backup 2026-11-21T12:00:00Z
h=$id
created_a=$(cat_field "$a" 3)
RID=$(sed -n 2p "$R/keys/repo.id")
V=$XP_STATE_DIR/vault/$RID
cp "$R/data/${s:0:2}/$s.xps" "$R/data/${s:0:2}/$s.xps.minisig" "$T/"

smith=$(q "select count(*) from audit_log where user_name = 'CORP\\j.smith'")
day1=$(q "select count(*) from audit_log where utc_time < '2026-11-12' and user_name is not 'CORP\\j.smith'")
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-17 --reason "Art. 17 request" -t audit_log \
	--value 'user_name=CORP\j.smith' >/dev/null
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-18 --reason retention -t audit_log \
	--interval 2000-01-01T00:00:00Z/2026-11-12T00:00:00Z >/dev/null
XP_NOW=2026-11-22T00:00:00Z xperase -r "$R" --ref CASE-20 --reason "subject request" -t people \
	--value "name=O'Brien, \"Pat\"" --value "name=line one
line two" --value 'name=CORP\j.smith' >/dev/null
covered=$((smith + day1 + 3))
# what an open through the ledger gives, before any rewrite
xpseal open -r "$R" "$a" -o "$T/a-ledger.tar" 2>/dev/null
load "$T/a-ledger.tar" "$T/a-ledger.db"
xpexpire -r "$R" --hold "$h" --reason "court order 12" >/dev/null

# --dry-run
cp "$R/catalog" "$T/catalog.before"
cp "$R/journal" "$T/journal.before"
run xperase -r "$R" --rewrite --dry-run
want_counts="$covered rows, $smith by CASE-17, $day1 by CASE-18, 3 by CASE-20"
is "$rc.$(sort <<<"$out")" "0.$(sort <<<"$a: $want_counts
$s: $want_counts
$h: $want_counts")" "--rewrite --dry-run says which backups hold how many rows of which request"
ok "$(cmp -s "$R/catalog" "$T/catalog.before" && cmp -s "$R/journal" "$T/journal.before"; echo $?)" \
	"and changes neither catalog nor journal"

# a tampered ledger rewrites nothing
cp "$R/erasures" "$T/erasures.good"
sed -i '2s/Art. 17 request/Art. 17 requests/' "$R/erasures"
run xperase -r "$R" --rewrite
like "$rc.$err" "3.xperase: erasures: line 2: signature does not verify*" "a tampered ledger: status 3, naming the line"
ok "$(cmp -s "$R/catalog" "$T/catalog.before" && cmp -s "$R/journal" "$T/journal.before"; echo $?)" \
	"and nothing is rewritten"
cp "$T/erasures.good" "$R/erasures"

# the rewrite
run xperase -r "$R" --rewrite
is "$rc" 1 "a backup on legal hold holding covered rows: status 1"
is "$err" "xperase: $h: on legal hold: $covered rows the ledger covers not erased (xpexpire --release $h, then xperase --rewrite again)
xperase: $R: 1 backup on legal hold not rewritten" "naming it and what to do"
na=$(sed -n "s/^$a: $covered rows erased, $smith by CASE-17, $day1 by CASE-18, 3 by CASE-20; replaced by \([0-9a-f]*\)\$/\1/p" <<<"$out")
ns=$(sed -n "s/^$s: $covered rows erased, $smith by CASE-17, $day1 by CASE-18, 3 by CASE-20; replaced by \([0-9a-f]*\)\$/\1/p" <<<"$out")
is "${#na}.${#ns}" "32.32" "the others are rewritten, each saying how many rows of which request, and its new id"
like "$out" "*$R: 2 backups rewritten, $((2 * covered)) rows erased" "with a total"
is "$(ids)" "$(printf '%s\n' "$na" "$ns" "$h" | sort | paste -sd' ')" "the catalog lists the new backups instead of the old, and the held one"
is "$(files)" "$(for i in "$na" "$ns" "$h"; do printf '%s.xps\n%s.xps.minisig\n' "$i" "$i"; done | LC_ALL=C sort | paste -sd' ')" \
	"the old files are gone, the new ones there"
is "$(cat_field "$na" 3)" "$created_a" "the new backup keeps the creation time"
is "$(cat_field "$na" 4)" "$(q "select strftime('%Y-%m-%dT%H:%M:%SZ', min(utc_time)) from audit_log where utc_time >= '2026-11-12' and user_name is not 'CORP\\j.smith'")" \
	"its data window starts at the oldest row kept"
is "$(cat_field "$na" 10).$(cat_field "$ns" 10)" "no.yes" "each keeps its shreddable mode"
is "$(awk -F'\t' -v id="$a" '$2 == id { print $3 "|" $4 "|" $5 }' "$R/journal")" "sealed|-|-
erasing|CASE-17: $smith rows, CASE-18: $day1 rows, CASE-20: 3 rows|$na
deleted|erasure: replaced by $na|-
erased|CASE-17: $smith rows, CASE-18: $day1 rows, CASE-20: 3 rows|$na" \
	"journaled: the intent, the old one's deletion, the erasure, with references and counts"
ok "$(grep -rlF -e 'j.smith' -e "O'Brien" -e 'line two' "$R" | wc -l)" "no value in the clear anywhere"
run xpverify -r "$R"
is "$rc" 0 "xpverify accepts the repository after the rewrite"

# the rows are gone: through the ledger as before, and for good
run xpseal open -r "$R" "$na" -o "$T/na.tar"
is "$rc.$err" "0." "the new backup opens with nothing left to withhold"
ok "$(cmp -s "$T/na.tar" "$T/a-ledger.tar"; echo $?)" "it opens to the very stream the old one gave through the ledger"
load "$T/na.tar" "$T/na.db"
for t in audit_log people; do
	is "$(cnt "$T/na.db" "select * from $t order by 1")" "$(cnt "$T/a-ledger.db" "select * from $t order by 1")" \
		"$t: the same rows as the old backup opened through the ledger"
done
xpseal open -r "$R" "$na" --ignore-erasures -o "$T/na-all.tar" 2>"$T/ign.err" || cat "$T/ign.err"
load "$T/na-all.tar" "$T/na-all.db"
is "$(cnt "$T/na-all.db" 'select count(*) from audit_log')" $((2000 - smith - day1)) "with --ignore-erasures the rows are gone for good"
is "$(cnt "$T/na-all.db" "select count(*) from audit_log where user_name = 'CORP\\j.smith' or utc_time < '2026-11-12'")" 0 \
	"none of the covered rows is left"
is "$(cnt "$T/na-all.db" 'select group_concat(id) from (select id from people order by id)')" "3,5,6" \
	"quotes, commas and newlines matched exactly; NULL, trailing spaces and another case kept"
is "$(tar -xOf "$T/na-all.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $2 "=" $3 }' | paste -sd' ')" \
	"audit_log=$((2000 - smith - day1)) people=3" "its SUMMARY counts what it holds"

# the shreddable one: a new key, the old one destroyed
ok "$([ -e "$V/$ns.key" ] && [ ! -e "$V/$s.key" ]; echo $?)" "the new key is in the vault, the old one is gone"
is "$(grep -c "	$s	key-destroyed	host vault	" "$R/journal")" 1 "the old key's destruction is journaled"
run xpseal open -r "$R" "$T/$s.xps" -o /dev/null
like "$rc:$err" "1:*key shredded or vault missing*" "a copy of the old file made before opens no more"
run xpseal open -r "$R" "$ns" --ignore-erasures -o "$T/ns.tar"
is "$rc" 0 "the new one opens"

# a second run has nothing left to do
cp "$R/catalog" "$T/catalog.before"
run xperase -r "$R" --rewrite
is "$rc" 1 "a second run: the held backup is still refused"
like "$out" "*$R: 0 backups rewritten, 0 rows erased" "nothing else to rewrite"
ok "$(cmp -s "$R/catalog" "$T/catalog.before"; echo $?)" "and the catalog is unchanged"
run xperase -r "$R" --rewrite --skip-held
is "$rc" 0 "--skip-held: a held backup left as it is is no failure"
is "$err" "xperase: $h: on legal hold: kept as it is, with $covered rows the ledger covers, withheld from every restore (--skip-held)" \
	"it is still named, with what it keeps"
is "$out" "$R: 0 backups rewritten, 0 rows erased" "and nothing is rewritten"
ok "$(cmp -s "$R/catalog" "$T/catalog.before"; echo $?)" "the held backup stays in the catalog as it was"
run xperase -r "$R" --skip-held
is "$rc" 2 "--skip-held without --rewrite: usage error"
xpexpire -r "$R" --release "$h" >/dev/null
run xperase -r "$R" --rewrite
nh=$(sed -n "s/^$h: .*; replaced by \([0-9a-f]*\)\$/\1/p" <<<"$out")
is "$rc.${#nh}" "0.32" "released, it is rewritten"

# copies: the old file leaves the copy, the new one comes with the next xpcopy
C=$T/nas
xpcopy add -r "$R" --jurisdiction eu nas "$C" >/dev/null
xpcopy -r "$R" nas >/dev/null
XP_NOW=2026-11-23T00:00:00Z xperase -r "$R" --ref CASE-21 --reason "Art. 17 request" -t people --value 'note=f' >/dev/null
run xperase -r "$R" --rewrite
is "$rc.$(grep -c 'replaced by' <<<"$out")" "0.3" "a new request: the three backups are rewritten again"
for i in "$na" "$ns" "$nh"; do
	like "$out" "*deleted $i from nas*" "the replaced $i is deleted from the copy"
	ok "$([ ! -e "$C/data/${i:0:2}/$i.xps" ]; echo $?)" "its file is gone from the copy"
done
run xpverify -r "$R" --copies
is "$rc" 0 "xpverify --copies finds nothing foreign or changed on the copy"
xpcopy -r "$R" nas >/dev/null
run xpverify -r "$R" --copies
is "$rc" 0 "the next xpcopy copies the new backups, and the copy checks out"
is "$(find "$C/data" -name '*.xps' | sed 's|.*/||; s|\.xps$||' | sort | paste -sd' ')" "$(ids)" \
	"the copy holds exactly the backups of the catalog"

# a copy not reached: the old file stays there, reported as deleted from the repository, until
# a later run reaches it
XP_NOW=2026-11-24T00:00:00Z xperase -r "$R" --ref CASE-22 --reason "Art. 17 request" -t people --value 'note=e' >/dev/null
before=$(ids)
mv "$C" "$T/nas.away"
: >"$C" # a file where the copy's directory was: not reached
run xperase -r "$R" --rewrite
is "$rc.$(grep -c 'replaced by' <<<"$out")" "1.3" "a copy not reached: the backups are rewritten, status 1"
is "$err" "xperase: copy nas: $C: Not a directory (the next xperase --rewrite or xpexpire finishes it)
xperase: 1 of 1 copies not brought up to date" "saying so"
rm "$C" && mv "$T/nas.away" "$C"
run xpverify -r "$R" --copies
gone=$(for i in $before; do [ -e "$C/data/${i:0:2}/$i.xps" ] && echo "$i"; done | wc -l)
is "$rc.$gone" "1.3" "xpverify --copies: status 1 while the replaced backups are on the copy"
is "$(for i in $before; do printf 'xpverify: copy nas: data/%s/%s.xps%s: a backup deleted from the repository is still on the copy (xpexpire removes it)\n' \
	"${i:0:2}" "$i" "" "${i:0:2}" "$i" .minisig; done | sort)" "$(grep 'copy nas' <<<"$err" | sort)" "reported as deleted from the repository, not as foreign"
run xpexpire -r "$R" --keep-last 100
is "$rc.$(grep -c 'from nas' <<<"$out")" "0.3" "the next xpexpire deletes them from the copy"
xpcopy -r "$R" nas >/dev/null
run xpverify -r "$R" --copies
is "$rc" 0 "after the next xpcopy the copy checks out"

# partitions: continuity holds; a partition left with no row stays, empty
partition_repo
p1=$(awk -F'\t' '$13 == "2026-11-11T00:00:00Z" { print $1 }' "$P/catalog")
XP_NOW=2026-11-22T00:00:00Z xperase -r "$P" --ref CASE-30 --reason retention -t audit_log \
	--interval 2026-11-01T00:00:00Z/2026-11-16T00:00:00Z >/dev/null
run xperase -r "$P" --rewrite
like "$rc.$out" "0.$p1: $(q "select count(*) from audit_log where utc_time < '2026-11-16'") rows erased, * by CASE-30; replaced by *
$P: 1 backup rewritten, *" "an interval covering a whole partition: it alone is rewritten"
is "$(awk -F'\t' '$13 == "2026-11-11T00:00:00Z" { print ($1 != p) "|" $4 "|" $5 "|" $12 "|" $14 }' p="$p1" "$P/catalog")" \
	"1|-|-|partition|2026-11-16T00:00:00Z" "the emptied partition stays, a new backup with its window and no data window"
run xpseal open -r "$P" --source demo --since 2026-11-11T00:00:00Z --ignore-erasures -o "$T/range.tar"
is "$rc.$(tar -xOf "$T/range.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $3 }')" \
	"0.$(q "select count(*) from audit_log where utc_time >= '2026-11-16' and utc_time < '2026-11-21'")" \
	"the range still opens as one stream, holding only the rows kept"
run xpverify -r "$P"
is "$rc" 0 "xpverify: catalog, journal and continuity of the partitions hold"

done_testing
