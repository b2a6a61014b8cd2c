#!/bin/bash
# xpbackup-job when a step dies: a dump that ends early, a seal that fails, a job
# stopped by SIGTERM mid-dump. Nothing half-done reaches the catalog or REPO/data, and the
# plaintext dump never outlives the run.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 300 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
conf "$T/job.conf" KEEP_LAST=10
run "$JOB" -c "$T/job.conf"
is "$rc" 0 "a first, good run"
before=$(cat "$R/catalog" "$R/journal")

# A stand-in xpdump (first on PATH) that writes part of a real dump, then fails.
mkdir -p "$T/fake"
cat >"$T/fake/xpdump" <<EOF
#!/bin/bash
[ "\$1" != --version ] || exec "$XP_BUILDDIR/src/xpdump/xpdump" --version
"$XP_BUILDDIR/src/xpdump/xpdump" -q --dsn "Driver=SQLite3;Database=$T/audit.db" -t audit_log | head -c 20000
echo "xpdump: connection lost" >&2
exit 1
EOF
chmod 755 "$T/fake/xpdump"
PATH=$T/fake:$PATH run "$JOB" -c "$T/job.conf"
is "$rc" 1 "a dump that dies half way: the job exits 1"
like "$err" "*xpseal: input is not a complete dump stream*xpbackup-job: dump failed (status 1): xpdump: connection lost; nothing sealed" \
	"xpseal refuses the partial stream; the log names the dump as the cause"
is "$(cat "$R/catalog" "$R/journal")" "$before" "no catalog entry, no journal record"
is "$(files)" 2 "no new file under REPO/data"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the work directory is removed"

# A seal that fails (a signing key that is not one): the dump is stopped, nothing is left.
(umask 077 && echo "not a key" >"$T/bad-key")
conf "$T/bad.conf" KEEP_LAST=10 SIGNING_KEY="$T/bad-key"
run "$JOB" -c "$T/bad.conf"
is "$rc" 1 "a failing seal: the job exits 1"
like "$err" "*xpbackup-job: seal failed (status 1): xpseal: *" "the log names the seal"
is "$(cat "$R/catalog" "$R/journal"):$(files)" "$before:2" "nothing sealed"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the work directory is removed"

# SIGTERM while the dump runs: the dump is stopped, the work directory removed, status 143.
cat >"$T/fake/xpdump" <<EOF
#!/bin/bash
[ "\$1" != --version ] || exec "$XP_BUILDDIR/src/xpdump/xpdump" --version
"$XP_BUILDDIR/src/xpdump/xpdump" -q --dsn "Driver=SQLite3;Database=$T/audit.db" -t audit_log | head -c 20000
echo \$\$ >"$T/dump.pid"
exec sleep 600
EOF
rm -f "$T/dump.pid"
PATH=$T/fake:$PATH "$JOB" -c "$T/job.conf" >"$T/term.out" 2>"$T/term.err" &
job=$!
for _ in $(seq 600); do [ -s "$T/dump.pid" ] && break; sleep 0.1; done
[ -s "$T/dump.pid" ]
ok $? "the stand-in dump started"
dump=$(cat "$T/dump.pid")
kill -TERM "$job"
wait "$job"
is "$?" 143 "the job stopped by SIGTERM exits 143"
kill -0 "$dump" 2>/dev/null
is "$?" 1 "the dump was stopped with it"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the work directory is removed"
is "$(cat "$R/catalog" "$R/journal"):$(files)" "$before:2" "nothing sealed, no temporary file in REPO/data"
is "$(tail -n 1 "$T/term.err")" "xpbackup-job: stopped by SIGTERM" "the log says why it stopped"
run "$JOB" -c "$T/job.conf"
is "$rc" 0 "the lock is free for the next run"

run xpverify -r "$R"
is "$rc" 0 "xpverify -r finds the repository consistent"
done_testing
