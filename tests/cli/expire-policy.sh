#!/bin/bash
# xpexpire: which backups a policy deletes at a given --now, dry runs, --json, --list, usage.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/expire-fixture.sh"

R=$T/repo
mkrepo "$R" || { echo "Bail out! cannot make a repository"; exit 1; }
setup() {
	backups "$R" \
		1,2026-11-01T03:00:00Z \
		2,2026-11-15T03:00:00Z \
		3,2026-11-22T03:00:00Z,2026-11-21T00:00:00Z \
		4,2026-11-23T03:00:00Z \
		5,2026-11-24T01:00:00Z \
		6,2026-11-24T03:00:00Z \
		7,2026-11-26T03:00:00Z,2026-08-01T00:00:00Z \
		8,2026-10-01T03:00:00Z,-,web \
		9,2026-11-25T03:00:00Z,-,web
}
setup
ALL="1 2 3 4 5 6 7 8 9"
NOW=2026-11-27T00:00:00Z

# verdicts VERB: the test numbers of the backups the last run printed with VERB.
verdicts() { printf '%s\n' "$out" | awk -v v="$1" '$1 == v { print $2 + 0 }' | sort -n | paste -sd' '; }

run xpexpire -r "$R" --keep-daily 3 --now $NOW --dry-run
is "$rc" 0 "dry run exits 0"
is "$(verdicts delete)" "1 2 3 5" "keep-daily 3 deletes all but the newest of the last 3 days per source"
is "$(verdicts keep)" "4 6 7 8 9" "keep-daily 3 keeps 4 6 7 (db) and 8 9 (web)"
is "$(catalog_ids "$R")" "$ALL" "dry run leaves the catalog alone"
is "$(file_ids "$R")" "$ALL" "dry run leaves every file in place"
ok "$([ ! -e "$R/journal" ]; echo $?)" "dry run writes no journal"
like "$out" "*delete $(id 5) created 2026-11-24T01:00:00Z: no rule keeps it*" "deletion line names the reason"
like "$out" "*keep $(id 6) created 2026-11-24T03:00:00Z until never: keep-daily 2026-11-24*" \
	"keep line names the rule, its bucket and until"
like "$out" "*dry run: 4 of 9 backups would be deleted" "dry run summary"

run xpexpire -r "$R" --keep-weekly 2 --keep-monthly 2 --now $NOW --dry-run
is "$(verdicts keep)" "3 7 8 9" "weekly and monthly: newest of W47 and W48 (db), of W40 and W48 (web)"

run xpexpire -r "$R" --keep-last 10 --max-age 90d --now $NOW --dry-run
is "$(verdicts delete)" "7" "max-age deletes what keep-last keeps, counted from the oldest row"
like "$out" "*delete $(id 7) created 2026-11-26T03:00:00Z: max-age 90d exceeded: oldest row 2026-08-01T00:00:00Z*" \
	"max-age reason names the oldest row"
like "$out" "*keep $(id 8) created 2026-10-01T03:00:00Z until 2026-12-30T03:00:00Z: keep-last #2*" \
	"without a data window max-age counts from creation; until is when it hits"

run xpexpire -r "$R" --keep-within 7d --now $NOW --dry-run
is "$(verdicts keep)" "3 4 5 6 7 9" "keep-within 7d"
like "$out" "*keep $(id 6) created 2026-11-24T03:00:00Z until 2026-12-01T03:00:00Z: keep-within 7d*" \
	"keep-within alone: until is created + 7d"
run xpexpire -r "$R" --keep-within 5d --now 2026-11-27T02:59:59Z --dry-run
is "$(verdicts keep)" "3 4 5 6 7 9" "keep-within keeps a backup one second younger than D"
run xpexpire -r "$R" --keep-within 5d --now 2026-11-27T03:00:00Z --dry-run
is "$(verdicts keep)" "4 5 6 7 9" "keep-within drops a backup exactly D old"

run xpexpire -r "$R" --keep-within 1d --now 2026-11-20T00:00:00Z --dry-run
is "$(verdicts keep)" "3 4 5 6 7 9" "backups created after --now are kept by keep-within"

run xpexpire -r "$R" --keep-last 1 --source web --now $NOW --dry-run
is "$(verdicts delete)" "8" "--source limits the run to one source"
is "$(verdicts keep)" "9" "--source lists only that source"
run xpexpire -r "$R" --keep-last 1 --source wbe --now $NOW
is "$rc.$out.$err" "1..xpexpire: $R: no backup of source wbe (its sources: web, db): nothing decided" \
	"a --source that names no backup fails (status 1), naming the sources there, never \"0 of 0 deleted\""

run xpexpire -r "$R" --max-age 90d --now $NOW --dry-run
is "$(verdicts delete)" "7" "max-age alone deletes only what is too old"
like "$out" "*keep $(id 1) created 2026-11-01T03:00:00Z until 2027-01-30T03:00:00Z: no keep rule given*" \
	"max-age alone: reason and until"

run xpexpire -r "$R" --keep-daily 3 --max-age 90d --now $NOW --dry-run --json
is "$rc" 0 "--json exits 0"
printf '%s\n' "$out" >"$T/out.json"
python3 -m json.tool "$T/out.json" >/dev/null
ok $? "--json output parses"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["now"], d["dry_run"], d["policy"]); print(*sorted(int(b["id"]) for b in d["kept"])); print(*sorted(int(b["id"]) for b in d["deleted"]))' "$T/out.json")" \
	"2026-11-27T00:00:00Z True keep-daily 3 max-age 90d
4 6 8 9
1 2 3 5 7" "--json lists the exact kept and deleted ids"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); b=[x for x in d["deleted"] if x["id"].endswith("07")][0]; print(b["reason"], b["rules"], b["max_age_exceeded"], b["oldest"], b["until"], b["source"])' "$T/out.json")" \
	"max-age 90d exceeded: oldest row 2026-08-01T00:00:00Z ['keep-daily'] True 2026-08-01T00:00:00Z None db" \
	"--json: a deletion's reason, the rules max-age overrode, its window"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); b=[x for x in d["kept"] if x["id"].endswith("09")][0]; print(b["reason"], b["rules"], b["until"], b["oldest"], b["held"], b["state"])' "$T/out.json")" \
	"keep-daily 2026-11-25 ['keep-daily'] 2027-02-23T03:00:00Z None False sealed" \
	"--json: a kept backup's rules, and until when max-age will hit"

run xpexpire -r "$R" --list
is "$rc" 0 "--list without a policy exits 0"
is "$(printf '%s\n' "$out" | wc -l)" "10" "--list prints a header and one line per backup"
is "$(printf '%s\n' "$out" | sed -n 2p)" "$(id 8)	2026-10-01T03:00:00Z	sealed	-	72	web	-" \
	"--list: oldest backup first, without a policy"
run xpexpire -r "$R" --list --keep-daily 3 --now $NOW
like "$out" "*$(id 7)	2026-11-26T03:00:00Z	sealed	2026-08-01T00:00:00Z	71	db	keep	never	keep-daily 2026-11-26*" \
	"--list with a policy gives the verdict, until and reason"
run xpexpire -r "$R" --list --json
printf '%s\n' "$out" >"$T/list.json"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["backups"]), d["backups"][7]["source"])' "$T/list.json")" \
	"9 web" "--list --json lists every backup"

# The real thing: deletion goes through the catalog and the journal.
run xpexpire -r "$R" --keep-daily 3 --now $NOW
is "$rc" 0 "expiry exits 0"
like "$out" "*4 of 9 backups deleted" "expiry summary"
is "$(catalog_ids "$R")" "4 6 7 8 9" "the catalog lists exactly what was kept"
is "$(file_ids "$R")" "4 6 7 8 9" "the deleted backups' files are gone"
is "$(find "$R/data" -name '*.minisig' | wc -l)" "5" "their signatures are gone too"
is "$(grep -c "	deleted	no rule keeps it	" "$R/journal")" "4" "the journal records each deletion with its reason"
is "$(grep -c "	deleting	no rule keeps it	keep-daily 3 now 2026-11-27T00:00:00Z	" "$R/journal")" "4" \
	"the journal records the policy and the time it was evaluated at"
run xpexpire -r "$R" --keep-daily 3 --now $NOW
is "$rc:$(verdicts delete)" "0:" "a second run deletes nothing"

# An empty repository: nothing to decide, nothing to delete.
mkrepo "$T/empty" || { echo "Bail out! cannot make a repository"; exit 1; }
run xpexpire -r "$T/empty" --keep-last 1 --now $NOW
is "$rc:$out" "0:0 of 0 backups deleted" "an empty repository: nothing deleted"
run xpexpire -r "$T/empty" --keep-last 1 --now $NOW --json
is "$out" '{"now":"2026-11-27T00:00:00Z","dry_run":false,"policy":"keep-last 1","kept":[],"deleted":[]}' \
	"an empty repository in JSON"

# Usage errors exit 2 and say why.
run xpexpire -r "$R" --now $NOW
is "$rc" 2 "no rule at all is a usage error"
like "$err" "xpexpire: refusing to delete everything: give at least one keep rule or --max-age*" \
	"no rule: message"
run xpexpire -r "$R" --keep-daily x
is "$rc" 2 "a bad count is a usage error"
run xpexpire -r "$R" --keep-daily -3
is "$rc" 2 "a negative count is a usage error"
run xpexpire -r "$R" --max-age 90x
is "$rc" 2 "a bad duration is a usage error"
run xpexpire -r "$R" --keep-last 1 --now yesterday
is "$rc" 2 "a bad --now is a usage error"
run xpexpire -r "$R" --keep-last 1 --bogus
is "$rc" 2 "an unknown option is a usage error"
run xpexpire --keep-last 1
is "$rc" 2 "no repository is a usage error"
run xpexpire -r "$R" --list --release "$(id 4)"
is "$rc" 2 "--list with --release is a usage error"
run xpexpire -r "$R" --list --dry-run
is "$rc" 2 "--list with --dry-run is a usage error"
run xpexpire -r "$R" --keep-last 1 extra
is "$rc" 2 "a stray argument is a usage error"
run xpexpire --help
is "$rc:${out%%:*}" "0:usage" "--help prints usage and exits 0"
XP_REPO=$R run xpexpire --keep-last 10 --dry-run --now $NOW
is "$rc:$(verdicts keep)" "0:4 6 7 8 9" "REPO from XP_REPO"
run xpexpire -r "$T/nothing" --keep-last 1
is "$rc" 1 "a directory that is not a repository fails"
like "$err" "xpexpire: $T/nothing: not a repository*" "not a repository: message"

# Deletion needs the signing key; without it nothing is deleted.
XP_SIGNING_KEY="$T/no-such-key" run xpexpire -r "$R" --keep-last 1
is "$rc:$out" "1:" "expiry without the signing key fails before deciding anything"
is "$(catalog_ids "$R")" "4 6 7 8 9" "and deletes nothing"
XP_SIGNING_KEY="$T/no-such-key" run xpexpire -r "$R" --keep-last 1 --dry-run
is "$rc" 0 "a dry run needs no signing key"

done_testing
