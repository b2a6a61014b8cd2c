#!/bin/bash
# A full disk under xpdump -o: status 1, the reason on stderr, no partial dump left behind;
# the same dump on a disk with room restores completely.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

[ "$(id -u)" -eq 0 ] || skip_all "mounting a small tmpfs needs root"
mkdir "$T/small"
mount -t tmpfs -o size=1m xptest "$T/small" 2>/dev/null ||
	skip_all "mount -t tmpfs is not permitted here"
at_exit "umount '$T/small'"

"$XP_SRCDIR/examples/make-demo-db" -n 20000 -e 2026-11-24 "$T/src.db"
run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit_log -o "$T/small/log.tar"
is "$rc" 1 "xpdump onto a full 1 MiB tmpfs exits 1"
like "$err" "xpdump: *No space left on device*" "and says the disk is full"
is "$(ls -A "$T/small")" "" "no partial dump is left on the full disk"

run xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit_log -o "$T/log.tar"
is "$rc" 0 "the same dump with room exits 0"
run xprestore -q --dsn "$(sqlite_dsn "$T/copy.db")" --create -i "$T/log.tar"
is "$rc" 0 "and restores"
is "$(count_sqlite "$T/copy.db" audit_log)" 20000 "with every row"

done_testing
