# The TDS 7.4 test server of tests/tds for the SQL Server tests: source it after tests/lib.sh.
# shellcheck shell=bash

# tds_serve CONFIG DATABASE: (re)starts the test server with CONFIG (tests/tds/tds_server.py
# says its form; user xpbackup, password pa;ssw0rd) on a free loopback port, with a new
# statement log in $T/log; sets PORT (empty when it did not start, $T/server.err says why)
# and writes the FreeTDS connection string to $T/dsn. tds_stop stops it (done at exit).
TDS_PID=
tds_stop() {
	[ -z "$TDS_PID" ] || { kill "$TDS_PID" && wait "$TDS_PID"; } 2>/dev/null
	TDS_PID=
}
tds_serve() {
	tds_stop
	rm -f "$T/port" "$T/log"
	python3 "$XP_SRCDIR/tests/tds/tds_server.py" --config "$1" \
		--port-file "$T/port" --log "$T/log" 2>"$T/server.err" &
	TDS_PID=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	PORT=$(cat "$T/port" 2>/dev/null)
	(umask 077 && printf 'Driver=FreeTDS;Server=127.0.0.1;Port=%s;TDS_Version=7.4;UID=xpbackup;PWD={pa;ssw0rd};Database=%s\n' \
		"$PORT" "$2" >"$T/dsn")
}
at_exit tds_stop
