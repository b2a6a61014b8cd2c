# src/lib/crypto: the sealed-file format, minisign signatures, secrets; over base only.
src_lib_libxp_a_SOURCES += src/lib/crypto/secret.c src/lib/crypto/secret.h \
	src/lib/crypto/sign.c src/lib/crypto/sign.h \
	src/lib/crypto/seal.c src/lib/crypto/seal-open.c src/lib/crypto/seal-check.c src/lib/crypto/seal.h src/lib/crypto/seal-int.h

check_PROGRAMS += tests/unit/crypto/secret tests/unit/crypto/sign tests/unit/crypto/seal
tests_unit_crypto_secret_LDADD = $(XP_LIBS)
tests_unit_crypto_sign_LDADD = $(XP_LIBS)
tests_unit_crypto_seal_LDADD = $(XP_LIBS)
TESTS += tests/unit/crypto/secret tests/unit/crypto/sign tests/unit/crypto/seal
# (secret's terminal checks need a pseudo-terminal: skipped on Windows)
WINE_TESTS += tests/unit/crypto/secret tests/unit/crypto/sign tests/unit/crypto/seal

# Helper of the shell tests that makes keys and signatures without xpseal (not a test).
check_PROGRAMS += tests/unit/crypto/signtool
tests_unit_crypto_signtool_LDADD = $(XP_LIBS)
TESTS += tests/cli/sign-minisign.sh
EXTRA_DIST += tests/cli/sign-minisign.sh

# Benchmark: xpseal against zstd and zstd | age on a generated audit log (never run by make check).
dist_noinst_SCRIPTS += scripts/bench-seal
EXTRA_DIST += scripts/gen-auditlog.awk
