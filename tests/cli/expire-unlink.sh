#!/bin/bash
# xpexpire when one backup's file cannot be removed: the error names that backup's file, once;
# the other deletions of the batch are done, and the one left is finished by a later run.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

export XP_SIGNING_KEY=$T/signer.key
password "$T/pw" 'expire unlink test'
R=$T/r
xpseal init -r "$R" --password-file "$T/pw" >/dev/null || { echo "Bail out! xpseal init failed"; exit 1; }
printf 'x\n' >"$T/in"
ids=()
for d in 1 2 3; do
	ids+=("$(XP_NOW=2026-11-0${d}T00:00:00Z xpseal -r "$R" -i "$T/in")") || { echo "Bail out! xpseal failed"; exit 1; }
done
a=${ids[0]} b=${ids[1]} c=${ids[2]}
listed() { xpexpire -r "$R" --list | awk 'NR > 1 { print $1 }' | sort | paste -sd' '; }
# a directory where the oldest backup's signature is: unlink(2) fails on it (also for root)
sig=$R/data/${a:0:2}/$a.xps.minisig
rm "$sig"
mkdir -p "$sig/in-the-way"

run xpexpire -r "$R" --keep-last 1
is "$rc" 1 "one file that cannot be removed: status 1"
is "$err" "xpexpire: $sig: unlink: Is a directory
xpexpire: 1 of 2 deletions failed" "the error names that backup's file, once"
is "$(printf '%s\n' "$out" | grep "^delete")" \
	"delete $a created 2026-11-01T00:00:00Z: no rule keeps it (deletion FAILED)
delete $b created 2026-11-02T00:00:00Z: no rule keeps it" "only that backup's deletion is marked failed"
is "$(printf '%s\n' "$out" | tail -1)" "1 of 3 backups deleted" "the other one was deleted"
ok "$([ ! -e "$R/data/${b:0:2}/$b.xps" ] && [ ! -e "$R/data/${b:0:2}/$b.xps.minisig" ]; echo $?)" \
	"its files are gone"
is "$(listed)" "$(printf '%s\n' "$a" "$c" | sort | paste -sd' ')" \
	"the catalog lists the one left and the one kept"

rmdir "$sig/in-the-way" "$sig"
run xpexpire -r "$R" --keep-last 1
is "$rc:$err" "0:" "once the file can go, the next run finishes the deletion"
is "$(listed)" "$c" "and only the kept backup is left"
run xpverify -r "$R"
is "$rc" 0 "xpverify finds the repository whole"

done_testing
