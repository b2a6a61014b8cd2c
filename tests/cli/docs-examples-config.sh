#!/bin/bash
# The examples an administrator copies: examples/xpbackup.conf runs the job as shipped (its
# paths mapped into a sandbox), the crontab line and the systemd service start the same
# command, and systemd-analyze accepts the service and timer with their man pages.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"
E=$XP_SRCDIR/examples

# --- xpbackup.conf, as shipped, with its paths moved into $T -------------------------------
"$MKDB" -n 300 -d 30 -e 2026-11-20 "$T/audit.db" >/dev/null || { echo "Bail out! make-demo-db failed"; exit 1; }
(umask 077 && sqlite_dsn "$T/audit.db" >"$T/dsn")
sed -e "s#/srv/xpbackup#$R#g; s#/etc/xpbackup/dsn#$T/dsn#; s#/var/lib/xpbackup/signer.key#$T/signer.key#" \
	-e 's#^TIME_COLUMN=.*#TIME_COLUMN=utc_time#; s#^SYSLOG=yes#SYSLOG=no#' "$E/xpbackup.conf" >"$T/shipped.conf"
chmod 600 "$T/shipped.conf"
is "$(diff "$E/xpbackup.conf" "$T/shipped.conf" | sed -n 's/^> \([A-Z_]*\)=.*/\1/p' | paste -sd' ')" \
	"REPO DSN_FILE SIGNING_KEY SYSLOG" "in the sandbox copy only the paths and SYSLOG change"
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -c "$T/shipped.conf"
is "$rc" 0 "the job runs with the shipped configuration"
like "$err" "*keep-daily 2026-11-21, keep-weekly 2026-W47, keep-monthly 2026-11*" \
	"with its policy (daily, weekly, monthly)"
is "$(awk -F'\t' '!/^#/ { print $6 }' "$R/catalog")" "vms-audit" "and its source name"
is "$(grep -o '^[A-Z_]*=' "$E/xpbackup.conf" | sort | uniq -d)" "" "no key is set twice"
is "$(grep -o '^#\?[A-Z_]*=' "$E/xpbackup.conf" | tr -d '#=' | sort -u | paste -sd' ')" \
	"$(sed -n '/job_key_names\[K_COUNT\] = {/,/^};/p' "$XP_SRCDIR/src/xpbackup-job/conf.c" | grep -o '"[A-Z_]*"' | tr -d '"' | sort | paste -sd' ')" \
	"the example shows every key the job knows"

# --- cron and systemd start the same command ---------------------------------------------
cron_cmd=$(awk '!/^#/ && NF >= 7 && $1 ~ /^[0-9*]/ { $1 = $2 = $3 = $4 = $5 = $6 = ""; sub(/^ +/, ""); print }' "$E/crontab")
svc_cmd=$(sed -n 's/^ExecStart=//p' "$E/systemd/xpbackup.service")
is "$cron_cmd" "/usr/local/bin/xpbackup-job -q -c /etc/xpbackup/xpbackup.conf" "the crontab line runs the job, quiet unless it fails"
is "$svc_cmd" "${cron_cmd/ -q/}" "the service runs the same command, its output going to the journal"
like "$(awk '!/^#/ && NF >= 7 && $1 ~ /^[0-9*]/ { print $6 }' "$E/crontab")" root "crontab: the user field is root"
for k in ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes ProtectHome=yes \
	"ReadWritePaths=/srv/xpbackup /var/lib/xpbackup"; do
	grep -qx "$k" "$E/systemd/xpbackup.service"
	ok $? "the service sets $k"
done
is "$(sed -n 's/^REPO=//p' "$E/xpbackup.conf") $(dirname "$(sed -n 's/^SIGNING_KEY=//p' "$E/xpbackup.conf")")" \
	"$(sed -n 's/^ReadWritePaths=//p' "$E/systemd/xpbackup.service")" \
	"ReadWritePaths= names the configured repository and the signing key's directory"

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units" "$T/man/man1" "$T/man/man7"
	ln -s "$XP_SRCDIR/man/xpbackup.7" "$T/man/man7/"
	ln -s "$XP_SRCDIR/man/xpexpire.1" "$T/man/man1/"
	sed "s#^ExecStart=/usr/local/bin/xpbackup-job#ExecStart=$JOB#" "$E/systemd/xpbackup.service" >"$T/units/xpbackup.service"
	cp "$E/systemd/xpbackup.timer" "$T/units/"
	MANPATH=$T/man run systemd-analyze verify "$T/units/xpbackup.service" "$T/units/xpbackup.timer"
	is "$rc:$out$err" "0:" "systemd-analyze verify accepts the service and the timer"
else
	skip "systemd-analyze is not installed"
fi
done_testing
