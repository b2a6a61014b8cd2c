#!/bin/bash
# xpbackup-job checks both sides of the pipe: an xpdump that fails after writing a
# complete dump stream fails the run, though xpseal sealed the (complete) backup, and the
# log names it.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 200 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
conf "$T/job.conf" KEEP_LAST=10
mkdir -p "$T/fake"
cat >"$T/fake/xpdump" <<EOF
#!/bin/bash
[ "\$1" != --version ] || exec "$XP_BUILDDIR/src/xpdump/xpdump" --version
"$XP_BUILDDIR/src/xpdump/xpdump" -q --dsn "Driver=SQLite3;Database=$T/audit.db" -t audit_log --time-column utc_time
echo "xpdump: closing the connection: server gone" >&2
exit 1
EOF
chmod 755 "$T/fake/xpdump"
PATH=$T/fake:$PATH run "$JOB" -c "$T/job.conf"
is "$rc" 1 "an xpdump that fails after a complete stream fails the run"
id=$(ids)
is "${#id}" 32 "the complete backup is sealed and kept"
is "$(printf '%s\n' "$err" | tail -n 1)" \
	"xpbackup-job: dump failed (status 1) after a complete dump stream; backup $id is sealed, retention not run: xpdump: closing the connection: server gone" \
	"the log names the failure and the backup"
is "$(grep -v '^#' "$R/journal" | cut -f2-3)" "$id	sealed" "no verification or expiry ran after the failure"
is "$(find "$W" -mindepth 1 | wc -l)" 0 "the work directory is removed"
done_testing
