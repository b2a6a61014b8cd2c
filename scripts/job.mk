# The nightly job's page, its examples (cron, systemd), the overview page, and the
# tests that run the job end to end and every documented command.
dist_man_MANS += man/xpbackup.7 man/xpbackup-job.8
EXTRA_DIST += examples/xpbackup.conf examples/crontab examples/systemd/xpbackup.service \
	examples/systemd/xpbackup.timer tests/cli/job-lib.sh tests/cli/syslog-shim.c
JOB_TESTS = tests/cli/job-run.sh tests/cli/job-erase.sh tests/cli/job-empty.sh tests/cli/job-check.sh tests/cli/job-tables.sh tests/cli/job-lock.sh tests/cli/job-config.sh tests/cli/job-fail.sh tests/cli/job-fail-late.sh \
	tests/cli/job-partitions.sh tests/cli/job-copy.sh tests/cli/job-vault.sh \
	tests/cli/e2e-job.sh tests/cli/docs-examples.sh tests/cli/docs-examples-config.sh tests/cli/docs-examples-xprotect.sh
TESTS += $(JOB_TESTS)
EXTRA_DIST += $(JOB_TESTS)
# Partitioned mode against nightly full backups: repository sizes (scripts/bench-partitions).
dist_noinst_SCRIPTS += scripts/bench-partitions
