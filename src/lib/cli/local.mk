# src/lib/cli: what every tool's front end shares (messages, options, files, JSON); the top
# layer of the library.
src_lib_libxp_a_SOURCES += src/lib/cli/cli.c src/lib/cli/cli.h src/lib/cli/json.c src/lib/cli/json.h \
	src/lib/cli/pins.c src/lib/cli/pins.h

check_PROGRAMS += tests/unit/cli/cli
tests_unit_cli_cli_LDADD = $(XP_LIBS)
TESTS += tests/unit/cli/cli
WINE_TESTS += tests/unit/cli/cli
# The rules every tool shares through this module, run against each tool.
TESTS += tests/cli/cli-rules.sh
EXTRA_DIST += tests/cli/cli-rules.sh
