# src/lib/crypto.mk: sources, tests and pages of this area (included by Makefile.am)
src_lib_libxp_a_SOURCES += src/lib/secret.c src/lib/secret.h src/lib/keys.c src/lib/keys.h \
	src/lib/sign.c src/lib/sign.h
