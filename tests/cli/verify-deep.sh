#!/bin/bash
# xpverify --deep: decrypts every backup and checks its dump stream against SUMMARY; a dump
# edited inside and sealed again (good signature) fails; wrong password; --json; the journal.
. "$XP_SRCDIR/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
password "$T/bad" 'wrong horse'
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || exit 1

db=$T/src.db
sqlite3 "$db" "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, note TEXT);
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
	INSERT INTO people SELECT i, 'person-' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'x' END FROM n;
	CREATE TABLE marker (id INTEGER PRIMARY KEY, word TEXT);
	INSERT INTO marker VALUES (1, 'hello-world'), (2, '');
	CREATE TABLE empty_t (id INTEGER)"
xpdump --dsn "$(sqlite_dsn "$db")" -t people -t marker -t empty_t --chunk-size 4096 -o "$T/dump.tar" || exit 1
A=$(xpseal -r "$R" -i "$T/dump.tar") || exit 1
head -c 100000 /dev/urandom >"$T/raw"
B=$(xpseal -r "$R" -i "$T/raw") || exit 1
PA=$R/data/${A:0:2}/$A.xps

run xpverify -r "$R" --deep --password-file "$T/pw" "$A"
is "$rc" 0 "deep check of a good dump backup exits 0"
is "$out" "$A: good signature
$A: deep check passed: 3 tables, 2502 rows" "it prints the signature and the tables and rows"
is "$err" "" "nothing on stderr"

run xpverify -r "$R" --deep --password-file "$T/pw" "$B"
is "$rc.$out.$err" "0.$B: good signature
$B: deep check passed: 100000 bytes, not a dump stream." \
	"a payload that is not a dump passes on its full authenticated decryption"

XP_PASSWORD_FILE=$T/pw run xpverify -r "$R" --deep
is "$rc" 0 "without ids every backup is checked, the password from XP_PASSWORD_FILE"
is "$(grep -c 'deep check passed' <<<"$out")" 2 "both backups pass"
like "$out" "*catalog and journal: no findings" "the catalog still checks out after the journal grew"

run xpverify -r "$R" --deep --password-file "$T/bad" "$A"
is "$rc.$out" "3." "a wrong password exits 3 before any check"
is "$(wc -l <<<"$err")" 1 "with one line"
like "$err" "xpverify: *" "in the house format"

# the same dump with one CSV byte changed, SUMMARY kept: the tar is valid, the seal is new
off=$(grep -obUa 'hello-world' "$T/dump.tar" | head -1 | cut -d: -f1)
cp "$T/dump.tar" "$T/evil.tar"
printf 'W' | dd of="$T/evil.tar" bs=1 seek=$((off + 6)) conv=notrunc 2>/dev/null
is "$(grep -c 'hello-World' "$T/evil.tar")" 1 "the tampered copy differs in one byte"
E=$(xpseal -r "$R" -i "$T/evil.tar") || exit 1
run xpverify -r "$R" "$E"
is "$rc.$out" "0.$E: good signature" "the re-sealed tampered dump has a good signature"
run xpverify -r "$R" --deep --password-file "$T/pw" "$E"
is "$rc" 3 "the deep check of the tampered dump exits 3"
is "$out" "$E: good signature" "no pass is printed"
is "$err" "xpverify: $R/data/${E:0:2}/$E.xps: table marker: BLAKE2b does not match SUMMARY" \
	"the failure names the file, the table and the reason"
is "$(wc -l <<<"$err")" 1 "in one line"

# a truncated stream inside: a dump cut short, sealed validly
head -c 20000 "$T/dump.tar" >"$T/cut.tar"
X=$(xpseal -r "$R" -i "$T/cut.tar") || exit 1
run xpverify -r "$R" --deep --password-file "$T/pw" "$X"
is "$rc" 3 "a dump cut short inside a good seal exits 3"
like "$err" "xpverify: $R/data/${X:0:2}/$X.xps: *" "naming the file"

# a damaged .xps: the signature check fails first, the deep check is not run
cp "$PA" "$T/saved"
flip_byte "$PA" 300
run xpverify -r "$R" --deep --password-file "$T/pw" "$A"
is "$rc.$out.$err" "3..xpverify: $PA: bad signature" "a bad signature stops there: exit 3"
cp "$T/saved" "$PA"

run xpverify -r "$R" --deep --password-file "$T/pw" --json "$A" "$B" "$E"
is "$rc" 3 "--json with a failure exits 3"
python3 -m json.tool <<<"$out" >/dev/null
ok $? "--json output parses"
is "$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
for r in d["results"]:
    x = r["deep"]
    print(r["id"] == sys.argv[1], r["status"], x["status"], x.get("dump"), x.get("bytes"),
          x.get("rows"), [(t["name"], t["rows"]) for t in x.get("tables", [])],
          "message" in x, r["journaled"], "drill" in r)
' "$A" <<<"$out")" "True good passed True $(stat -c %s "$T/dump.tar") 2502 [('people', 2500), ('marker', 2), ('empty_t', 0)] False True False
False good passed False 100000 None [] False True False
False bad failed None None None [] True True False" "--json carries each backup's deep result"

jl() { grep -P "\t$1\tverified\t" "$R/journal" | cut -f4 | tail -1; }
is "$(jl "$A")" "deep check passed: 3 tables, 2502 rows" "the journal records the deep check of a dump"
is "$(jl "$B")" "deep check passed: 100000 bytes, not a dump stream" "and of another payload"
is "$(jl "$E")" "deep check failed: $R/data/${E:0:2}/$E.xps: table marker: BLAKE2b does not match SUMMARY" \
	"and a failure with its reason"
run xpverify -r "$R"
like "$out" "*catalog and journal: no findings" "the journal chain is intact after the appends"

run xpverify --deep "$PA"
is "$rc" 2 "--deep without a repository is a usage error"

done_testing
