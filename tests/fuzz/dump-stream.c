/* A whole dump stream as xprestore and the drills read it, and the tap xpseal --require-dump
 * runs over it. Property: a stream the reader takes whole, the tap takes too. */
#define _GNU_SOURCE
#include "config.h"

#include "fuzz.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stream/dump.h"
#include "base/err.h"
#include "base/io.h"

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
	int fd = memfd_create("fuzz", MFD_CLOEXEC), whole;
	size_t half = size / 2;

	if (fd < 0 || !tap)
		abort();
	if (xp_write_all(fd, data, size, NULL) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	whole = read_all(fd) == 0;
	close(fd);
	xp_dump_tap_feed(tap, data, half);
	xp_dump_tap_feed(tap, data + half, size - half);
	if (whole && !xp_dump_tap_result(tap, &b))
		abort();
	xp_dump_tap_free(tap);
	return 0;
}
