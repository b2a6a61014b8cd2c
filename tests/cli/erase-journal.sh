#!/bin/bash
# Every erasure request is journaled: one killed between the ledger's fsync and its journal
# event is reported by xpverify as pending, the next change (a request, a seal, an expiry)
# journals it, and from then on removing its line is found (status 3).
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
need_sqlite
demo_repo 200 5 2026-11-20
XP_NOW=2026-11-21T00:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time |
	XP_NOW=2026-11-21T00:00:00Z xpseal -q -r "$R" --require-dump >/dev/null
erase() { XP_NOW=2026-11-22T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" --reason r -t audit_log "$@"; }

erase --ref CASE-1 --interval 2026-11-16T00:00:00Z/2026-11-17T00:00:00Z >/dev/null
n=$(XP_FAULT_TRACE=1 erase --ref CASE-2 --interval 2026-11-17T00:00:00Z/2026-11-18T00:00:00Z 2>&1 >/dev/null |
	sed -n 's/^xperase: fault point \([0-9]*\): erase-recorded$/\1/p')
ok "$([ -n "$n" ]; echo $?)" "recording has a fault point between the ledger's fsync and the journal"

# killed there, then recovered by the next request
run env XP_FAULT_AT="$n" XP_NOW=2026-11-22T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" \
	--ref CASE-3 --reason r -t audit_log --interval 2026-11-18T00:00:00Z/2026-11-19T00:00:00Z
is "$rc.$(grep -c CASE-3 "$R/erasures").$(grep -c CASE-3 "$R/journal")" "137.1.0" "killed: in the ledger, not journaled"
run xpverify -r "$R"
is "$rc" 1 "xpverify reports the unjournaled entry: status 1 (pending)"
like "$err" "*xpverify: erasures: line 4 (CASE-3) is not journaled: recording it was interrupted; the next change journals it*" \
	"naming its line and reference"
cp "$R/erasures" "$T/erasures.3"
head -n -1 "$T/erasures.3" >"$R/erasures"
run xpverify -r "$R"
is "$rc" 0 "before recovery, its removal cannot be told from a request never made (status 0)"
cp "$T/erasures.3" "$R/erasures"
run erase --ref CASE-4 --interval 2026-11-19T00:00:00Z/2026-11-20T00:00:00Z
is "$rc" 0 "the next request is recorded"
is "$(grep -c '	erasure	CASE-3: ' "$R/journal").$(grep -c '	erasure	CASE-4: ' "$R/journal")" "1.1" \
	"and journals the interrupted one first"
is "$(awk -F'\t' '$3 == "erasure" { sub(/:.*/, "", $4); print $4 }' "$R/journal" | tr '\n' ' ')" "CASE-1 CASE-2 CASE-3 CASE-4 " \
	"in the ledger's order"
run xpverify -r "$R"
is "$rc" 0 "then xpverify finds nothing"
cp "$R/erasures" "$T/erasures.4"
sed -i '$d' "$R/erasures"
run xpverify -r "$R"
like "$rc.$err" "3.*erasures: the request journaled at journal line * (CASE-4: *) is missing*" "removing the last line is found: status 3"
sed '4d' "$T/erasures.4" >"$R/erasures"
run xpverify -r "$R"
is "$rc" 3 "and removing the recovered one: status 3"
cp "$T/erasures.4" "$R/erasures"

# killed again: a seal (any change to the repository) journals it
run env XP_FAULT_AT="$n" XP_NOW=2026-11-22T00:00:00Z "$XP_BUILDDIR/src/xperase/xperase" -r "$R" \
	--ref CASE-5 --reason r -t audit_log --value user_name=nobody
is "$rc.$(grep -c CASE-5 "$R/journal")" "137.0" "killed again: CASE-5 not journaled"
XP_NOW=2026-11-23T00:00:00Z xpdump -q --dsn "$D" -t audit_log:utc_time |
	XP_NOW=2026-11-23T00:00:00Z xpseal -q -r "$R" --require-dump >/dev/null
is "$(grep -c '	erasure	CASE-5: ' "$R/journal")" 1 "the next seal journals it"
run xpverify -r "$R"
is "$rc" 0 "xpverify finds nothing"
sed -i '$d' "$R/erasures"
run xpverify -r "$R"
like "$rc.$err" "3.* (CASE-5: *) is missing*" "removing its line is then found: status 3"
run xpseal open -r "$R" "$(awk -F'\t' '!/^#/ { print $1; exit }' "$R/catalog")" -o "$T/x.tar"
is "$rc" 3 "and a restore refuses"

done_testing
