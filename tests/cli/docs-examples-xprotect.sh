#!/bin/bash
# examples/xprotect, the log database's example: its job configuration, paths moved into a
# sandbox, passes xpbackup-job --check and runs against a SQLite stand-in with the same two
# tables; both odbc.ini sections name the log database (the FreeTDS one reaches the driver);
# the login reads that one database and nothing else.
. "${XP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$XP_SRCDIR/tests/cli/job-lib.sh"
X=$XP_SRCDIR/examples/xprotect

# --- xpbackup.conf -----------------------------------------------------------------------------
sed -e "s#/srv/xpbackup/vms-log#$R#g; s#/etc/xpbackup/vms-log.dsn#$T/dsn#; s#/var/lib/xpbackup/signer.key#$T/signer.key#" \
	-e 's#^SYSLOG=yes#SYSLOG=no#' "$X/xpbackup.conf" >"$T/vms-log.conf"
chmod 600 "$T/vms-log.conf"
is "$(diff "$X/xpbackup.conf" "$T/vms-log.conf" | sed -n 's/^> \([A-Z_]*\)=.*/\1/p' | paste -sd' ')" \
	"REPO DSN_FILE SIGNING_KEY SYSLOG" "in the sandbox copy only the paths and SYSLOG change"
(umask 077 && sqlite_dsn "$T/log.db" >"$T/dsn")
run "$JOB" --check -c "$T/vms-log.conf"
is "$rc:$err" "0:xpbackup-job: $T/vms-log.conf: ready (repository, keys, files, work directory, space, tools 0.1.0)" \
	"xpbackup-job --check accepts the configuration"
tables=$(sed -n "s/^TABLES='\(.*\)'$/\1/p" "$X/xpbackup.conf")
is "$tables" "MessageInstance_Active:UtcTime MessageInstance_Inactive:UtcTime" \
	"both message tables, each with its time column"

# a stand-in for SurveillanceLogServerV2: the two tables, a row a swap copied into both, and
# one past MAX_AGE in the inactive table
sqlite3 "$T/log.db" "CREATE TABLE MessageInstance_Active(Id TEXT PRIMARY KEY, UtcTime TIMESTAMP, Message TEXT);
	CREATE TABLE MessageInstance_Inactive(Id TEXT PRIMARY KEY, UtcTime TIMESTAMP, Message TEXT);
	INSERT INTO MessageInstance_Inactive VALUES ('m0', '2026-07-01 00:00:00', 'old'), ('m1', '2026-11-10 08:00:00', 'login');
	INSERT INTO MessageInstance_Active VALUES ('m1', '2026-11-10 08:00:00', 'login'), ('m2', '2026-11-20 09:00:00', 'export')"
XP_NOW=2026-11-21T03:15:00Z run "$JOB" -q -c "$T/vms-log.conf"
is "$rc" 4 "the job runs; a row past MAX_AGE in one table is reported (status 4)"
like "$err" "*xpdump: table MessageInstance_Inactive: 1 rows past --max-age 90d*" "naming that table"
id=$(ids)
xpseal open -r "$R" --password-file "$T/pw" -o "$T/b.tar" "$id" 2>/dev/null
is "$(tar xOf "$T/b.tar" SUMMARY | cut -f1-3,7,8)" "xpdump-summary	1
table	MessageInstance_Active	2	2026-11-10T08:00:00Z	2026-11-20T09:00:00Z
table	MessageInstance_Inactive	1	2026-11-10T08:00:00Z	2026-11-10T08:00:00Z
end" "the backup holds both tables, the copied row in each, dated by each table's column (one name: format 1)"

# --- odbc.ini for FreeTDS and for msodbcsql18 --------------------------------------------------
# keys FILE: the data source's keys, sorted
keys() { ODBCSYSINI=$T ODBCINI=$1 odbcinst -q -s -n vms-log | sed -n 's/^\([A-Za-z_]*\)=.*/\1/p' | sort | paste -sd' '; }
is "$(keys "$X/odbc.ini")" "ClientCharset Database Description Driver Encryption Port Server TDS_Version" \
	"odbc.ini (FreeTDS): the data source vms-log and its keys"
is "$(keys "$X/odbc-msodbcsql18.ini")" "Database Description Driver Encrypt Server TrustServerCertificate" \
	"odbc-msodbcsql18.ini: the data source vms-log and its keys"
for f in odbc.ini odbc-msodbcsql18.ini; do
	is "$(ODBCSYSINI=$T ODBCINI=$X/$f odbcinst -q -s -n vms-log | sed -n 's/^Database=//p')" SurveillanceLogServerV2 \
		"$f names the log database"
done
if odbcinst -q -d -n FreeTDS >/dev/null 2>&1; then
	sed 's/^Server = .*/Server = 127.0.0.1/; s/^Port = .*/Port = 9/' "$X/odbc.ini" >"$T/odbc.ini"
	ODBCINI=$T/odbc.ini run timeout 60 "$XP_BUILDDIR/src/xpdump/xpdump" --dsn 'DSN=vms-log;UID=xpbackup;PWD=secret' \
		-t MessageInstance_Active -o "$T/none.tar"
	like "$rc:$err" "1:xpdump: DSN=vms-log;UID=xpbackup;PWD=***: *[FreeTDS]*" \
		"the FreeTDS data source loads the driver (no server here: it cannot connect)"
else
	skip "the FreeTDS ODBC driver is not registered"
fi

# --- login.sql ------------------------------------------------------------------------------
is "$(grep -v -e '^--' -e '^GO$' "$X/login.sql" | tr '\n' ' ' | sed 's/  */ /g')" \
	"USE master; CREATE LOGIN xpbackup WITH PASSWORD = N'CHANGE-ME-to-a-long-random-password', DEFAULT_DATABASE = SurveillanceLogServerV2, CHECK_POLICY = ON; USE SurveillanceLogServerV2; CREATE USER xpbackup FOR LOGIN xpbackup; ALTER ROLE db_datareader ADD MEMBER xpbackup; " \
	"login.sql: a login, a user in the log database only, db_datareader and nothing more"
done_testing
