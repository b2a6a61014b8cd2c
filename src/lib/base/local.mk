# src/lib/base: the bottom layer (errors, time, parsing, encoding, files); includes nothing of ours.
src_lib_libxp_a_SOURCES += src/lib/base/err.c src/lib/base/err.h \
	src/lib/base/time.c src/lib/base/time.h src/lib/base/parse.c src/lib/base/parse.h \
	src/lib/base/str.c src/lib/base/str.h src/lib/base/encode.c src/lib/base/encode.h \
	src/lib/base/io.c src/lib/base/io.h src/lib/base/afile.c src/lib/base/afile.h \
	src/lib/base/fault.c src/lib/base/fault.h src/lib/base/os.h src/lib/base/os.c src/lib/base/proc.h src/lib/base/proc.c \
	src/lib/base/worker.h
# The portability layer and the workers: one implementation per system, chosen by configure.
if WINDOWS
src_lib_libxp_a_SOURCES += src/lib/base/os-win.c src/lib/base/os-int.h \
	src/lib/base/os-win-acl.c src/lib/base/os-win-log.c src/lib/base/proc-win.c \
	src/lib/base/worker-win.c src/lib/base/libc-win.c src/lib/base/os-win-host.c
# Every program's manifest (a resource object, linked beside the library): UTF-8 as its code
# page, so that the narrow calls of the C library and of ODBC speak UTF-8 as on Unix.
XP_LIBS += src/lib/base/utf8-manifest.o
src/lib/base/utf8-manifest.o: src/lib/base/utf8.rc src/lib/base/utf8.manifest
	@$(MKDIR_P) src/lib/base
	$(AM_V_GEN)$(WINDRES) -I$(srcdir)/src/lib/base -O coff -o $@ $(srcdir)/src/lib/base/utf8.rc
else
src_lib_libxp_a_SOURCES += src/lib/base/os-posix.c src/lib/base/proc-posix.c \
	src/lib/base/worker-posix.c src/lib/base/os-posix-host.c
endif

BASE_TESTS = tests/unit/base/err tests/unit/base/time tests/unit/base/parse \
	tests/unit/base/encode tests/unit/base/afile tests/unit/base/os tests/unit/base/secret \
	tests/unit/base/log tests/unit/base/worker tests/unit/base/fault tests/unit/base/host
check_PROGRAMS += $(BASE_TESTS)
tests_unit_base_err_LDADD = $(XP_LIBS)
tests_unit_base_time_LDADD = $(XP_LIBS)
tests_unit_base_parse_LDADD = $(XP_LIBS)
tests_unit_base_encode_LDADD = $(XP_LIBS)
tests_unit_base_afile_LDADD = $(XP_LIBS)
tests_unit_base_os_LDADD = $(XP_LIBS)
tests_unit_base_worker_LDADD = $(XP_LIBS)
tests_unit_base_fault_LDADD = $(XP_LIBS)
tests_unit_base_secret_LDADD = $(XP_LIBS)
tests_unit_base_log_LDADD = $(XP_LIBS)
tests_unit_base_host_LDADD = $(XP_LIBS)
TESTS += $(BASE_TESTS)
WINE_TESTS += $(BASE_TESTS)
EXTRA_DIST += tests/unit/acl.h tests/unit/rmtree.h src/lib/base/utf8.rc src/lib/base/utf8.manifest
# Child processes: POSIX only for now (the test runs sh; under wine the job's tests will).
if !WINDOWS
check_PROGRAMS += tests/unit/base/proc
tests_unit_base_proc_LDADD = $(XP_LIBS)
TESTS += tests/unit/base/proc
endif
# Non-ASCII paths on the command line and in the environment; on Windows the UTF-8 code page.
TESTS += tests/cli/portable-utf8.sh
EXTRA_DIST += tests/cli/portable-utf8.sh
WINE_SH_TESTS += tests/cli/portable-utf8.sh
