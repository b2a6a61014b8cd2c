#include "config.h"

#include "base/parse.h"
#include "base/err.h"

#include <errno.h>
#include <stdlib.h>

int xp_duration_parse(const char *s, int64_t *seconds, struct xp_err *err)
{
	const char *p = s;
	int64_t total = 0;

	if (!s || !*s)
		goto bad;
	while (*p) {
		int64_t n = 0, unit;

		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9') {
			if (n > INT64_MAX / 10 - 10)
				goto bad;
			n = n * 10 + (*p++ - '0');
		}
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		case 'y': unit = 365 * 86400; break;
		default: goto bad;
		}
		if (n > (INT64_MAX - total) / unit)
			goto bad;
		total += n * unit;
	}
	*seconds = total;
	return 0;
bad:
	return xp_err_set(err, XP_EUSAGE,
	                  "%s: not a duration (NUMBER and unit s, m, h, d, w or y, e.g. 90d)",
	                  s ? s : "(null)");
}

int xp_size_parse(const char *s, uint64_t *out, struct xp_err *err)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	default: goto bad;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		goto bad;
	*out = (uint64_t)v << shift;
	return 0;
bad:
	return xp_err_set(err, XP_EUSAGE, "%s: not a size (e.g. 4M)", s ? s : "(null)");
}
