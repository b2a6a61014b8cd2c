#!/bin/bash
# xpbackup-job with VAULT_COPIES: every night brings the registered vault copies up to
# date (the new shreddable backups' keys go there, the keys of deleted ones go from there); a
# vault copy out of reach fails the night (status 1, so cron mails) while everything else still
# runs, and the next night that reaches it finishes; a directory that is not a registered
# vault copy stops the job before the dump.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"

"$MKDB" -n 200 -d 30 -e 2026-11-20 "$T/audit.db" || { echo "Bail out! make-demo-db failed"; exit 1; }
export XP_SIGNING_KEY=$T/signer.key
RID=$(sed -n 2p "$R/keys/repo.id")
V=$XP_STATE_DIR/vault/$RID
keys() { (cd "$1" 2>/dev/null && find . -name '*.key' | sed 's|.*/||; s|\.key$||' | sort | paste -sd' '); }
steps() { printf '%s\n' "$1" | sed -n 's/^xpbackup-job: \([a-z]*\):.*/\1/p' | paste -sd' '; }

# --- a directory that is not a registered vault copy: nothing runs ---------------------------
mkdir -p "$T/keydisk"
conf "$T/job.conf" SHREDDABLE=yes VAULT_COPIES="$T/keydisk"
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc:$err" "1:xpbackup-job: VAULT_COPIES=$T/keydisk: not a vault copy of $R on this host (register it with xpseal vault add)
xpbackup-job: 1 problem(s); nothing was run" "VAULT_COPIES naming no registered vault copy: exit 1 before anything runs"
is "$(ids)" "" "nothing was sealed"

# --- registered: the new backup's key is on the vault copy ------------------------------------
xpseal vault add -r "$R" "$T/keydisk" >/dev/null || { echo "Bail out! vault add failed"; exit 1; }
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "with the vault copy registered the job exits 0"
id1=$(ids)
is "$(steps "$err")" "dump seal verify expire vault check done" "the vault copies are synced after the expiry, before the check"
like "$err" "*xpbackup-job: vault: 0 key(s) copied to the vault copies*" "the log says what the sync copied"
is "$(keys "$T/keydisk")" "$id1" "the new backup's key is on the vault copy"
cmp -s "$V/$id1.key" "$T/keydisk/$RID/$id1.key"
ok $? "the very key file"

# A key the copy lost is given back by the next night's sync.
rm "$T/keydisk/$RID/$id1.key"
conf "$T/job.conf" SHREDDABLE=yes VAULT_COPIES="$T/keydisk" KEEP_LAST=2
XP_NOW=2026-11-21T15:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "the next run exits 0"
like "$err" "*xpbackup-job: vault: 1 key(s) copied to the vault copies*" "and copies the key the vault copy lost back there"
is "$(keys "$T/keydisk")" "$(ids)" "the vault copy holds the keys of both backups"

# --- the vault copy not mounted: the night fails, everything else runs ------------------------
conf "$T/job.conf" SHREDDABLE=yes VAULT_COPIES="$T/keydisk" KEEP_LAST=1
mv "$T/keydisk" "$T/keydisk.away"
mkdir "$T/keydisk"
before=$(ids | tr ' ' '\n')
XP_NOW=2026-11-22T03:15:00Z run "$JOB" -q -c "$T/job.conf"
is "$rc" 1 "a vault copy out of reach: the job exits 1"
id3=$(ids | tr ' ' '\n' | grep -vxF -e "$before")
is "$(ids)" "$id3" "the new backup was sealed, and retention deleted the older ones"
is "$(steps "$err")" "dump seal verify expire expire vault check done" \
	"every step ran: the expiry and the sync say what they missed, then the check"
like "$err" "*xpbackup-job: check failed (status 1): xpverify: * shredding interrupted; the next catalog change finishes it*" \
	"which reports the shredding pending on the copy"
like "$err" "*xpbackup-job: expire: a vault copy was not reached (status 1): xpexpire: $R: shredding not finished on every vault copy*" \
	"the expiry could not destroy the deleted backups' keys there"
like "$err" "*xpbackup-job: vault: a vault copy was not reached (status 1): xpseal: $R: the vault and its copies do not agree yet (see above)*" \
	"nor the sync give the new key"
like "$(printf '%s\n' "$err" | tail -n 1)" \
	"xpbackup-job: done: backup $id3, but a vault copy was not reached (expire; vault): keys are not where they must be until a run reaches it (xpseal vault list)" \
	"the last line says the night failed, and why"
is "$(ls "$T/keydisk")" "" "nothing was made on the empty mount point"

# --- back: the next night finishes -------------------------------------------------------
rmdir "$T/keydisk"
mv "$T/keydisk.away" "$T/keydisk"
XP_NOW=2026-11-23T03:15:00Z run "$JOB" -c "$T/job.conf"
is "$rc" 0 "with the vault copy back the next night exits 0"
is "$(keys "$T/keydisk")" "$(ids)" "the vault copy holds the key of the one backup kept, and no other"
is "$(keys "$V")" "$(ids)" "as the host's vault does"

done_testing
