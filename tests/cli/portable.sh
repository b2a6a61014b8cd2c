#!/bin/bash
# The round trips and the tamper cases that every build must pass, also the Windows one under
# wine (make check-wine runs this with XP_EXE_WRAP): init, seal, open, verify (deep too),
# expire; a flipped byte, a changed catalog and a foreign signature are status 3; a dump and a
# restore through ODBC and SQLite (under wine, Wine's odbc32 forwards to this host's unixODBC
# and its SQLite3 driver).
. "$XP_SRCDIR/tests/lib.sh"

export XP_SIGNING_KEY=$T/host/signer.key
R=$T/repo
password "$T/pw" 'correct horse'
head -c 300000 /dev/urandom >"$T/a"
seq 1 200000 >"$T/b"

run xpseal init -r "$R" --password-file "$T/pw"
is "$rc:$err" "0:" "init makes a repository"
ok "$([ -s "$R/keys/repo.key" ] && [ -s "$R/keys/signer.pub" ] && [ -s "$XP_SIGNING_KEY" ])$?" \
	"with its keys and the host's signing key"

XP_NOW=2026-01-01T00:00:00Z run xpseal -r "$R" -i "$T/a"
A=$out
like "$rc:$A" "0:[0-9a-f][0-9a-f]*" "seal -i prints the backup's id"
B=$(XP_NOW=2026-01-02T00:00:00Z xpseal -r "$R" <"$T/b")
like "$?:$B" "0:[0-9a-f][0-9a-f]*" "seal reads standard input"
ok "$([ -f "$R/data/${A:0:2}/$A.xps" ] && [ -f "$R/data/${A:0:2}/$A.xps.minisig" ])$?" \
	"data/XX/ID.xps and its signature are there"

run xpseal open -r "$R" --password-file "$T/pw" "$A" -o "$T/a.back"
is "$rc:$err" "0:" "open -o succeeds"
cmp -s "$T/a" "$T/a.back"
ok $? "and gives back the exact bytes"
xpseal open -r "$R" --password-file "$T/pw" "$B" | cmp -s - "$T/b"
ok $? "open writes the exact bytes to standard output"

run xpverify -r "$R"
is "$rc" 0 "verify: status 0"
is "$(sort <<<"$out")" "$(printf '%s: good signature\n%s: good signature\ncatalog and journal: no findings' \
	"$A" "$B" | sort)" "verify: both signatures good, no findings"
run xpverify -r "$R" --deep --password-file "$T/pw"
is "$rc" 0 "verify --deep: status 0"
is "$(grep -c 'deep check passed' <<<"$out")" 2 "verify --deep: both backups decrypted and checked"

# Damage, each on a copy of the repository.
damaged() { rm -rf "$T/d" && cp -a "$R" "$T/d"; }
damaged
flip_byte "$T/d/data/${A:0:2}/$A.xps" 200
run xpverify -r "$T/d"
is "$rc:$err" "3:xpverify: $T/d/data/${A:0:2}/$A.xps: bad signature
xpverify: data/${A:0:2}/$A.xps: BLAKE2b differs from the catalog" \
	"a flipped byte in a sealed file: verify names it, status 3"
run xpseal open -r "$T/d" --password-file "$T/pw" "$A" -o "$T/out"
like "$rc:$err" "3:xpseal: *$A*" "and open refuses it, status 3"
ok "$([ ! -e "$T/out" ])$?" "writing nothing"

damaged
sed -i "s/$B/$A/" "$T/d/catalog"
run xpverify -r "$T/d"
like "$rc:$err" "3:xpverify: $T/d/catalog: line ?: path does not match the id*" \
	"a changed catalog: verify names the line, status 3"

damaged
xpseal init -r "$T/other" --password-file "$T/pw" --signing-key "$T/other.key" >/dev/null 2>&1
O=$(xpseal -r "$T/other" --signing-key "$T/other.key" -i "$T/a")
cp "$T/other/data/${O:0:2}/$O.xps.minisig" "$T/d/data/${A:0:2}/$A.xps.minisig"
run xpverify -r "$T/d"
like "$rc:$err" "3:xpverify: $T/d/data/${A:0:2}/$A.xps: signature made by another key (key id *, expected *)" \
	"a foreign signature: verify names it, status 3"
run xpseal open -r "$T/d" --password-file "$T/pw" "$A" -o "$T/out"
is "$rc" 3 "and open refuses it, status 3"

XP_NOW=2026-01-03T00:00:00Z run xpexpire -r "$R" --keep-last 1
is "$rc" 0 "expire --keep-last 1: status 0"
like "$out" "*1 of 2 backups deleted*" "deletes one of the two"
ok "$([ ! -e "$R/data/${A:0:2}/$A.xps" ] && [ -e "$R/data/${B:0:2}/$B.xps" ])$?" \
	"the older one's file is gone, the newer one's kept"
run xpverify -r "$R"
is "$rc:$out" "0:$B: good signature
catalog and journal: no findings" "verify after expire: the kept backup, no findings"

if command -v sqlite3 >/dev/null && odbcinst -q -d -n SQLite3 >/dev/null 2>&1; then
	. "$XP_SRCDIR/tests/lib-db.sh"
	vals_sqlite "$T/src.db"
	run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t vals -o "$T/vals.tar"
	is "$rc:$err" "0:" "xpdump reads every value class through ODBC"
	run xpseal -r "$R" --require-dump -i "$T/vals.tar"
	V=$out
	like "$rc:$V" "0:[0-9a-f][0-9a-f]*" "the dump is sealed (--require-dump)"
	run xpseal open -r "$R" --password-file "$T/pw" "$V" -o "$T/vals.back"
	cmp -s "$T/vals.tar" "$T/vals.back"
	ok $? "and opened again, byte for byte"
	run xprestore --dsn "$(sqlite_dsn "$T/new.db")" --create -i "$T/vals.back"
	is "$rc:$err" "0:xprestore: 9 rows loaded into 1 table" "xprestore --create loads it through ODBC"
	is "$(canon_sqlite "$T/new.db" vals)" "$(canon_sqlite "$T/src.db" vals)" \
		"every value comes back exactly"
else
	skip "no sqlite3 or no SQLite3 ODBC driver"
fi

done_testing
