#!/bin/bash
# xpexpire on backups made by xpseal (stamped with the current time): deletions leave a
# repository that xpverify finds consistent, and holds and shredding work on real files.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

for t in xpseal xpverify; do
	[ -x "$XP_BUILDDIR/src/$t/$t" ] || skip_all "$t is not built"
done
R=$T/repo
export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" "expire real test"
xpseal init -r "$R" --password-file "$T/pw" >/dev/null 2>&1 || { echo "Bail out! xpseal init failed"; exit 1; }
head -c 100000 /dev/urandom >"$T/in"
ids=()
for s in db db db web; do
	ids+=("$(xpseal -r "$R" --source "$s" -i "$T/in")") || { echo "Bail out! xpseal failed"; exit 1; }
done
sh=$(xpseal -r "$R" --source erase --shreddable -i "$T/in") || { echo "Bail out! xpseal failed"; exit 1; }
ids+=("$sh")
[ -f "$R/catalog" ] || skip_all "xpseal does not name its backups in the catalog (yet)"
# The newest db backup in the catalog's own order (created, then id): the one keep-last 1 keeps.
newest_db=$(awk -F'\t' '$1 !~ /^#/ && $6 == "db" { print $3 "\t" $1 }' "$R/catalog" | sort | tail -1 | cut -f2)
later=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)

run xpexpire -r "$R" --keep-last 1 --dry-run
is "$rc:$(printf '%s\n' "$out" | grep -c '^delete ')" "0:2" "dry run: keep-last 1 would delete 2 of 3 db backups"
like "$out" "*keep $newest_db created *" "the newest db backup is kept"

run xpexpire -r "$R" --hold "${ids[0]}" --reason "audit request"
is "$rc" 0 "hold a real backup"
run xpexpire -r "$R" --keep-last 1
is "$rc" 0 "expiry of real backups exits 0"
left=$(awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog" | sort | paste -sd' ')
want=$(printf '%s\n' "${ids[0]}" "${ids[3]}" "$sh" "$newest_db" | sort -u | paste -sd' ')
is "$left" "$want" "left: the held one, the newest of each source"
is "$(find "$R/data" -name '*.xps' | wc -l)" "$(echo "$want" | wc -w)" "their files, and no others, remain"
run xpverify -r "$R"
is "$rc" 0 "xpverify finds the repository consistent after deletions"

run xpexpire -r "$R" --shred "$sh" --reason "erasure request 12"
is "$rc:$out" "0:shredded $sh" "--shred of a real shreddable backup"
run xpseal open -r "$R" --password-file "$T/pw" "$sh" -o "$T/opened"
ok "$([ "$rc" -ne 0 ]; echo $?)" "a shredded backup cannot be opened any more"
run xpverify -r "$R"
is "$rc" 0 "xpverify finds the repository consistent after shredding"

run xpexpire -r "$R" --keep-within 1d --now "$later"
is "$rc" 0 "two days later keep-within 1d deletes the rest"
is "$(awk -F'\t' '$1 !~ /^#/ { print $1 }' "$R/catalog")" "${ids[0]}" "except the held backup"
run xpexpire -r "$R" --release "${ids[0]}"
run xpexpire -r "$R" --max-age 1d --now "$later" --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["kept"]), [b["id"] for b in d["deleted"]] == [sys.argv[1]])' "${ids[0]}")" \
	"0 True" "released, it goes by max-age"
is "$(find "$R/data" -name '*.xps' | wc -l)" "0" "no backup file is left"
run xpverify -r "$R"
is "$rc:$out:$err" "1::xpverify: $R: nothing checked: no backups" \
	"xpverify checks nothing in the emptied repository, and fails saying so"

done_testing
