/* A partition against its source today (xpverify --against): the source's rows of the
 * partition's window are read again and compared with the rows sealed, by key and by a hash
 * of each row, never by content, so that the backups become evidence that the audit log was
 * not edited after the fact. */
#ifndef XP_AGAINST_H
#define XP_AGAINST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/sign.h"
#include "db/odbc.h"
#include "repo/catalog.h"

#define XP_AGAINST_KEYS 10 /* keys listed per kind of difference; the count says the rest */

/* What one table of a partition differs in from the source. */
struct xp_against_table {
	char *name;              /* owned */
	uint64_t sealed, source; /* rows in the partition, rows of its window in the source */
	uint64_t changed, appeared, vanished;
	char *keys[3][XP_AGAINST_KEYS]; /* the first keys of each kind (owned), NULL after */
	int has_held;                   /* the source holds rows of the table */
	int64_t held_from;              /* its oldest row: vanished rows before it are the source's
	                                 * own retention, not counted */
};

struct xp_against_result {
	struct xp_against_table *tables; /* owned */
	size_t ntables;
};
void xp_against_result_free(struct xp_against_result *res);

/* Compares partition e (opened with sk, checked against signer) with the source on c: each
 * table's rows of the window [e->since, e->until), read by the same ODBC fetch the dump uses,
 * hashed the same way (BLAKE2b-128 over each field's NULL flag, length and bytes, in the
 * dump's column order), keyed by the column key (NULL: each table's first column). A row is
 * changed (same key, other hash), appeared (a key only the source has) or vanished (a key only
 * the partition has, at or after the oldest row the source still holds). 0 with res filled
 * (differences are not errors); XP_EINTEGRITY for a damaged partition; XP_EFAIL for the
 * database. */
int xp_against_partition(const char *repo, const struct xp_catalog_entry *e,
                         const struct xp_sign_pub *signer, const uint8_t *sk, struct xp_odbc *c,
                         const char *key, struct xp_against_result *res, struct xp_err *err);

#endif
