#include "config.h"

#include "repo/partition.h"
#include "base/err.h"
#include "base/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src_of(const char *s)
{
	return s ? s : "";
}

int xp_partition_next(const struct xp_catalog *cat, const char *source, int64_t now, int64_t grace,
                      int64_t max_age, int64_t *since, int64_t *until, struct xp_err *err)
{
	int64_t limit;

	if (max_age <= 0 || grace < 0)
		return xp_err_set(err, XP_EUSAGE, "partitions need a positive max-age and grace");
	limit = now - max_age + 1;
	*since = limit;
	for (size_t i = 0; i < cat->n; i++) {
		const struct xp_catalog_entry *e = &cat->entries[i];

		if (e->kind == XP_CATALOG_PARTITION &&
		    strcmp(src_of(e->source), src_of(source)) == 0 && e->until > *since)
			*since = e->until;
	}
	*until = now - grace;
	return *until > *since ? 0 : 1;
}

int xp_partition_select(const struct xp_catalog *cat, const char *source, int has_since,
                        int64_t since, int has_until, int64_t until, size_t **out, size_t *n,
                        struct xp_err *err)
{
	size_t np, k = 0;
	int rc;

	*n = 0;
	rc = xp_catalog_partitions(cat, out, &np, err);
	for (size_t i = 0; rc == 0 && i < np; i++) {
		const struct xp_catalog_entry *e = &cat->entries[(*out)[i]];

		if (strcmp(src_of(e->source), src_of(source)) != 0 ||
		    (has_since && e->until <= since) || (has_until && e->since >= until))
			continue;
		(*out)[k++] = (*out)[i];
	}
	*n = k;
	if (rc || k == 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}
