# examples: the demo database generator and ODBC configuration samples
dist_noinst_SCRIPTS += examples/make-demo-db
EXTRA_DIST += examples/odbc.ini examples/odbcinst.ini
# the video-management system's log database on SQL Server (tests/cli/docs-examples-xprotect.sh)
EXTRA_DIST += examples/xprotect/README.md examples/xprotect/xpbackup.conf examples/xprotect/odbc.ini \
	examples/xprotect/odbc-msodbcsql18.ini examples/xprotect/login.sql
# the demo, end to end on the generated database
TESTS += tests/cli/demo.sh
EXTRA_DIST += tests/cli/demo.sh
# Windows: the Task Scheduler task and the configuration with Windows paths (README.md "Windows")
EXTRA_DIST += examples/windows/xpbackup-task.xml examples/windows/xpbackup.conf
TESTS += tests/cli/docs-examples-windows.sh
EXTRA_DIST += tests/cli/docs-examples-windows.sh
