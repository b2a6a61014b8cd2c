#!/bin/bash
# A driver that crashes while it fetches: xpdump names the table, exits 1, and its unfinished
# output (a temp file beside -o FILE) is gone. The crash is planted with LD_PRELOAD: an
# SQLFetch that raises SIGSEGV in place of the driver manager's.
# shellcheck source=tests/lib.sh
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
odbcinst -q -d -n SQLite3 >/dev/null 2>&1 || skip_all "the SQLite3 ODBC driver is not registered"
[ -n "${XP_VALGRIND:-}" ] && skip_all "a planted crash is not run under valgrind"
# under AddressSanitizer the preloaded library comes before its runtime: allowed here
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
cc=${CC:-cc}
command -v "$cc" >/dev/null || skip_all "no C compiler to build the crashing SQLFetch"

cat >"$T/crash.c" <<'C'
#include <signal.h>
short SQLFetch(void *st);
short SQLFetch(void *st)
{
	(void)st;
	raise(SIGSEGV);
	return -1;
}
C
"$cc" -shared -fPIC -o "$T/crash.so" "$T/crash.c" || exit 1

sqlite3 "$T/a.db" "CREATE TABLE audit(id INTEGER, msg TEXT); INSERT INTO audit VALUES (1, 'x');" ||
	exit 1
mkdir "$T/out"
LD_PRELOAD=$T/crash.so run xpdump --dsn "$(sqlite_dsn "$T/a.db")" -t audit -o "$T/out/d.tar" -q
is "$rc" 1 "a crash in the driver exits 1"
is "$err" "xpdump: table audit: the ODBC driver crashed (SIGSEGV) while fetching; was the connection lost?" \
	"one line names the table"
is "$(ls -A "$T/out")" "" "the unfinished output is removed, temp file and all"

done_testing
