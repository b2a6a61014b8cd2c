# src/xpcopy: sources, tests and pages of this area (included by Makefile.am)
bin_PROGRAMS += src/xpcopy/xpcopy
src_xpcopy_xpcopy_SOURCES = src/xpcopy/main.c
src_xpcopy_xpcopy_LDADD = $(XP_LIBS)
dist_man_MANS += man/xpcopy.1
TESTS += tests/cli/copy-dir.sh tests/cli/copy-expire.sh tests/cli/copy-full.sh tests/cli/copy-sftp.sh \
	tests/cli/copy-failures.sh
EXTRA_DIST += tests/cli/copy-dir.sh tests/cli/copy-expire.sh tests/cli/copy-full.sh \
	tests/cli/copy-sftp.sh tests/cli/copy-failures.sh tests/lib-sftp.sh
dist_noinst_SCRIPTS += scripts/bench-copy
# rclone started through base/proc.h: a stand-in that records its arguments and answers as
# rclone does (a Windows program under wine), so that quoting and statuses are checked there.
check_PROGRAMS += tests/rclone-standin
tests_rclone_standin_LDADD = $(XP_LIBS)
WINE_HELPERS += tests/rclone-standin
TESTS += tests/cli/copy-rclone-spawn.sh
EXTRA_DIST += tests/cli/copy-rclone-spawn.sh
WINE_SH_TESTS += tests/cli/copy-rclone-spawn.sh
