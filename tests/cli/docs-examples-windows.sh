#!/bin/bash
# The Windows examples an administrator copies: the Task Scheduler XML is well-formed and runs
# the job as README.md "Windows" says (daily at 03:00, as the service account whether anyone is
# logged on or not, hidden, stopped after some hours), with the crontab's options; schtasks is
# given it by the same line in README.md and in the XML; examples/windows/xpbackup.conf shows
# every key the job knows, sets the same ones as examples/xpbackup.conf, and only its paths
# differ, all of them Windows paths under the folders README.md names.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
E=$XP_SRCDIR/examples
X=$E/windows/xpbackup-task.xml
C=$E/windows/xpbackup.conf

# --- the task --------------------------------------------------------------------------
if command -v xmllint >/dev/null; then
	run xmllint --noout "$X"
	field() { xmllint --xpath "string(//*[local-name()='$1'])" "$X"; }
	root() { xmllint --xpath "concat(namespace-uri(/*), ' ', local-name(/*), ' ', /*/@version)" "$X"; }
elif command -v python3 >/dev/null; then
	run python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$X"
	field() {
		python3 -c 'import sys, xml.etree.ElementTree as E
e = E.parse(sys.argv[1]).getroot().find(".//{*}" + sys.argv[2])
print("" if e is None else e.text or "")' "$X" "$1"
	}
	root() {
		python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(r.tag[1:].replace("}", " "), r.get("version"))' "$X"
	}
else
	skip_all "neither xmllint nor python3 to read XML"
fi
is "$rc:$err" "0:" "the task XML is well-formed"
is "$(root)" "http://schemas.microsoft.com/windows/2004/02/mit/task Task 1.2" \
	"a Task Scheduler task, schema 1.2"
is "$(field Command) $(field Arguments)" \
	'"C:\Program Files\xpbackup\xpbackup-job.exe" -q -c C:\ProgramData\xpbackup\xpbackup.conf' \
	"it runs xpbackup-job.exe -q -c C:\\ProgramData\\xpbackup\\xpbackup.conf"
cron_args=$(awk '!/^#/ && NF >= 7 && $1 ~ /^[0-9*]/ { $1 = $2 = $3 = $4 = $5 = $6 = $7 = ""; sub(/^ +/, ""); print }' "$E/crontab")
is "${cron_args%/*}" "-q -c /etc/xpbackup" "the crontab's options (quiet unless it fails)"
is "$(field Arguments)" "${cron_args%% /*} C:\\ProgramData\\xpbackup\\${cron_args##*/}" \
	"are the task's, with the configuration in C:\\ProgramData\\xpbackup"
is "$(field StartBoundary | cut -dT -f2) every $(field DaysInterval) day" "03:00:00 every 1 day" \
	"daily at 03:00"
is "$(field UserId) $(field LogonType) $(field RunLevel)" "xpbackup Password LeastPrivilege" \
	"as the account xpbackup, logged on or not, without elevation"
is "$(field Hidden) $(field MultipleInstancesPolicy) $(field StartWhenAvailable)" "true IgnoreNew true" \
	"hidden, never twice at once, a missed run made up"
like "$(field ExecutionTimeLimit)" "PT[1-9]*H" "stopped after some hours"
schtasks_xml=$(grep -o 'schtasks /create .*' "$X")
schtasks_readme=$(grep -o '^schtasks /create .*' "$XP_SRCDIR/README.md")
is "$schtasks_xml" "$schtasks_readme" "README.md and the XML give schtasks the same line"
is "$schtasks_xml" 'schtasks /create /tn xpbackup /xml "C:\Program Files\xpbackup\examples\xpbackup-task.xml" /ru xpbackup /rp *' \
	"which installs this XML from the examples, as the same account, asking for its password"

# --- the configuration -----------------------------------------------------------------
keys() { grep -o "^$1[A-Z_]*=" "$2" | tr -d '#=' | sort -u | paste -sd' '; }
is "$(keys '#\?' "$C")" \
	"$(sed -n '/job_key_names\[K_COUNT\] = {/,/^};/p' "$XP_SRCDIR/src/xpbackup-job/conf.c" | grep -o '"[A-Z_]*"' | tr -d '"' | sort | paste -sd' ')" \
	"the Windows configuration shows every key the job knows"
is "$(keys '' "$C")" "$(keys '' "$E/xpbackup.conf")" "and sets the same keys as the Unix one"
is "$(grep -o '^[A-Z_]*=' "$C" | sort | uniq -d)" "" "none twice"
is "$(diff "$E/xpbackup.conf" "$C" | sed -n 's/^> \([A-Z_]*\)=.*/\1/p' | paste -sd' ')" \
	"REPO DSN_FILE SIGNING_KEY" "only its paths differ"
paths=$(sed -n 's/^#\?\(REPO\|DSN_FILE\|SIGNING_KEY\|PASSWORD_FILE\|LOCK\|WORK_DIR\)=//p' "$C")
is "$(grep -cv '^[A-Z]:\\[^/]*$' <<<"$paths")" 0 "every path in it is a Windows path ($(paste -sd' ' <<<"$paths"))"
is "$(sed -n 's/^\(DSN_FILE\|SIGNING_KEY\|#PASSWORD_FILE\)=C:\\ProgramData\\xpbackup\\[a-z.]*$/\1/p' "$C" | paste -sd' ')" \
	"DSN_FILE SIGNING_KEY #PASSWORD_FILE" "its secrets are in C:\\ProgramData\\xpbackup, beside it"
done_testing
