#!/bin/bash
# xprestore refuses a truncated, tampered or concatenated dump stream: status 3, one line, and the target
# table exactly as it was (everything happens in one transaction, committed only after the
# SUMMARY check).
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

"$XP_SRCDIR/examples/make-demo-db" -n 3000 -e 2026-11-24 "$T/src.db"
xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit_log --chunk-size 65536 -o "$T/good.tar" ||
	{ echo "Bail out! xpdump failed"; exit 1; }
size=$(stat -c %s "$T/good.tar")
nchunks=$(tar tf "$T/good.tar" | grep -c '^audit_log/')
[ "$nchunks" -ge 3 ] || { echo "Bail out! want several chunks, got $nchunks"; exit 1; }

# the target: the same table holding three other rows
"$XP_SRCDIR/examples/make-demo-db" -n 0 "$T/dst.db"
sqlite3 "$T/dst.db" "INSERT INTO audit_log (id, utc_time, category, action, result)
	VALUES (100001, '2026-01-01 00:00:00', 'c', 'a', 'r'), (100002, '2026-01-01 00:00:01', 'c', 'a', 'r'),
	(100003, '2026-01-01 00:00:02', 'c', 'a', 'r')"
before=$(canon_sqlite "$T/dst.db" audit_log)
dst=$(sqlite_dsn "$T/dst.db")

# refused STREAM WHAT: status 3, a one-line message, the target unchanged.
refused() {
	run xprestore -q --dsn "$dst" -i "$1"
	diag "$err"
	is "$rc" 3 "$2: exits 3"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$2: says why in one line"
	like "$err" "xprestore: *" "$2: message names the tool"
	is "$(count_sqlite "$T/dst.db" audit_log)" 3 "$2: the table keeps its 3 rows and gains none"
	is "$(canon_sqlite "$T/dst.db" audit_log)" "$before" "$2: the table's content is unchanged"
}

# offsets: inside MANIFEST, inside the first chunk, in later chunks, inside SUMMARY's header
# and inside its text
summary_at=$(tar tvf "$T/good.tar" --block-number | awk '/SUMMARY/ { sub(":", "", $2); print $2 * 512 }')
for cut in 300 1500 $((size / 3)) $((size / 2)) $((summary_at + 100)) $((summary_at + 560)); do
	head -c "$cut" "$T/good.tar" >"$T/cut.tar"
	refused "$T/cut.tar" "stream cut at byte $cut of $size"
done

# one CSV byte changed in the second chunk, the archive rebuilt with the original SUMMARY
mkdir "$T/x"
tar -xf "$T/good.tar" -C "$T/x"
chunk=$(cd "$T/x" && ls audit_log | sed -n 2p)
printf 'X' | dd of="$T/x/audit_log/$chunk" bs=1 seek=1000 conv=notrunc status=none
(cd "$T/x" && tar --format=pax -cf "$T/tampered.tar" MANIFEST audit_log/* SUMMARY)
refused "$T/tampered.tar" "one byte changed in chunk $chunk"

# a quote that breaks the CSV itself
tar -xf "$T/good.tar" -C "$T/x"
printf '"' | dd of="$T/x/audit_log/$chunk" bs=1 seek=1000 conv=notrunc status=none
(cd "$T/x" && tar --format=pax -cf "$T/malformed.tar" MANIFEST audit_log/* SUMMARY)
refused "$T/malformed.tar" "a stray quote in chunk $chunk"

# a SUMMARY that claims one row less
tar -xf "$T/good.tar" -C "$T/x"
sed -i 's/^\(table\taudit_log\t\)3000\t/\12999\t/' "$T/x/SUMMARY"
grep -q "	2999	" "$T/x/SUMMARY" || echo "# SUMMARY edit did not apply"
(cd "$T/x" && tar --format=pax -cf "$T/summary.tar" MANIFEST audit_log/* SUMMARY)
refused "$T/summary.tar" "SUMMARY with a wrong row count"

# two streams one after the other (as "{ xpseal open A; xpseal open B; } | xprestore" makes):
# the second would be dropped without a word, so neither is loaded
cat "$T/good.tar" "$T/good.tar" >"$T/two.tar"
refused "$T/two.tar" "two dump streams concatenated"
like "$err" "xprestore: dump stream: data after its end of archive (one stream is read at a time)" \
	"two dump streams concatenated: the message says why"
{ cat "$T/good.tar" && echo more; } >"$T/more.tar"
refused "$T/more.tar" "a stream followed by other bytes"
{ cat "$T/good.tar" && head -c 20480 /dev/zero; } >"$T/zeros.tar"
run xprestore -q --dsn "$(sqlite_dsn "$T/zeros.db")" --create -i "$T/zeros.tar"
is "$rc:$(count_sqlite "$T/zeros.db" audit_log)" "0:3000" "zeros after the end of archive are padding: loaded"

# the untouched archive rebuilt by tar loads (so the refusals above are about the bytes)
tar -xf "$T/good.tar" -C "$T/x"
(cd "$T/x" && tar --format=pax -cf "$T/retarred.tar" MANIFEST audit_log/* SUMMARY)
run xprestore -q --dsn "$dst" -i "$T/retarred.tar"
is "$rc" 0 "the same files re-tarred unchanged load"
is "$(count_sqlite "$T/dst.db" audit_log)" 3003 "and add their 3000 rows"

# --create rolls back the CREATE TABLE too
head -c $((size / 2)) "$T/good.tar" >"$T/cut.tar"
run xprestore -q --dsn "$(sqlite_dsn "$T/new.db")" --create -i "$T/cut.tar"
is "$rc" 3 "--create from a cut stream exits 3"
is "$(sqlite3 "$T/new.db" "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'")" 0 \
	"and leaves no table behind"

done_testing
