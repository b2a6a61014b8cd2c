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

#include "repo/erase-ledger.h"
#include "stream/column.h"
#include "base/err.h"

struct xp_signkey;
struct xp_sign_pub;
struct xp_catalog_entry;

/* Reads REPO/erasures into a zeroed l, each line's chain and signature checked against signer,
 * and every "erasure" event of the journal found in it: 0; XP_EINTEGRITY naming the first line
 * or entry that fails. A missing ledger is an empty one, unless the journal names an entry. A
 * torn last line (a crash while recording, never journaled) is ignored. An entry that no event
 * names yet (a crash between its fsync and its event) is loaded with journaled 0: it applies,
 * and the next change journals it (xp_erase_recover). */
int xp_erase_load(const char *repo, const struct xp_sign_pub *signer, struct xp_erase_ledger *l,
                  struct xp_err *err);

/* Appends e (time, ref, reason, tables, values, intervals filled by the caller; e->hash is
 * set) under the repository lock, signed by k, durable before it journals the "erasure" event
 * with the reference and the line's hash, under the same lock. First, as every change,
 * xp_catalog_recover (which also journals entries a crash left unjournaled). The ledger is checked
 * against signer first: a damaged ledger is never extended. */
int xp_erase_record(const char *repo, const struct xp_signkey *k, const struct xp_sign_pub *signer,
                    struct xp_erase_entry *e, struct xp_err *err);

/* For a tool that applies the ledger with only the repository's path: reads the configuration
 * password (password_file, else $XP_PASSWORD_FILE, else the terminal), unlocks the repository
 * secret key into sk (XP_KEYS_SK_LEN bytes of secret memory), checks the repository against
 * this host's pins (pubkey: -p, or NULL) and loads the ledger into a zeroed l, checked against
 * the signer trusted. XP_EAUTH for a wrong password, XP_EINTEGRITY for a damaged ledger. */
int xp_erase_unlock(const char *repo, const char *password_file, const char *pubkey, uint8_t *sk,
                    struct xp_erase_ledger *l, struct xp_err *err);

/* What a filter withheld: rows per ledger entry (the first entry that covers a row counts it). */
struct xp_erase_counts {
	uint64_t *rows; /* l->n counters (owned) */
	uint64_t total;
	uint64_t kept;   /* rows written */
	int64_t started; /* the stream's snapshot start: entries recorded after it apply */
};
void xp_erase_counts_free(struct xp_erase_counts *c);

/* Which entry of a ledger covers a row of one table: for filters that do not copy a stream
 * (xpverify --drill counts what a restore keeps). */
struct xp_erase_match;
struct xp_dump_table;
struct xp_field;
/* The entries of l that apply to table t of a stream begun at started (all of them when
 * l->all), under key (lent: it must outlive *m). 0, or XP_ENOMEM. */
int xp_erase_match_new(const struct xp_erase_ledger *l, const uint8_t key[XP_ERASE_KEY_LEN],
                       const struct xp_dump_table *t, int64_t started, struct xp_erase_match **m,
                       struct xp_err *err);
/* The index in the ledger of the first entry that covers row, or -1. */
long xp_erase_match_row(struct xp_erase_match *m, const struct xp_field *row);
void xp_erase_match_free(struct xp_erase_match *m);

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
struct xp_manifest;
/* The MANIFEST of the sealed copy sfd (checked by xp_seal_fetch; named name) into a zeroed m,
 * decrypting no more than its start. */
int xp_erase_manifest(const char *repo, int sfd, const char *name, const uint8_t *sk,
                      struct xp_manifest *m, struct xp_err *err);

/* Whether request e names what the cataloged backups hold (the catalog as signer signed it;
 * MANIFESTs of sealed dump backups read newest first, until every name is found, so a name
 * that no backup holds costs opening them all): each table in some backup, each value's
 * column in one of those tables, and with intervals a time column in one of them. 0 when so;
 * 1 with why (len bytes) saying what names nothing; 2 with why saying that no backup holds a
 * dump to check against; or a negative code. */
int xp_erase_check_names(const char *repo, const struct xp_sign_pub *signer, const uint8_t *sk,
                         const struct xp_erase_entry *e, char *why, size_t len, struct xp_err *err);

#endif
