# src/lib/base: the bottom layer (errors, time, parsing, encoding, files); includes nothing of ours.
src_lib_libxp_a_SOURCES += src/lib/base/util.c src/lib/base/util.h

check_PROGRAMS += tests/unit/base/util
tests_unit_base_util_LDADD = $(XP_LIBS)
TESTS += tests/unit/base/util
