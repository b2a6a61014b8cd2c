#!/bin/bash
# xprestore's usage and database failures: status 2 for usage, 1 for a bad connection string,
# a missing table, a row the database refuses; the target is left as it was.
. "$XP_SRCDIR/tests/lib.sh"
. "$XP_SRCDIR/tests/lib-db.sh"

run xprestore --help
is "$rc" 0 "--help exits 0"
like "$out" "usage: xprestore --dsn CONNSTR*" "--help prints usage on stdout"
run xprestore --bogus --dsn x
is "$rc" 2 "an unknown option exits 2"
run xprestore -i /dev/null
is "$rc" 2 "no --dsn exits 2"
like "$err" "xprestore: *--dsn*" "and says what is missing"
run xprestore --dsn x --dsn-file /dev/null -i /dev/null
is "$rc" 2 "--dsn and --dsn-file together exit 2"
run xprestore --dsn x extra
is "$rc" 2 "an extra argument exits 2"

"$XP_SRCDIR/examples/make-demo-db" -n 2500 -e 2026-11-24 "$T/src.db"
xpdump --dsn "$(sqlite_dsn "$T/src.db")" -t audit_log -o "$T/log.tar" ||
	{ echo "Bail out! xpdump failed"; exit 1; }

run xprestore --dsn "$(sqlite_dsn "$T/x.db")" -i "$T/missing.tar"
is "$rc" 1 "a missing input file exits 1"
like "$err" "xprestore: $T/missing.tar: *" "and names it"
run xprestore --dsn "$(sqlite_dsn "$T/x.db")" -i "$T"
is "$rc|$err" "1|xprestore: dump stream: read: Is a directory" \
	"an input that cannot be read exits 1 (I/O), not 3 (a damaged stream)"

run xprestore --dsn "Driver=NoSuchDriver;Database=x;PWD=hunter2" -i "$T/log.tar"
is "$rc" 1 "a bad connection string exits 1"
like "$err" "xprestore: *" "with a message"
like "$err" "*PWD=\*\*\**" "that shows the connection string without its password"
case $err in *hunter2*) ok 1 "the password stays out of the message" ;;
*) ok 0 "the password stays out of the message" ;; esac

sqlite3 "$T/empty.db" "CREATE TABLE other (x INTEGER)"
run xprestore --dsn "$(sqlite_dsn "$T/empty.db")" -i "$T/log.tar"
is "$rc" 1 "a missing target table exits 1"
like "$err" "xprestore: audit_log: *no such table*" "and names the table"

# a row the database refuses (a duplicate key) in the third batch: nothing stays
"$XP_SRCDIR/examples/make-demo-db" -n 0 "$T/dup.db"
sqlite3 "$T/dup.db" "INSERT INTO audit_log (id, utc_time, category, action, result)
	VALUES (2100, '2026-01-01 00:00:00', 'c', 'a', 'r')"
run xprestore --dsn "$(sqlite_dsn "$T/dup.db")" -i "$T/log.tar"
is "$rc" 1 "a row the database refuses exits 1"
like "$err" "xprestore: audit_log: row *UNIQUE*" "and names the table and the row"
is "$(count_sqlite "$T/dup.db" audit_log)" 1 "the rows of the earlier batches are rolled back"

# the connection string from a file (0600, with a trailing newline)
(umask 077 && sqlite_dsn "$T/viafile.db" >"$T/dsn")
run xprestore -q --dsn-file "$T/dsn" --create -i "$T/log.tar"
is "$rc" 0 "--dsn-file reads the connection string from a file"
is "$(count_sqlite "$T/viafile.db" audit_log)" 2500 "and loads every row"
(umask 077 && : >"$T/dsn-empty")
run xprestore --dsn-file "$T/dsn-empty" -i "$T/log.tar"
is "$rc" 2 "an empty --dsn-file exits 2"

# progress on a terminal (script(1) gives xprestore one), none with -q
if command -v script >/dev/null; then
	script -qec "$XP_BUILDDIR/src/xprestore/xprestore --dsn '$(sqlite_dsn "$T/tty.db")' --create -i '$T/log.tar'" \
		/dev/null >"$T/tty.out" 2>&1
	is "$(tr '\r' '\n' <"$T/tty.out" | grep -c 'rows loaded')" 4 \
		"on a terminal xprestore shows progress every 1000 rows and at the end"
	like "$(tr '\r' '\n' <"$T/tty.out" | grep -v '^$' | tail -1)" "xprestore: 2500 rows loaded into 1 table" \
		"then the summary line"
	script -qec "$XP_BUILDDIR/src/xprestore/xprestore -q --dsn '$(sqlite_dsn "$T/tty2.db")' --create -i '$T/log.tar'" \
		/dev/null >"$T/tty.out" 2>&1
	is "$(cat "$T/tty.out")" "" "-q keeps it quiet on a terminal"
else
	skip "no script(1) to give xprestore a terminal"
	skip "no script(1) to give xprestore a terminal"
	skip "no script(1) to give xprestore a terminal"
fi

# the server goes away mid-restore: the stream arrives through a FIFO; the server is stopped
# once xprestore is connected and has loaded the first chunk, before the rest is written
if pg_start; then
	"$XP_SRCDIR/examples/make-demo-db" -n 20000 -e 2026-11-24 "$T/big.db"
	xpdump --dsn "$(sqlite_dsn "$T/big.db")" -t audit_log --chunk-size 65536 -o "$T/big.tar"
	first=$(tar tvf "$T/big.tar" --block-number | awk '/audit_log\/000006.csv/ { sub(":", "", $2); print $2 * 512 }')
	mkfifo "$T/fifo"
	xprestore -q --dsn "$PG_DSN" --create -i "$T/fifo" >"$T/drop.out" 2>"$T/drop.err" &
	pid=$!
	exec 3>"$T/fifo"
	head -c "$first" "$T/big.tar" >&3
	for _ in $(seq 600); do # until xprestore's session shows up (at most a minute)
		n=$(psqlq -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
			AND pid <> pg_backend_pid()") || break
		[ "$n" -gt 0 ] && break
		sleep 0.1
	done
	_pg_as "$PG_BIN/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1
	tail -c +"$((first + 1))" "$T/big.tar" >&3 2>/dev/null
	exec 3>&-
	wait "$pid"
	is "$?" 1 "a server that goes away mid-restore: exit 1"
	like "$(cat "$T/drop.err")" "xprestore: *" "with a message"
	diag "$(cat "$T/drop.err")"
else
	skip "no PostgreSQL server binaries: server stop mid-restore"
	skip "no PostgreSQL server binaries: server stop mid-restore"
fi

done_testing
