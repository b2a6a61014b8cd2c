#!/bin/bash
# xpbackup-job never reports success on a bad night: a source with rows past MAX_AGE
# (left out of the dump, reported, status 4), a new backup that its own retention deletes
# (status 1), a configuration checked whole before anything runs (--check), a killed step
# named with its signal.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

is "$("$JOB" --version)" "xpbackup-job (xpbackup) $(sed -n 's/^AC_INIT(\[xpbackup\], \[\([^]]*\)\].*/\1/p' "$XP_SRCDIR/configure.ac")" \
	"--version: the package's version"

# --- rows past the legal limit in the source -------------------------------------------------
# 300 rows over the 30 days up to 2026-11-20, and one stray row from 1999
"$MKDB" -n 300 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
sqlite3 "$T/audit.db" "CREATE TEMP TABLE stray AS SELECT * FROM audit_log WHERE id = 1;
	UPDATE stray SET id = 0, utc_time = '1999-01-01 00:00:00'; INSERT INTO audit_log SELECT * FROM stray"
is "$(sqlite3 "$T/audit.db" "SELECT count(*), min(utc_time) FROM audit_log")" "301|1999-01-01 00:00:00" \
	"the source holds one row from 1999"
conf "$T/job.conf" KEEP_LAST=7 MAX_AGE=90d
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -q -c "$T/job.conf"
id=$(ids)
is "$rc" 4 "a source with rows past MAX_AGE: the job exits 4"
is "${#id}" 32 "the new backup is kept"
like "$err" "*xpdump: table audit_log: 1 rows past --max-age 90d (at or before 2026-08-23T03:15:00Z), the oldest from 1999-01-01T00:00:00Z*" \
	"even with -q it says how many rows, from when, and the limit"
like "$err" "*xpbackup-job: done: backup $id in *s, but the source holds rows past MAX_AGE=90d (status 4)" \
	"the last line names the kept backup and the warning"
is "$(awk -F'\t' '!/^#/ { print $4, $5 }' "$R/catalog")" "2026-10-22T00:00:00Z 2026-11-20T23:59:59Z" \
	"the backup's data window starts inside the legal limit"
is "$(sed -n 's/^table\taudit_log\t\([0-9]*\)\t.*/\1/p' <(xpseal open -r "$R" --password-file "$T/pw" "$id" | tar xOf - SUMMARY))" \
	300 "the 1999 row is not in the backup"
run xpverify -r "$R"
is "$rc" 0 "the repository checks clean"

# the row deleted at the source: the next night is a plain success
sqlite3 "$T/audit.db" "DELETE FROM audit_log WHERE id = 0"
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc:$err" "0:" "without such rows: exit 0, nothing printed with -q"

# the status decides, not the wording: an xpdump that exits 4 saying something else still
# makes the night exit 4
mkdir -p "$T/fake"
cat >"$T/fake/xpdump" <<EOF
#!/bin/bash
[ "\$1" != --version ] || exec "$XP_BUILDDIR/src/xpdump/xpdump" --version
"$XP_BUILDDIR/src/xpdump/xpdump" "\$@" || exit
echo "xpdump: some rows are too old" >&2
exit 4
EOF
chmod 755 "$T/fake/xpdump"
XP_NOW=2026-11-22T09:15:00Z PATH=$T/fake:$PATH run "$JOB" -q -c "$T/job.conf"
is "$rc" 4 "an xpdump status 4 with other words: the job still exits 4"
like "$err" "*xpdump: some rows are too old*" "and passes on what xpdump said"
rm "$T/fake/xpdump"

# --- a new backup that its own retention deletes -----------------------------------------------
# a stand-in xpexpire whose policy disagrees with the dump (a one-second legal limit)
mkdir -p "$T/fake"
cat >"$T/fake/xpexpire" <<EOF
#!/bin/bash
case " \$* " in *" --list "* | " --version ") exec "$XP_BUILDDIR/src/xpexpire/xpexpire" "\$@" ;; esac
exec "$XP_BUILDDIR/src/xpexpire/xpexpire" "\$@" --max-age 1s
EOF
chmod 755 "$T/fake/xpexpire"
XP_NOW=2026-11-23T03:15:00Z PATH=$T/fake:$PATH run "$JOB" -q -c "$T/job.conf"
is "$rc" 1 "a backup deleted by the same run's retention: the job exits 1"
like "$err" "*xpbackup-job: backup * was deleted by this run's own retention: nothing was kept*" "and says so"
case $err in *"done:"*) ok 1 "no 'done:' line for a deleted backup" ;; *) ok 0 "no 'done:' line for a deleted backup" ;; esac
rm "$T/fake/xpexpire"

# --- preflight --------------------------------------------------------------------------------
before=$(cat "$R/catalog" "$R/journal")
chmod 644 "$T/pw"
printf 'Driver=SQLite3;Database=%s\n' "$T/audit.db" >"$T/dsn"
chmod 640 "$T/dsn"
conf "$T/bad.conf" DSN= DSN_FILE="$T/dsn" SIGNING_KEY="$T/no-such-key" WORK_DIR="$T/no-such-dir"
XP_NOW=2026-11-24T03:15:00Z run "$JOB" -q -c "$T/bad.conf"
is "$rc:$err" "1:xpbackup-job: SIGNING_KEY=$T/no-such-key: no such file
xpbackup-job: DSN_FILE=$T/dsn: readable by group (mode 0640); chmod 600 it
xpbackup-job: PASSWORD_FILE=$T/pw: readable by others (mode 0644); chmod 600 it
xpbackup-job: WORK_DIR=$T/no-such-dir: no such directory
xpbackup-job: 4 problem(s); nothing was run" "every problem at once, one line each, status 1"
is "$(cat "$R/catalog" "$R/journal")" "$before" "nothing was sealed"
run "$JOB" --check -c "$T/bad.conf"
is "$rc" 1 "--check finds the same problems"
like "$err" "*4 problem(s); nothing was run" "and counts them"
chmod 604 "$T/pw"
run "$JOB" --check -c "$T/job.conf"
is "$rc:$err" "1:xpbackup-job: PASSWORD_FILE=$T/pw: readable by others (mode 0604); chmod 600 it
xpbackup-job: 1 problem(s); nothing was run" "a password file others can read"
chmod 600 "$T/pw"
run "$JOB" --check -c "$T/job.conf"
is "$rc:$err" "0:xpbackup-job: $T/job.conf: ready (repository, keys, files, work directory, space, tools 0.1.0)" \
	"--check on a good configuration: ready, status 0"
is "$(cat "$R/catalog" "$R/journal")" "$before" "--check seals nothing"
conf "$T/nt.conf" TIME_COLUMN=
run "$JOB" --check -c "$T/nt.conf"
like "$err" "*MAX_AGE=90d needs TIME_COLUMN*" "MAX_AGE without TIME_COLUMN is a problem"
mkdir "$T/empty"
conf "$T/nr.conf" REPO="$T/empty"
run "$JOB" --check -c "$T/nr.conf"
is "$rc:$err" "1:xpbackup-job: REPO=$T/empty: not a repository: no keys/repo.pub (create it with xpseal init)
xpbackup-job: REPO=$T/empty: not a repository: no keys/signer.pub (create it with xpseal init)
xpbackup-job: 2 problem(s); nothing was run" "an empty directory (an unmounted disk) is not a repository"
printf '#!/bin/sh\necho "xpverify (xpbackup) 0.0.9"\n' >"$T/fake/xpverify"
chmod 755 "$T/fake/xpverify"
PATH=$T/fake:$PATH run "$JOB" --check -c "$T/job.conf"
is "$rc:$err" "1:xpbackup-job: $T/fake/xpverify: not version 0.1.0 of xpbackup, as xpbackup-job is (it says: xpverify (xpbackup) 0.0.9)
xpbackup-job: 1 problem(s); nothing was run" "a tool of another version is a problem"
rm "$T/fake/xpverify"
run "$JOB" --frobnicate
is "$rc" 2 "an unknown long option: status 2"

# --- a killed seal ----------------------------------------------------------------------------
printf '#!/bin/bash\n[ "$1" != --version ] || exec "%s" --version\nkill -KILL $$\n' \
	"$XP_BUILDDIR/src/xpseal/xpseal" >"$T/fake/xpseal"
chmod 755 "$T/fake/xpseal"
XP_NOW=2026-11-25T03:15:00Z PATH=$T/fake:$PATH run "$JOB" -q -c "$T/job.conf"
is "$rc" 137 "a seal killed by SIGKILL: the job exits 137"
like "$err" "*xpbackup-job: seal failed (killed by SIGKILL, status 137)*" "the log names the signal"
case $err in *Killed*) ok 1 "no shell job notice in the log" ;; *) ok 0 "no shell job notice in the log" ;; esac

# --- the whole repository is checked, not only the new backup ---------------------------------
rm -f "$T/fake/xpseal"
XP_NOW=2026-11-26T03:15:00Z run "$JOB" -q -c "$T/job.conf"
old=$(ids)
is "$rc:${#old}" "0:32" "a good night: one backup"
f=$R/data/${old:0:2}/$old.xps
flip_byte "$f" 200
XP_NOW=2026-11-27T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc" 3 "an older backup damaged: the night's run exits 3"
like "$err" "*$old*xpbackup-job: check failed (status 3)*" "the check names the damaged backup"

done_testing
