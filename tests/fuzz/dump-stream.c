/* A whole dump stream as xprestore and the drills read it, and the tap xpseal --require-dump
 * runs over it. Property: a stream the reader takes whole, the tap takes too. */
#include "config.h"

#include "fuzz.h"

#include <stdlib.h>
#include <unistd.h>

#include "stream/dump.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"

static int read_all(int fd)
{
	struct xp_dump_reader *r = NULL;
	const struct xp_field *row;
	struct xp_err err;
	size_t t;
	int rc = xp_dump_reader_open(&r, fd, &err);

	while (!rc && (rc = xp_dump_reader_next_table(r, &t, &err)) == 1)
		while ((rc = xp_dump_reader_next_row(r, &row, &err)) == 1)
			;
	xp_dump_reader_free(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xp_dump_tap *tap = xp_dump_tap_new();
	struct xp_dump_brief b;
	static int fd = -1; /* one unnamed file for every input, rewritten */
	size_t half = size / 2;
	int whole;

	if (fd < 0) {
		const char *tmp = getenv("TMPDIR");

		fd = xp_os_tmpfile(tmp && *tmp ? tmp : "/tmp");
	}
	if (fd < 0 || !tap)
		abort();
	if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    xp_write_all(fd, data, size, NULL) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	whole = read_all(fd) == 0;
	xp_dump_tap_feed(tap, data, half);
	xp_dump_tap_feed(tap, data + half, size - half);
	if (whole && !xp_dump_tap_result(tap, &b))
		abort();
	xp_dump_tap_free(tap);
	return 0;
}
