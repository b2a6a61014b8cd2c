#!/bin/bash
# xpseal --require-dump: a dump that ends early, or whose chunks are not the ones its SUMMARY
# counts, is never sealed nor cataloged.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

password "$T/pw" 'correct horse'
export XP_SIGNING_KEY=$T/signer.key XP_PASSWORD_FILE=$T/pw
xpseal init -r "$T/repo" >/dev/null 2>&1
sqlite3 "$T/db" "CREATE TABLE t(id INTEGER, at TEXT); INSERT INTO t VALUES (1, '2026-11-24T03:00:00Z'), (2, '2026-11-25T03:00:00Z');"
xpdump -q --dsn "$(sqlite_dsn "$T/db")" -t t --time-column at -o "$T/dump.tar"
size=$(stat -c %s "$T/dump.tar")
# where the end-of-archive marker (two zero blocks) starts: after SUMMARY
eoa=$(($(tar -tR -f "$T/dump.tar" | sed -n 's/^block \([0-9]*\): \*\* Block of NULs.*/\1/p') * 512))

files() { find "$T/repo/data" -type f 2>/dev/null | wc -l; }
entries() { grep -vc '^#' "$T/repo/catalog" 2>/dev/null || true; }

run xpseal -r "$T/repo" --require-dump -q -i "$T/dump.tar"
is "$rc" 0 "a complete dump stream is sealed"
like "$out" "[0-9a-f][0-9a-f]*" "and its id printed"
is "$(files)" 2 "one .xps and its signature"
is "$(entries)" 1 "one catalog entry"

for cut in 511 1536 $((eoa - 1)) "$eoa" $((eoa + 512)) $((eoa + 1023)); do
	head -c "$cut" "$T/dump.tar" >"$T/cut.tar"
	run xpseal -r "$T/repo" --require-dump -q -i "$T/cut.tar"
	is "$rc" 1 "a dump cut at byte $cut of $size exits 1"
	is "$err" "xpseal: input is not a complete dump stream (no SUMMARY): nothing sealed" \
		"with one line saying nothing was sealed"
done
is "$(files)" 2 "no file was added by the refused streams"
is "$(entries)" 1 "nor any catalog entry"
is "$(find "$T/repo" -name '*.tmp.*' | wc -l)" 0 "and no temp file remains"

printf 'not a dump\n' >"$T/plain"
run xpseal -r "$T/repo" --require-dump -q -i "$T/plain"
is "$rc" 1 "plain bytes are refused with --require-dump"
run xpseal -r "$T/repo" -q -i "$T/plain"
is "$rc" 0 "and sealed without it"
is "$(entries)" 2 "which catalogs them"

xpdump -q --dsn "$(sqlite_dsn "$T/db")" -t nosuch 2>/dev/null | xpseal -r "$T/repo" --require-dump -q 2>"$T/e"
is "$?" 1 "a failing xpdump piped into xpseal --require-dump seals nothing"
is "$(entries)" 2 "the catalog is unchanged"
head -c $((eoa + 1024)) "$T/dump.tar" >"$T/cut.tar"
run xpseal -r "$T/repo" --require-dump -q -i "$T/cut.tar"
is "$rc" 0 "a dump that ends right after its end-of-archive marker (no record padding) is complete"
is "$(entries)" 3 "and cataloged"

# A stream that reaches its SUMMARY but lacks what SUMMARY counts: a chunk left out, one cut
# short, one too many. Each is refused before anything is sealed.
mkdir "$T/x" && (cd "$T/x" && tar -xf "$T/dump.tar") || exit 1
chunk=$(stat -c %s "$T/x/t/000001.csv")
(cd "$T/x" && tar --format=pax -cf "$T/gone.tar" MANIFEST SUMMARY) || exit 1
cp "$T/x/t/000001.csv" "$T/x/t/000002.csv" &&
	(cd "$T/x" && tar --format=pax -cf "$T/more.tar" MANIFEST t/000001.csv t/000002.csv SUMMARY) &&
	head -c 10 "$T/x/t/000002.csv" >"$T/x/t/000001.csv" &&
	(cd "$T/x" && tar --format=pax -cf "$T/short.tar" MANIFEST t/000001.csv SUMMARY) || exit 1
for c in "gone:0 of 0:a chunk left out" "short:1 of 10:a chunk cut short" \
	"more:2 of $((chunk * 2)):a chunk too many"; do
	IFS=: read -r f has what <<<"$c"
	run xpseal -r "$T/repo" --require-dump -q -i "$T/$f.tar"
	is "$rc:$out:$err" "1::xpseal: input is not a complete dump stream (SUMMARY counts 1 chunks of $chunk bytes, the stream has $has): nothing sealed" \
		"a dump with $what before its SUMMARY is refused"
done
cat "$T/dump.tar" "$T/dump.tar" >"$T/two.tar"
run xpseal -r "$T/repo" --require-dump -q -i "$T/two.tar"
is "$rc:$out:$err" "1::xpseal: input is not a complete dump stream (data after its end of archive): nothing sealed" \
	"two dumps concatenated are refused: every reader would drop the second"
is "$(entries)" 3 "none of them was cataloged"
is "$(files)" 6 "nor left a file"
run xpverify -r "$T/repo"
is "$rc" 0 "the repository verifies clean after the refusals"
done_testing
