# src/lib/stream: the dump stream format (pax tar, CSV, MANIFEST, SUMMARY, column types); over base only.
src_lib_libxp_a_SOURCES += src/lib/stream/csv.c src/lib/stream/csv.h src/lib/stream/column.c src/lib/stream/column.h \
	src/lib/stream/dump.c src/lib/stream/dump.h src/lib/stream/dump-int.h \
	src/lib/stream/dump-read.c src/lib/stream/dump-concat.c src/lib/stream/dump-write.c

check_PROGRAMS += tests/unit/stream/csv tests/unit/stream/column tests/unit/stream/dump
tests_unit_stream_csv_LDADD = $(XP_LIBS)
tests_unit_stream_column_LDADD = $(XP_LIBS)
tests_unit_stream_dump_LDADD = $(XP_LIBS)
TESTS += tests/unit/stream/csv tests/unit/stream/column tests/unit/stream/dump
WINE_TESTS += tests/unit/stream/csv tests/unit/stream/column tests/unit/stream/dump
