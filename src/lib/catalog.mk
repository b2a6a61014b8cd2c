# src/lib/catalog.mk: sources, tests and pages of this area (included by Makefile.am)
src_lib_libxp_a_SOURCES += src/lib/catalog.c src/lib/catalog.h src/lib/catalog-int.h \
	src/lib/catalog-ops.c src/lib/journal.c src/lib/journal.h
