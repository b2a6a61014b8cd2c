# src/xpbackup-job: the nightly job, one program on every system (included by Makefile.am); its
# page and its tests of the whole night (bash stand-ins for the tools) are with the examples in
# scripts/job.mk.
bin_PROGRAMS += src/xpbackup-job/xpbackup-job
src_xpbackup_job_xpbackup_job_SOURCES = src/xpbackup-job/main.c src/xpbackup-job/job.h \
	src/xpbackup-job/conf.c src/xpbackup-job/conf.h src/xpbackup-job/preflight.c \
	src/xpbackup-job/run.c
src_xpbackup_job_xpbackup_job_LDADD = $(XP_LIBS)
# A night's run and its failures, with the tools on PATH: every build, the Windows one under wine.
TESTS += tests/cli/portable-job.sh
EXTRA_DIST += tests/cli/portable-job.sh
WINE_SH_TESTS += tests/cli/portable-job.sh
