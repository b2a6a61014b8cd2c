# tests/fuzz: fuzz targets for the parsers of input that may come from outside. In make check
# each replays its seed corpus (tests/fuzz/corpus/NAME) and fixed mutations of it; with
# ./configure --enable-fuzz (clang), make fuzz runs libFuzzer on each for FUZZ_SECONDS.
EXTRA_DIST += tests/fuzz/fuzz.h tests/fuzz/corpus
FUZZ_SECONDS = 60
check_PROGRAMS += tests/fuzz/replay-dump-meta
tests_fuzz_replay_dump_meta_SOURCES = tests/fuzz/replay.c tests/fuzz/dump-meta.c
tests_fuzz_replay_dump_meta_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"dump-meta"'
tests_fuzz_replay_dump_meta_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-dump-meta
WINE_TESTS += tests/fuzz/replay-dump-meta
check_PROGRAMS += tests/fuzz/replay-seal-header
tests_fuzz_replay_seal_header_SOURCES = tests/fuzz/replay.c tests/fuzz/seal-header.c
tests_fuzz_replay_seal_header_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"seal-header"'
tests_fuzz_replay_seal_header_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-seal-header
WINE_TESTS += tests/fuzz/replay-seal-header
check_PROGRAMS += tests/fuzz/replay-csv
tests_fuzz_replay_csv_SOURCES = tests/fuzz/replay.c tests/fuzz/csv.c
tests_fuzz_replay_csv_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"csv"'
tests_fuzz_replay_csv_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-csv
WINE_TESTS += tests/fuzz/replay-csv
check_PROGRAMS += tests/fuzz/replay-dump-stream
tests_fuzz_replay_dump_stream_SOURCES = tests/fuzz/replay.c tests/fuzz/dump-stream.c
tests_fuzz_replay_dump_stream_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"dump-stream"'
tests_fuzz_replay_dump_stream_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-dump-stream
WINE_TESTS += tests/fuzz/replay-dump-stream
check_PROGRAMS += tests/fuzz/replay-signature
tests_fuzz_replay_signature_SOURCES = tests/fuzz/replay.c tests/fuzz/signature.c
tests_fuzz_replay_signature_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"signature"'
tests_fuzz_replay_signature_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-signature
WINE_TESTS += tests/fuzz/replay-signature
check_PROGRAMS += tests/fuzz/replay-journal
tests_fuzz_replay_journal_SOURCES = tests/fuzz/replay.c tests/fuzz/journal.c
tests_fuzz_replay_journal_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"journal"'
tests_fuzz_replay_journal_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-journal
WINE_TESTS += tests/fuzz/replay-journal
# the job's configuration parser lives with the job (src/xpbackup-job/conf.c)
check_PROGRAMS += tests/fuzz/replay-job-conf
tests_fuzz_replay_job_conf_SOURCES = tests/fuzz/replay.c tests/fuzz/job-conf.c src/xpbackup-job/conf.c
tests_fuzz_replay_job_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/src/xpbackup-job -DFUZZ_NAME='"job-conf"'
tests_fuzz_replay_job_conf_LDADD = $(XP_LIBS)
TESTS += tests/fuzz/replay-job-conf
WINE_TESTS += tests/fuzz/replay-job-conf
if FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz-dump-meta
tests_fuzz_fuzz_dump_meta_SOURCES = tests/fuzz/dump-meta.c
tests_fuzz_fuzz_dump_meta_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_dump_meta_LDADD = $(XP_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz-seal-header
tests_fuzz_fuzz_seal_header_SOURCES = tests/fuzz/seal-header.c
tests_fuzz_fuzz_seal_header_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_seal_header_LDADD = $(XP_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz-csv
tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/csv.c
tests_fuzz_fuzz_csv_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_csv_LDADD = $(XP_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz-dump-stream
tests_fuzz_fuzz_dump_stream_SOURCES = tests/fuzz/dump-stream.c
tests_fuzz_fuzz_dump_stream_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_dump_stream_LDADD = $(XP_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz-signature
tests_fuzz_fuzz_signature_SOURCES = tests/fuzz/signature.c
tests_fuzz_fuzz_signature_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_signature_LDADD = $(XP_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz-journal
tests_fuzz_fuzz_journal_SOURCES = tests/fuzz/journal.c
tests_fuzz_fuzz_journal_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_journal_LDADD = $(XP_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz-job-conf
tests_fuzz_fuzz_job_conf_SOURCES = tests/fuzz/job-conf.c src/xpbackup-job/conf.c
tests_fuzz_fuzz_job_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/src/xpbackup-job
tests_fuzz_fuzz_job_conf_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_job_conf_LDADD = $(XP_LIBS)
endif

# make fuzz: libFuzzer on every target for FUZZ_SECONDS each, from a copy of its seeds;
# what it finds is left in tests/fuzz/found/NAME (crash-* files are the failures).
fuzz:
if FUZZ
	@set -e; for n in dump-meta seal-header csv dump-stream signature journal job-conf; do \
		mkdir -p tests/fuzz/found/$$n; \
		cp $(srcdir)/tests/fuzz/corpus/$$n/* tests/fuzz/found/$$n/; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		(cd tests/fuzz/found/$$n && ../../fuzz-$$n -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 . 2>&1 | tail -12); \
	done
else
	@echo "make fuzz: configure with --enable-fuzz (CC=clang) first" >&2; exit 1
endif

clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/found
.PHONY: fuzz clean-fuzz
# make check-wine replays the first WINE_FUZZ_ROUNDS mutations of each seed (of the 3000 that
# make check replays): all of them would take about 80 s under wine.
WINE_FUZZ_ROUNDS = 1000
