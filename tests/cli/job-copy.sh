#!/bin/bash
# xpbackup-job with COPY_TO: every verified new backup goes to the named copy targets,
# expiry reaches them, a target declared outside the EU makes the night a warning (status 4),
# a copy that fails fails the run, and a name that is not registered stops it before the dump.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 200 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
export XP_SIGNING_KEY=$T/signer.key
backups() { (cd "$1" 2>/dev/null && find data -name '*.xps' | sed 's|.*/||; s|\.xps$||' | sort | paste -sd' '); }

# --- a name that is not registered: nothing runs ---------------------------------------------
conf "$T/job.conf" COPY_TO=nas
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 1 "COPY_TO naming no registered target: the job exits 1"
is "$err" "xpbackup-job: COPY_TO=nas: no such copy target of $R on this host (register it with xpcopy add)
xpbackup-job: 1 problem(s); nothing was run" "before anything runs, naming it"
is "$(ids)" "" "nothing was sealed"

# --- a target inside the EU ------------------------------------------------------------------
xpcopy add -r "$R" --jurisdiction eu nas "$T/nas"
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "with nas registered the job exits 0"
id1=$(ids)
is "$(printf '%s\n' "$err" | sed -n 's/^xpbackup-job: \([a-z]*\):.*/\1/p' | paste -sd' ')" \
	"dump seal verify copy expire check done" "the copy comes after the verification, before the expiry"
like "$err" "*xpbackup-job: copy: 1 backup(s) to nas*" "the log says what was copied where"
is "$(backups "$T/nas")" "$id1" "the new backup is on the copy"
cmp -s "$R/catalog" "$T/nas/catalog"
ok $? "with the catalog"

XP_NOW=2026-11-22T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "the next night exits 0"
id2=$(ids)
like "$err" "*xpbackup-job: expire: 1 of 2 backups deleted; 1 deletion(s) from copies*" \
	"keep-last 1 deletes the first backup from the repository and from the copy"
is "$(backups "$T/nas")" "$id2" "the copy holds the new backup only"

# --- a target declared outside the EU: a warning ------------------------------------------
xpcopy add -r "$R" --jurisdiction non-eu far "$T/far"
conf "$T/job.conf" COPY_TO="nas far"
XP_NOW=2026-11-23T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc" 4 "a target declared outside the EU: the job exits 4"
id3=$(ids)
is "$(backups "$T/far")" "$id3" "the backup was copied there all the same"
like "$err" "*xpbackup-job: copy target(s) far declared outside the EU: backups of personal data leave the EU*" \
	"the warning names the target, even with -q"
is "$(printf '%s\n' "$err" | tail -n 1 | sed 's/ in [0-9]*s,/ in Ns,/')" \
	"xpbackup-job: done: backup $id3 in Ns, but copy target(s) far declared outside the EU (status 4)" \
	"and the last line says why the night is a warning"

# --- a copy that fails fails the run ------------------------------------------------------
conf "$T/job.conf" COPY_TO=nas
mv "$T/nas" "$T/nas.away"
: >"$T/nas"
XP_NOW=2026-11-24T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 1 "a copy that fails: the job exits 1"
like "$err" "*xpbackup-job: copy failed (status 1): xpcopy: copy nas: $T/nas: Not a directory*" "naming the copy and why"
is "$(ids | wc -w)" 2 "the new backup stays sealed, and no expiry ran"
rm "$T/nas"
mv "$T/nas.away" "$T/nas"
XP_NOW=2026-11-25T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "once the copy is back the next night exits 0"
is "$(backups "$T/nas")" "$(ids)" "and the copy holds what the repository holds"

done_testing
