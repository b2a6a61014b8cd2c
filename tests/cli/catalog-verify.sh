#!/bin/bash
# The catalog through the tools: xpseal catalogs what it seals (source and data window from the
# dump stream), xpverify -r checks the catalog against the files, its signature and the journal
# chain (one line per finding), and --adopt takes orphaned backups back.
. "$XP_SRCDIR/tests/lib.sh"

export XP_SIGNING_KEY=$T/signer.key
R=$T/repo
password "$T/pw" 'catalog test'
run xpseal init -r "$R" --password-file "$T/pw"
is "$rc:$err" "0:" "init"

sqlite3 "$T/a.db" "CREATE TABLE audit (id INTEGER, at TIMESTAMP, who TEXT);
	INSERT INTO audit VALUES (1, '2026-11-01 10:00:00', 'ann'), (2, '2026-11-20 11:30:00', 'bob');"
xpdump --dsn "$(sqlite_dsn "$T/a.db")" -t audit --time-column at >"$T/dump" 2>"$T/dump.err"
is "$?:$(cat "$T/dump.err")" "0:" "a dump stream to seal"

run xpseal -r "$R" -i "$T/dump"
A=$out
is "$rc:$err" "0:" "seal a dump stream"
run xpseal -r "$R" --source 'Zürich	VMS' -i "$T/dump"
B=$out
is "$rc" 0 "seal it again under --source with a tab"
printf 'not a dump\n' >"$T/plain"
run xpseal -r "$R" --shreddable -i "$T/plain"
C=$out
is "$rc" 0 "seal something that is not a dump stream, shreddable"

row() { grep "^$1	" "$R/catalog" | cut -f"$2"; }
is "$(head -1 "$R/catalog")" "#xpbackup-catalog-1 id	state	created	oldest	newest	source	size	blake2b	path	shreddable	hold" \
	"the catalog's header names its version and columns"
is "$(row "$A" 2,4,5,6)" "sealed	2026-11-01T10:00:00Z	2026-11-20T11:30:00Z	Driver=SQLite3;Database=$T/a.db" \
	"state, data window and source come from the dump stream"
is "$(row "$B" 6)" 'Zürich\tVMS' "--source wins, its tab escaped"
is "$(row "$C" 4,5,6,10)" "-	-	-	yes" "no dump stream: no window, no source; shreddable"
is "$(row "$A" 7):$(row "$A" 8)" "$(wc -c <"$R/data/${A:0:2}/$A.xps"):$(b2sum -l 256 "$R/data/${A:0:2}/$A.xps" | cut -d' ' -f1)" \
	"size and BLAKE2b-256 match the file"
is "$(row "$A" 9)" "data/${A:0:2}/$A.xps" "the path is relative to the repository"
is "$(column -t -s '	' "$R/catalog" | awk '{print NF}' | sort -u | tr '\n' ' ')" "11 12 " \
	"column -t shows one row per backup"
run minisign -V -q -p "$R/keys/signer.pub" -m "$R/catalog"
is "$rc" 0 "the stock minisign accepts the catalog's signature"
is "$(grep -c '	sealed	' "$R/journal")" 3 "three \"sealed\" events in the journal"

run xpverify -r "$R"
is "$rc" 0 "xpverify -r: a healthy repository exits 0"
is "$(tail -1 <<<"$out")" "catalog and journal: no findings" "and says so"

# One problem at a time, each one line.
X=$R/data/${A:0:2}/$A.xps
mv "$X" "$T/saved"
run xpverify -r "$R"
is "$rc:$err" "1:xpverify: data/${A:0:2}/$A.xps: missing" "a missing file: exit 1, one line"
mv "$T/saved" "$X"
cp "$X" "$T/saved"
printf 'x' >>"$X"
run xpverify -r "$R"
is "$rc" 3 "a file one byte longer: exit 3"
like "$err" "*xpverify: data/${A:0:2}/$A.xps: $(($(row "$A" 7) + 1)) bytes, catalog says $(row "$A" 7)*" \
	"names the size difference"
cp "$T/saved" "$X"
touch "$R/data/${A:0:2}/.$A.xps.tmp.abc123"
run xpverify -r "$R"
is "$rc:$err" "0:xpverify: warning: data/${A:0:2}/.$A.xps.tmp.abc123: temporary file of a seal in progress or interrupted (the next xpseal or xpexpire removes it once no seal holds it)" \
	"a seal's temp file: a warning, exit 0"
mv "$R/data/${A:0:2}/.$A.xps.tmp.abc123" "$R/data/${A:0:2}/.$A.xps.minisig.tmp.abc123"
run xpverify -r "$R"
is "$rc:$err" "1:xpverify: data/${A:0:2}/.$A.xps.minisig.tmp.abc123: temporary file of a seal in progress or interrupted" \
	"another temp file: an orphan"
rm "$R/data/${A:0:2}/.$A.xps.minisig.tmp.abc123"

cp "$R/catalog" "$T/catalog"
grep -v "^$B	" "$T/catalog" >"$R/catalog"
run xpverify -r "$R"
is "$rc" 3 "a line removed from the catalog: exit 3"
is "$err" "xpverify: catalog: bad signature
xpverify: data/${B:0:2}/$B.xps: not in the catalog (xpverify --adopt takes it back)" \
	"bad catalog signature, and the backup is an orphan"
run xpverify -r "$R" --json
like "$out" '*"catalog":[{"kind":"catalog","id":"","path":"catalog.minisig","message":"catalog: bad signature"},{"kind":"orphan","id":"'"$B"'",*' \
	"--json lists the findings"
run xpverify -r "$R" --adopt
is "$rc:$err" "3:xpverify: $R/catalog: its signature does not verify with this host's signing key: it was edited, or signed by another key; nothing changed (xpverify -r $R)" \
	"--adopt never signs an edited catalog: exit 3"
rm "$R/catalog" "$R/catalog.minisig"
run "$XP_BUILDDIR/tests/unit/repo/catalog-tool" "$R" "$XP_SIGNING_KEY" hold "$A" "case 1"
like "$rc:$err" "3:*$R: the catalog is missing, but the journal has 3 events; nothing changed (xpverify --adopt rebuilds it)" \
	"nor does any other change sign a catalog made without the removed one's backups"
run xpverify -r "$R" --adopt
is "$rc" 0 "--adopt rebuilds a removed catalog from the backups' own signed files"
like "$out" "*data/${B:0:2}/$B.xps: adopted (sealed)*catalog and journal: no findings" \
	"and says so, then checks"
is "$(row "$B" 4,5,6)" '2026-11-01T10:00:00Z	2026-11-20T11:30:00Z	Zürich\tVMS' \
	"an adopted backup keeps its window and source (its signature carries them)"
is "$(sed -n 3p "$R/data/${B:0:2}/$B.xps.minisig" | cut -f2-)" \
	"file:$B.xps	source:Zürich\\tVMS	oldest:2026-11-01T10:00:00Z	newest:2026-11-20T11:30:00Z" \
	"the trusted comment names file, source and data window"
is "$(tail -3 "$R/journal" | cut -f2,3 | sort)" "$(printf '%s\tadopted\n' "$A" "$B" "$C" | sort)" \
	"journaled \"adopted\" for each"

# A backup signed before signatures carried these fields is adopted as before, with "-".
rm "$R/catalog" "$R/catalog.minisig"
"$XP_BUILDDIR/tests/unit/crypto/signtool" sign "$XP_SIGNING_KEY" "$R/data/${A:0:2}/$A.xps" \
	"timestamp:1764000000	file:$A.xps"
run xpverify -r "$R" --adopt
is "$rc" 0 "--adopt takes back a backup with an old-style signature"
is "$(row "$A" 4,5,6)" "-	-	-" "without the fields its window and source are unknown"

cp "$R/journal" "$T/journal"
sed -i 2d "$R/journal"
run xpverify -r "$R"
is "$rc" 3 "a line removed from the journal: exit 3"
like "$err" "*xpverify: journal: line 2: chain broken*" "names the line"
cp "$T/journal" "$R/journal"
head -n -1 "$T/journal" >"$R/journal"
n=$(($(wc -l <"$T/journal") - 1)) # events: all lines but the header
run xpverify -r "$R"
like "$rc:$err" "3:*journal: $((n - 1)) events, but the catalog was written after $n: lines were removed*" \
	"the journal's last line removed: caught by the signed catalog"
cp "$T/journal" "$R/journal"

run xpverify --adopt
is "$rc" 2 "--adopt without -r is a usage error"
run xpverify -r "$R" --adopt "$A"
is "$rc" 2 "--adopt with an id is a usage error"

# Crypto-shredding: a copy made before is unreadable afterwards.
cp "$R/data/${C:0:2}/$C.xps" "$R/data/${C:0:2}/$C.xps.minisig" "$T/"
"$XP_BUILDDIR/tests/unit/repo/catalog-tool" "$R" "$XP_SIGNING_KEY" shred "$C" "erasure request 7"
is "$?:$(row "$C" 2)" "0:shredded" "shred: the backup stays listed as shredded"
run xpseal open -r "$R" --password-file "$T/pw" "$T/$C.xps"
like "$rc:$err" "[13]:*$C*shredded*" "a copy made before cannot be opened, and the message says why"
run xpverify -r "$R"
is "$rc" 0 "a shredded backup is a healthy one"

done_testing
