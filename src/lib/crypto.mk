# src/lib/crypto.mk: sources, tests and pages of this area (included by Makefile.am)
src_lib_libxp_a_SOURCES += src/lib/secret.c src/lib/secret.h src/lib/keys.c src/lib/keys.h \
	src/lib/keys-int.h src/lib/keys-rotate.c src/lib/sign.c src/lib/sign.h

check_PROGRAMS += tests/unit/secret tests/unit/keys tests/unit/sign
tests_unit_secret_LDADD = $(XP_LIBS)
tests_unit_keys_LDADD = $(XP_LIBS)
tests_unit_sign_LDADD = $(XP_LIBS)
TESTS += tests/unit/secret tests/unit/keys tests/unit/sign

# Shell tests, and their helper that makes keys and signatures without xpseal (not a test).
check_PROGRAMS += tests/unit/signtool
tests_unit_signtool_LDADD = $(XP_LIBS)
TESTS += tests/cli/sign-minisign.sh tests/cli/sign-xpverify.sh
EXTRA_DIST += tests/cli/sign-minisign.sh tests/cli/sign-xpverify.sh

# Benchmark: xpseal against zstd and zstd | age on a generated audit log (never run by make check).
dist_noinst_SCRIPTS += scripts/bench-seal
EXTRA_DIST += scripts/gen-auditlog.awk
