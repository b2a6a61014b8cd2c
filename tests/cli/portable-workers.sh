#!/bin/bash
# The paths that run a worker (a child process on POSIX, a thread on Windows), natively and under
# wine (make check-wine): a range of partitions opened as one stream, an erasure request and
# xperase --rewrite, a shreddable backup's key in the vault and its vault copy, a shred, a copy
# to a directory target, expire on the copies, xpverify on a copy; then the tamper cases of a
# host's pins: a replaced repository key, a foreign signer, a rolled-back catalog (status 3 each).
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 1000 10 2026-11-10
RID=$(sed -n 2p "$R/keys/repo.id")
V=$XP_STATE_DIR/vault/$RID
count() { sqlite3 "$T/db" "select count(*) from audit_log where $1"; }

# 1. Partitions and a range of them.
part() {
	XP_NOW=2026-11-10T00:00:00Z xpdump -q --dsn "$D" -t audit_log --time-column utc_time --since "$1" --until "$2" \
		>"$T/part.tar" &&
		XP_NOW=2026-11-10T00:00:00Z xpseal -q -r "$R" --require-dump --partition --source demo -i "$T/part.tar"
}
p1=$(part 2026-11-01T00:00:00Z 2026-11-03T00:00:00Z)
p2=$(part 2026-11-03T00:00:00Z 2026-11-06T00:00:00Z)
like "$p1:$p2" "[0-9a-f]*:[0-9a-f]*" "two partitions sealed"
run xpseal open -r "$R" --source demo --since 2026-11-02T00:00:00Z --until 2026-11-04T00:00:00Z -o "$T/range.tar"
is "$rc:$err" "0:" "open --since/--until: both partitions as one stream"
is "$(tar -tf "$T/range.tar" | paste -sd' ')" "MANIFEST audit_log/000001.csv SUMMARY" \
	"one MANIFEST, the rows, one SUMMARY"
want=$(count "utc_time >= '2026-11-01' and utc_time < '2026-11-06'")
is "$(tar -xOf "$T/range.tar" SUMMARY | awk -F'\t' '$1 == "table" { print $3 }')" "$want" \
	"SUMMARY counts every row of both windows"
run xprestore -q --dsn "$(sqlite_dsn "$T/range.db")" --create -i "$T/range.tar"
is "$rc:$(sqlite3 "$T/range.db" 'select count(*) from audit_log')" "0:$want" "xprestore loads them all"
run xpseal open -r "$R" --source demo --since 2026-10-30T00:00:00Z --until 2026-11-02T00:00:00Z -o "$T/head.tar"
is "$rc:$err" "1:xpseal: $R: no partition of source demo covers 2026-10-30T00:00:00Z to 2026-11-01T00:00:00Z: the range's rows of that time are in no backup (--partial opens the rest)" \
	"a range before the first partition: status 1, naming the uncovered times"
ok "$([ ! -e "$T/head.tar" ])$?" "and no output file is left"

# 2. The vault, a vault copy, a shred.
mkdir "$T/disk1"
run xpseal vault add -r "$R" "$T/disk1"
like "$rc:$out" "0:vault copy *$T/disk1: registered" "a vault copy is registered (Windows: as Z:$T/disk1)"
head -c 70000 /dev/urandom >"$T/data"
s=$(XP_NOW=2026-11-10T02:00:00Z xpseal -r "$R" --shreddable -i "$T/data")
ok "$(cmp -s "$V/$s.key" "$T/disk1/$RID/$s.key")$?" "a shreddable backup's key is in the vault and its copy"
xpseal open -r "$R" "$s" | cmp -s - "$T/data"
ok $? "it opens while its key is there"
cp -a "$R" "$T/before"
run xpexpire -r "$R" --shred "$s" --reason "erasure request 7"
is "$rc:$out" "0:shredded $s" "xpexpire --shred"
ok "$([ ! -e "$V/$s.key" ] && [ ! -e "$T/disk1/$RID/$s.key" ])$?" "the key is gone from the vault and its copy"
for r in "$R" "$T/before"; do
	run xpseal open -r "$r" "$s"
	like "$rc:$out:$err" "1::*backup $s: key shredded or vault missing*" "${r#"$T"/}: the shredded backup opens no more"
done

# 3. An erasure request and the rewrite.
b=$(XP_NOW=2026-11-10T01:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time |
	XP_NOW=2026-11-10T01:00:00Z xpseal -q -r "$R" --require-dump)
smith=$(count "user_name = 'CORP\\j.smith'")
XP_NOW=2026-11-11T00:00:00Z run xperase -r "$R" --ref CASE-17 --reason "Art. 17 request" -t audit_log \
	--value 'user_name=CORP\j.smith'
is "$rc" 0 "xperase records a request"
xpseal open -r "$R" "$b" -o "$T/ledger.tar" 2>/dev/null
xprestore -q --dsn "$(sqlite_dsn "$T/ledger.db")" --create -i "$T/ledger.tar"
is "$(sqlite3 "$T/ledger.db" "select count(*) from audit_log where user_name = 'CORP\\j.smith'"):$(sqlite3 "$T/ledger.db" 'select count(*) from audit_log')" \
	"0:$((1000 - smith))" "open withholds the request's rows"
run xperase -r "$R" --rewrite
nb=$(sed -n "s/^$b: $smith rows erased, $smith by CASE-17; replaced by \([0-9a-f]*\)\$/\1/p" <<<"$out")
is "$rc:${#nb}" "0:32" "xperase --rewrite re-seals the backup without them, naming its new id"
like "$out" "*$R: 3 backups rewritten, * rows erased" "with a total (the partitions too)"
xpseal open -r "$R" "$nb" --ignore-erasures -o "$T/nb.tar" 2>/dev/null
xprestore -q --dsn "$(sqlite_dsn "$T/nb.db")" --create -i "$T/nb.tar"
is "$(sqlite3 "$T/nb.db" 'select count(*) from audit_log'):$(sqlite3 "$T/nb.db" "select count(*) from audit_log where user_name = 'CORP\\j.smith'")" \
	"$((1000 - smith)):0" "the rows are gone for good"
ok "$([ ! -e "$R/data/${b:0:2}/$b.xps" ])$?" "the old file is gone"

# 4. Copies to a directory target.
C=$T/nas
run xpcopy add -r "$R" --jurisdiction eu nas "$C"
is "$rc:$out:$err" "0::" "a directory target is registered"
run xpcopy -r "$R" nas
is "$rc" 0 "xpcopy copies to it"
n=$(awk -F'\t' '$1 !~ /^#/ && $2 == "sealed"' "$R/catalog" | wc -l)
is "$(cd "$C" && find data -name '*.xps*' | sort)" "$(cd "$R" && find data -name '*.xps*' | sort)" \
	"every backup file is on the copy"
run xpverify -r "$C" --deep
is "$rc:$(grep -c 'deep check passed' <<<"$out")" "0:$n" "xpverify --deep on the copy: each sealed backup (not the shredded one)"
run xpverify -r "$R" --copies
like "$rc:$out" "0:*nas*" "xpverify --copies names the copy, no findings"
XP_NOW=2026-11-20T00:00:00Z run xpexpire -r "$R" --keep-last 1
is "$rc" 0 "expire with a copy"
run xpcopy -r "$R" nas
is "$rc" 0 "the next copy run"
is "$(find "$C/data" -name '*.xps' | wc -l)" "$(find "$R/data" -name '*.xps' | wc -l)" \
	"the expired backups go from the copy too"
run xpverify -r "$C"
is "$rc" 0 "and the copy still verifies"

# 5. Tampering with what the host pinned.
password "$T/evilpw" 'evil password'
XP_STATE_DIR=$T/evilstate xpseal init -r "$T/evil" --password-file "$T/evilpw" --signing-key "$T/evil.key" >/dev/null 2>&1
cp "$R/keys/repo.pub" "$T/repo.pub.good"
cp "$T/evil/keys/repo.pub" "$R/keys/repo.pub"
run xpseal -r "$R" -i "$T/data"
like "$rc:$err" "3:xpseal: $R: keys/repo.pub: repository key * is not the key * pinned on this host; if this change was intended: xpseal trust --reset -r $R" \
	"a replaced repository key: status 3, naming the pin"
cp "$T/repo.pub.good" "$R/keys/repo.pub"
cp "$R/keys/signer.pub" "$T/signer.pub.good"
cp "$T/evil/keys/signer.pub" "$R/keys/signer.pub"
run xpverify -r "$R"
like "$rc:$err" "3:xpverify: $R: keys/signer.pub: signer * is not the signer pinned on this host (*); if this change was intended: xpseal trust --reset -r $R" \
	"a foreign signer: status 3, naming the pin"
cp "$T/signer.pub.good" "$R/keys/signer.pub"
cp "$R/catalog" "$T/catalog.old" && cp "$R/catalog.minisig" "$T/catalog.minisig.old" && cp "$R/journal" "$T/journal.old"
x=$(xpseal -r "$R" -i "$T/data")
cp "$T/catalog.old" "$R/catalog" && cp "$T/catalog.minisig.old" "$R/catalog.minisig" && cp "$T/journal.old" "$R/journal"
rm "$R/data/${x:0:2}/$x".xps*
run xpverify -r "$R"
like "$rc:$err" "3:xpverify: $R: catalog: older than the one this host has seen (written at journal event *, not *: rolled back?); if this change was intended: xpseal trust --reset -r $R" \
	"a rolled-back catalog: status 3"
run xpexpire -r "$R" --keep-last 1
like "$rc:$err" "3:xpexpire: $R: catalog: older than the one this host has seen*" "xpexpire refuses it too"

done_testing
