/* replay: runs a fuzz target over its seed corpus and over a fixed set of mutations of each
 * seed (bit flips, bytes set to ones parsers care about, cuts, repeats, inserts), the same on
 * every run, and reports one TAP line. make check runs it; libFuzzer explores further under
 * configure --enable-fuzz. A failure is a crash or an abort: rerun with XP_FUZZ_VERBOSE=1 to
 * see which seed and round.
 * usage: replay [CORPUS_DIR [ROUNDS]] (default: $XP_SRCDIR/tests/fuzz/corpus/NAME, and
 * $XP_FUZZ_ROUNDS or 3000 rounds: the first ROUNDS of the same mutations) */
#include "config.h"

#include "fuzz.h"
#include "base/io.h"
#include "base/str.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

/* One to four changes to buf[0..*len) (room for cap bytes). */
static void mutate(uint8_t *buf, size_t *len, size_t cap)
{
	static const uint8_t care[] = {0,   0xff, '\n', '\r', '\t', '\f', ',', '"',  '\\',
	                               ' ', '-',  ':',  '0',  '9',  'T',  'Z', 0x80, 0x7f};

	for (int k = 1 + (int)below(4); k > 0; k--) {
		size_t n = *len, at = below(n), span = 1 + below(n < 64 ? n + 1 : 64);

		switch (below(7)) {
		case 0: /* flip a bit */
			if (n)
				buf[at] ^= (uint8_t)(1u << below(8));
			break;
		case 1: /* a byte parsers care about */
			if (n)
				buf[at] = care[below(sizeof care)];
			break;
		case 2: /* a random byte */
			if (n)
				buf[at] = (uint8_t)next();
			break;
		case 3: /* cut the end */ *len = at; break;
		case 4: /* remove a span */
			if (at + span <= n) {
				memmove(buf + at, buf + at + span, n - at - span);
				*len = n - span;
			}
			break;
		case 5: /* repeat a span */
			if (at + span <= n && n + span <= cap) {
				memmove(buf + at + span, buf + at, n - at);
				*len = n + span;
			}
			break;
		default: /* insert random bytes */
			if (n + span <= cap) {
				memmove(buf + at + span, buf + at, n - at);
				for (size_t i = 0; i < span; i++)
					buf[at + i] = (uint8_t)next();
				*len = n + span;
			}
			break;
		}
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL, *name = FUZZ_NAME;
	char *deflt = NULL;
	const char *env_rounds = getenv("XP_FUZZ_ROUNDS");
	long rounds = argc > 2                    ? strtol(argv[2], NULL, 10)
	              : env_rounds && *env_rounds ? strtol(env_rounds, NULL, 10)
	                                          : 3000;
	int verbose = getenv("XP_FUZZ_VERBOSE") != NULL;
	char **files = NULL;
	size_t nfiles = 0, runs = 0;
	struct dirent *e;
	DIR *d;

	if (rounds < 0) {
		fprintf(stderr, "usage: replay [CORPUS_DIR [ROUNDS]]\n");
		return 2;
	}
	if (!dir) {
		const char *src = getenv("XP_SRCDIR");

		deflt = xp_asprintf("%s/tests/fuzz/corpus/%s", src && *src ? src : ".", name);
		if (!deflt)
			return 1;
		dir = deflt;
	}
	d = opendir(dir);
	if (!d) {
		printf("1..0 # SKIP no corpus at %s\n", dir);
		return 0;
	}
	while ((e = readdir(d))) {
		char **f;

		if (e->d_name[0] == '.')
			continue;
		f = realloc(files, (nfiles + 1) * sizeof *files);
		if (!f || !(f[nfiles] = xp_asprintf("%s/%s", dir, e->d_name)))
			return 1;
		files = f;
		nfiles++;
	}
	closedir(d);
	qsort(files, nfiles, sizeof *files, by_name);
	for (size_t i = 0; i < nfiles; i++) {
		char *seed = NULL;
		size_t len = 0;
		uint8_t *buf;

		if (xp_file_read(files[i], 16u << 20, &seed, &len, NULL)) {
			printf("not ok 1 - %s: cannot read %s\n", name, files[i]);
			return 1;
		}
		buf = malloc(2 * len + 128);
		if (!buf)
			return 1;
		for (long r = -1; r < rounds; r++) {
			size_t n = len;

			rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)i << 32) ^ (uint64_t)(r + 1);
			memcpy(buf, seed, len);
			if (r >= 0)
				mutate(buf, &n, 2 * len + 128);
			if (verbose)
				fprintf(stderr, "replay: %s round %ld (%zu bytes)\n", files[i], r,
				        n);
			/* exactly n bytes, so that the sanitizers see any read past them */
			{
				uint8_t *in = malloc(n ? n : 1);

				if (!in)
					return 1;
				memcpy(in, buf, n);
				LLVMFuzzerTestOneInput(in, n);
				free(in);
			}
			runs++;
		}
		free(buf);
		free(seed);
		free(files[i]);
	}
	free(files);
	free(deflt);
	printf("1..1\nok 1 - %s: %zu seeds and %zu inputs in all, no crash, every property held\n",
	       name, nfiles, runs);
	return 0;
}
