/* MANIFEST and SUMMARY text (split at the first form feed), and the time, duration and size
 * parsers. Property: a MANIFEST that parses formats to text that parses. */
#include "config.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "stream/dump.h"
#include "base/err.h"
#include "base/time.h"
#include "base/parse.h"

static void small_parsers(const uint8_t *data, size_t size)
{
	char s[80];
	int64_t t;
	uint64_t u;

	if (size >= sizeof s)
		size = sizeof s - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	xp_time_parse(s, &t, NULL);
	xp_duration_parse(s, &t, NULL);
	xp_size_parse(s, &u, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *ff = memchr(data, '\f', size);
	size_t mlen = ff ? (size_t)(ff - data) : size;
	struct xp_manifest m;
	struct xp_err err;

	small_parsers(data, size);
	memset(&m, 0, sizeof m);
	if (xp_manifest_parse((const char *)data, mlen, &m, &err) == 0) {
		struct xp_manifest again;
		char *text = NULL;
		size_t len = 0;

		if (ff)
			xp_summary_parse((const char *)ff + 1, size - mlen - 1, &m, &err);
		if (xp_manifest_format(&m, &text, &len, &err) == 0) {
			memset(&again, 0, sizeof again);
			if (xp_manifest_parse(text, len, &again, &err) != 0)
				abort(); /* what parsed, formatted, must parse */
			xp_manifest_free(&again);
		}
		free(text);
		if (m.have_summary && xp_summary_format(&m, &text, &len, &err) == 0)
			free(text);
	}
	xp_manifest_free(&m);
	return 0;
}
