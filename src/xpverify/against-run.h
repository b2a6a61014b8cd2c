/* xpverify --against: each partition of the repository compared with its source today. */
#ifndef XPVERIFY_AGAINST_RUN_H
#define XPVERIFY_AGAINST_RUN_H

#include "base/err.h"
#include "crypto/sign.h"
#include "repo/catalog.h"

struct against_opts {
	const char *repo;
	const char *connstr; /* the source */
	const char *source;  /* only this source's partitions; NULL: every one */
	const char *key;     /* key column; NULL: each table's first */
	const struct xp_sign_pub *signer;
	const uint8_t *sk;
	int json;
};

/* Compares every partition with the source, one line per table on standard output, each
 * difference as a finding on standard error. Returns the exit status: 0 no difference, 1
 * rows appeared (late rows or insertions after the fact) or the check could not run, 3 rows
 * changed or vanished (the log was edited after the fact) or a partition is damaged. */
int against_all(const struct against_opts *o);

#endif
