/* The CSV decoder, fed in two pieces split where the first byte says. Property: every row it
 * decodes encodes to text that decodes to the same fields. */
#include "config.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "stream/csv.h"

static void same_again(const struct xp_field *f, size_t n)
{
	struct xp_csv_dec d;
	const struct xp_field *g;
	size_t gn = 0, used = 0, len;
	char *text = malloc(xp_csv_row_bound(f, n));
	int rc;

	if (!text)
		return;
	len = xp_csv_encode_row(text, f, n);
	xp_csv_dec_init(&d, 0);
	rc = xp_csv_dec_feed(&d, text, len, &used, &g, &gn, NULL);
	if (rc != 1 || used != len || gn != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (g[i].null != f[i].null || g[i].len != f[i].len ||
		    (g[i].len && memcmp(g[i].p, f[i].p, f[i].len) != 0))
			abort();
	xp_csv_dec_free(&d);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xp_csv_dec d;
	const struct xp_field *f;
	size_t nf, off = 0, split = size ? data[0] % (size + 1) : 0;
	int rc = 0;

	xp_csv_dec_init(&d, 1 << 20);
	while (off < size && rc >= 0) {
		size_t end = off < split ? split : size, used = 0;

		rc = xp_csv_dec_feed(&d, (const char *)data + off, end - off, &used, &f, &nf, NULL);
		off += used;
		if (rc == 1)
			same_again(f, nf);
		if (rc == 0 && used == 0 && off < end)
			abort(); /* no progress */
	}
	if (rc >= 0 && xp_csv_dec_end(&d, &f, &nf, NULL) == 1)
		same_again(f, nf);
	xp_csv_dec_free(&d);
	return 0;
}
