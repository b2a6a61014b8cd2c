# src/lib/cli.mk: the tools' shared front end (included by Makefile.am)
src_lib_libxp_a_SOURCES += src/lib/cli.c src/lib/cli.h

check_PROGRAMS += tests/unit/cli
tests_unit_cli_LDADD = $(XP_LIBS)
TESTS += tests/unit/cli
