#!/bin/bash
# examples/demo, the README's first command, runs through and ends in the state it describes.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

# The demo finds the tools in the tree it sits in: give it a view of the build tree.
mkdir -p "$T/top/examples"
cp "$XP_SRCDIR/examples/demo" "$XP_SRCDIR/examples/make-demo-db" "$T/top/examples/"
ln -s "$XP_BUILDDIR/src" "$T/top/src"

XP_DEMO_DIR=$T/demo run "$T/top/examples/demo"
is "$rc" 0 "the demo succeeds"
[ "$rc" -eq 0 ] || printf '%s\n' "$err" | tail -20 | sed 's/^/# /'
d=$T/demo
is "$(grep -c 'good signature' <<<"$out")" 6 "every backup's signature is good (plain and deep run)"
like "$out" "*catalog and journal: no findings*" "the repository check finds nothing"
is "$(grep -c 'drill passed: 1 table, 5000 rows restored and compared' <<<"$out")" 3 \
	"the drill passes for each of the three backups"
like "$err" "*rows: source 5000, restored 5000*" "the restored table has every row"
is "$(find "$d/repo/data" -name '*.xps' | wc -l)" 2 "retention left two backups"
is "$(find "$d/repo/data" -name '*.minisig' | wc -l)" 2 "and their two signatures"
is "$(grep -c $'\tdeleted\t' "$d/repo/journal")" 1 "the journal records one deletion"
is "$(grep -c $'\tsealed\t' "$d/repo/journal")" 3 "and three sealed backups"
like "$out" "*dry run: 2 of 2 backups would be deleted*" "max-age planning deletes what keep-last keeps"
is "$(stat -c %a "$d/password")" 600 "the demo password file is 0600"
XP_REPO=$d/repo run xpverify
is "$rc" 0 "the repository verifies afterwards"
done_testing
