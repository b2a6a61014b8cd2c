/* The erasure ledger (REPO/erasures, format in xpseal(5) "Erasure ledger"): requests to erase
 * rows (GDPR Art. 17, or a time interval the controller must no longer keep), one signed line
 * each, hash-chained, every one also journaled as an "erasure" event naming the line's hash,
 * so a dropped or edited entry is found (a broken chain or signature, or a journaled entry the
 * ledger lacks: XP_EINTEGRITY). The ledger holds no identifying value in the clear: values are
 * BLAKE2b-256 keyed hashes under a key derived from the repository secret key, which only the
 * configuration password unlocks. Restores withhold what a request made after the backup's
 * snapshot covers (xp_erase_filter). */
#ifndef XP_ERASE_H
#define XP_ERASE_H

#include <stddef.h>
#include <stdint.h>

#include "stream/column.h"
#include "base/err.h"

struct xp_signkey;
struct xp_sign_pub;
struct xp_catalog_entry;

#define XP_ERASE_KEY_LEN  32
#define XP_ERASE_HASH_LEN 32
#define XP_ERASE_HEADER                                                                            \
	"# xpbackup erasures 1: time ref tables values intervals reason prev-blake2b256 signature"

/* One value to match: a column and the keyed hash of its text (as the dump writes it). */
struct xp_erase_value {
	char *column; /* owned */
	uint8_t hash[XP_ERASE_HASH_LEN];
};

/* One request. A row of one of its tables is covered when it holds one of the values (if any
 * are given) and its time column lies in one of the intervals [from, to) (if any are given). */
struct xp_erase_entry {
	int64_t time;  /* when it was recorded */
	char *ref;     /* the case reference (owned) */
	char *reason;  /* owned */
	char **tables; /* owned */
	size_t ntables;
	struct xp_erase_value *values; /* owned */
	size_t nvalues;
	struct xp_interval *iv; /* owned */
	size_t niv;
	uint8_t hash[32]; /* BLAKE2b-256 of its line: what the journal's event names */
};

struct xp_erase_ledger {
	struct xp_erase_entry *e; /* owned, in the order recorded */
	size_t n;
};
void xp_erase_ledger_free(struct xp_erase_ledger *l);
void xp_erase_entry_free(struct xp_erase_entry *e);

/* The ledger's hashing key, derived from the repository secret key sk. */
void xp_erase_key(const uint8_t sk[32], uint8_t key[XP_ERASE_KEY_LEN]);
/* The keyed hash of value (len bytes) in column. */
void xp_erase_hash(const uint8_t key[XP_ERASE_KEY_LEN], const char *column, const void *value,
                   size_t len, uint8_t out[XP_ERASE_HASH_LEN]);

/* Reads REPO/erasures into a zeroed l, each line's chain and signature checked against signer,
 * and every "erasure" event of the journal found in it: 0; XP_EINTEGRITY naming the first line
 * or entry that fails. A missing ledger is an empty one, unless the journal names an entry. A
 * torn last line (a crash while recording, never journaled) is ignored. */
int xp_erase_load(const char *repo, const struct xp_sign_pub *signer, struct xp_erase_ledger *l,
                  struct xp_err *err);

/* Appends e (time, ref, reason, tables, values, intervals filled by the caller; e->hash is
 * set) under the repository lock, signed by k, durable before it returns; then journals the
 * "erasure" event with the reference and the line's hash. The ledger is checked against signer
 * first: a damaged ledger is never extended. */
int xp_erase_record(const char *repo, const struct xp_signkey *k, const struct xp_sign_pub *signer,
                    struct xp_erase_entry *e, struct xp_err *err);

/* What a filter withheld: rows per ledger entry (the first entry that covers a row counts it). */
struct xp_erase_counts {
	uint64_t *rows; /* l->n counters (owned) */
	uint64_t total;
	int64_t started; /* the stream's snapshot start: entries recorded after it apply */
};
void xp_erase_counts_free(struct xp_erase_counts *c);

/* Copies the dump stream on in to out (named outname in messages) without the rows that an
 * entry of l recorded after the stream's snapshot start covers; c (zeroed) gets the counts.
 * The input's SUMMARY is checked as it is read; the output's SUMMARY describes what was
 * written (to count only, pass /dev/null). */
int xp_erase_filter(const struct xp_erase_ledger *l, const uint8_t key[XP_ERASE_KEY_LEN], int in,
                    int out, const char *outname, struct xp_erase_counts *c, struct xp_err *err);

/* Runs fn(ctx, fd, err) in a child process writing a dump stream into a pipe, and copies it
 * through xp_erase_filter onto out (named outname) under the ledger's key derived from sk
 * (the repository secret key); with an empty ledger fn writes onto out itself. c (zeroed) gets
 * the counts; fn's failure is returned before the filter's. */
typedef int xp_erase_producer_fn(void *ctx, int out, struct xp_err *err);
int xp_erase_through(const struct xp_erase_ledger *l, const uint8_t *sk, xp_erase_producer_fn *fn,
                     void *ctx, int out, const char *outname, struct xp_erase_counts *c,
                     struct xp_err *err);
/* Writes the plaintext of the sealed copy sfd (checked by xp_seal_fetch; named name) onto out
 * through xp_erase_through; vault: a vault copy for a shreddable backup's key, or NULL
 * (xp_seal_restore_key). */
int xp_erase_open(const char *repo, int sfd, const char *name, const uint8_t *sk, const char *vault,
                  const struct xp_erase_ledger *l, int out, const char *outname,
                  struct xp_erase_counts *c, struct xp_err *err);

/* What xp_erase_rewrite needs besides the ledger (all lent by the caller). */
struct xp_erase_rewrite_opts {
	const struct xp_signkey *key;     /* the host's: signs the new backup and the catalog */
	const struct xp_sign_pub *signer; /* the trusted signer: checks the backup rewritten */
	const uint8_t *key_id;            /* the pinned repository key id, or NULL */
	const uint8_t *sk;                /* the repository secret key (32 bytes) */
	const char *vault;                /* a vault copy for a shreddable backup's key, or NULL */
	int level;                        /* zstd level of the new backup; 0: 3 */
};

/* Rewrites the cataloged backup e (a dump stream) without the rows that an entry of l
 * recorded after its snapshot covers, in one pass: opened (checked by xp_seal_fetch), filtered
 * (xp_erase_filter: its SUMMARY, and so its data window, describes the rows kept) and sealed
 * as a new backup of the same kind, source, creation time and shreddable mode (a new key in
 * the vault), which replaces e in the catalog as catalog.h's xp_catalog_erasing tells; the
 * journal's "erasing" and "erased" records name the requests and their counts, never a value.
 * new_id gets the new backup's id, or "" when no row was covered (nothing is then written). c
 * (zeroed) gets the counts. A backup left with no row stays, empty, so that the windows of
 * partitions still tile (xperase(1)). e on legal hold is refused (XP_EFAIL). */
int xp_erase_rewrite(const char *repo, const struct xp_catalog_entry *e,
                     const struct xp_erase_ledger *l, const struct xp_erase_rewrite_opts *o,
                     char new_id[33], struct xp_erase_counts *c, struct xp_err *err);

#endif
