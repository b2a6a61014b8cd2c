#!/bin/bash
# xpexpire: legal holds suspend every rule, max-age included; release lets a backup go;
# crypto-shredding on request; unknown ids.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/expire-fixture.sh"

R=$T/repo
mkrepo "$R" || { echo "Bail out! cannot make a repository"; exit 1; }
backups "$R" \
	1,2026-01-05T03:00:00Z,2025-12-01T00:00:00Z \
	2,2026-06-01T03:00:00Z \
	3,2026-11-20T03:00:00Z,2026-11-19T00:00:00Z \
	4,2026-11-26T03:00:00Z,2026-11-25T00:00:00Z,db,-,shreddable \
	5,2026-11-01T03:00:00Z,-,web
NOW=2026-11-27T00:00:00Z
verdicts() { printf '%s\n' "$out" | awk -v v="$1" '$1 == v { print $2 + 0 }' | sort -n | paste -sd' '; }

run xpexpire -r "$R" --hold "$(id 1)" --reason "litigation 2026-17: keep all of January"
is "$rc" 0 "--hold exits 0"
is "$out" "held $(id 1)" "--hold says what it did"
is "$(awk -F'\t' -v id="$(id 1)" '$1 == id { print $11 }' "$R/catalog")" \
	"litigation 2026-17: keep all of January" "the catalog records the hold reason"
is "$(grep -c "	$(id 1)	held	litigation 2026-17: keep all of January	" "$R/journal")" "1" \
	"the journal records the hold with its reason"

run xpexpire -r "$R" --keep-last 1 --max-age 180d --now $NOW --dry-run
is "$(verdicts keep)" "1 4 5" "a held backup is kept past max-age and by no rule"
is "$(verdicts delete)" "2 3" "the others go by the rules"
like "$out" "*keep $(id 1) created 2026-01-05T03:00:00Z until never: hold: litigation 2026-17: keep all of January; max-age 180d exceeded: oldest row 2025-12-01T00:00:00Z*" \
	"the reason shows the hold and the max-age it suspends"

run xpexpire -r "$R" --keep-last 1 --max-age 180d --now $NOW
is "$rc" 0 "expiry with a hold exits 0"
is "$(catalog_ids "$R")" "1 4 5" "the held backup survives the real run"
is "$(file_ids "$R")" "1 4 5" "and so does its file"

run xpexpire -r "$R" --list
like "$out" "*$(id 1)	2026-01-05T03:00:00Z	sealed	2025-12-01T00:00:00Z	65	db	litigation 2026-17: keep all of January*" \
	"--list shows the hold reason"

run xpexpire -r "$R" --shred "$(id 1)" --reason "erasure request 88"
is "$rc" 1 "a held backup cannot be shredded"
ok "$([ -e "$R/data/00/$(id 1).xps" ]; echo $?)" "and stays"

run xpexpire -r "$R" --release "$(id 1)"
is "$rc:$out" "0:released $(id 1)" "--release exits 0 and says so"
is "$(awk -F'\t' -v id="$(id 1)" '$1 == id { print $11 }' "$R/catalog")" "-" "the catalog forgets the hold"
is "$(grep -c "	$(id 1)	released	" "$R/journal")" "1" "the journal records the release"
run xpexpire -r "$R" --release "$(id 1)"
is "$rc" 1 "releasing a backup that is not held fails"

run xpexpire -r "$R" --keep-last 1 --max-age 180d --now $NOW
is "$rc:$(verdicts delete)" "0:1" "once released, max-age deletes it"
is "$(catalog_ids "$R"):$(file_ids "$R")" "4 5:4 5" "its catalog line and file are gone"
like "$(grep "	$(id 1)	deleting	" "$R/journal")" "*max-age 180d exceeded: oldest row 2025-12-01T00:00:00Z	keep-last 1 max-age 180d now $NOW	*" \
	"the journal says max-age deleted it, under which policy"

# Crypto-shredding on an erasure request.
run xpexpire -r "$R" --shred "$(id 4)" --reason "erasure request 88"
is "$rc:$out" "0:shredded $(id 4)" "--shred exits 0 and says so"
ok "$([ ! -e "$R/keys/shred/$(id 4).key" ]; echo $?)" "the backup's key file is gone"
is "$(awk -F'\t' -v id="$(id 4)" '$1 == id { print $2 }' "$R/catalog")" "shredded" "the catalog marks it shredded"
is "$(grep -c "	$(id 4)	shredded	erasure request 88	" "$R/journal")" "1" "the journal records the reason"
run xpexpire -r "$R" --list --keep-last 1 --source db --now $NOW --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kept"][0]["state"], len(d["deleted"]))')" \
	"shredded 0" "a shredded backup stays listed until retention deletes it"

run xpexpire -r "$R" --shred "$(id 5)" --reason "erasure request 89"
is "$rc" 2 "a backup not sealed in shreddable mode cannot be shredded"
like "$err" "*not sealed in shreddable mode*" "and the message says so"

# Unknown ids and usage.
for op in "--hold $(id 99) --reason x" "--release $(id 99)" "--shred $(id 99) --reason x"; do
	# shellcheck disable=SC2086
	run xpexpire -r "$R" $op
	is "$rc:$err" "1:xpexpire: $(id 99): no such backup" "${op%% *} of an unknown id exits 1"
done
run xpexpire -r "$R" --hold "$(id 5)"
is "$rc" 2 "--hold without --reason is a usage error"
run xpexpire -r "$R" --hold "$(id 5)" --reason ""
is "$rc" 2 "--hold with an empty reason is a usage error"
run xpexpire -r "$R" --shred "$(id 5)"
is "$rc" 2 "--shred without --reason is a usage error"
run xpexpire -r "$R" --release "$(id 5)" --reason x
is "$rc" 2 "--release with --reason is a usage error"
run xpexpire -r "$R" --hold "$(id 5)" --reason x --keep-last 1
is "$rc" 2 "--hold with a policy is a usage error"
run xpexpire -r "$R" --hold "$(id 5)" --release "$(id 5)"
is "$rc" 2 "--hold with --release is a usage error"
run xpexpire -r "$R" --keep-last 1 --reason x
is "$rc" 2 "--reason without --hold or --shred is a usage error"
XP_SIGNING_KEY="$T/no-such-key" run xpexpire -r "$R" --hold "$(id 5)" --reason x
is "$rc" 1 "--hold without the signing key fails"
is "$(awk -F'\t' -v id="$(id 5)" '$1 == id { print $11 }' "$R/catalog")" "-" "and holds nothing"

done_testing
