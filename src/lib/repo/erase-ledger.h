/* The erasure ledger's file (REPO/erasures, format in xpseal(5) "Erasure ledger"): its entries,
 * parsed and checked line by line (chain, signatures) and against the journal's "erasure"
 * events. Below the catalog, so that every change (xp_op_begin) can journal an entry a crash
 * left unjournaled; what tools use is erase.h. */
#ifndef XP_ERASE_LEDGER_H
#define XP_ERASE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "stream/column.h"
#include "base/err.h"

struct xp_sign_pub;
struct xp_jstate;
struct xp_journal_event;

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
	int journaled;    /* a journal event names it (else a crash came between the two) */
};

struct xp_erase_ledger {
	struct xp_erase_entry *e; /* owned, in the order recorded */
	size_t n;
	/* set by the caller: every entry applies, whatever the stream's snapshot start (a dump
	 * of the live database, xpdump --ledger); else only those recorded after it */
	int all;
};
void xp_erase_ledger_free(struct xp_erase_ledger *l);
void xp_erase_entry_free(struct xp_erase_entry *e);

/* The ledger's hashing key, derived from the repository secret key sk. */
void xp_erase_key(const uint8_t sk[32], uint8_t key[XP_ERASE_KEY_LEN]);
/* The keyed hash of value (len bytes) in column. */
void xp_erase_hash(const uint8_t key[XP_ERASE_KEY_LEN], const char *column, const void *value,
                   size_t len, uint8_t out[XP_ERASE_HASH_LEN]);

/* The BLAKE2b-256 of a line (len bytes, without its LF): what the next line chains and the
 * journal's event names. */
void xp_erase_line_hash(const char *line, size_t len, uint8_t out[32]);

/* Reads REPO/erasures into a zeroed l, each line's chain and signature checked against signer
 * (XP_EINTEGRITY naming the first that fails), without the journal: *keep gets the bytes of
 * its whole lines (a torn last line is ignored), *size (may be NULL) the file's. A missing
 * ledger is an empty one. */
int xp_erase_ledger_read(const char *repo, const struct xp_sign_pub *signer,
                         struct xp_erase_ledger *l, size_t *keep, size_t *size, struct xp_err *err);
/* A journal scan's callback (journal.h) over a ledger: marks the entry each "erasure" event
 * names as journaled; an event that names none is XP_EINTEGRITY in c->err. */
struct xp_erase_jcheck {
	struct xp_erase_ledger *l;
	struct xp_err *err;
};
int xp_erase_journaled(void *ctx, const struct xp_journal_event *ev);
/* xp_erase_ledger_read, then the journal scanned under the lock the caller holds. */
int xp_erase_load_locked(const char *repo, const struct xp_sign_pub *signer,
                         struct xp_erase_ledger *l, size_t *keep, size_t *size, struct xp_err *err);

/* The "erasure" event of e: its reason ("REF: n tables, n values, n intervals") and policy
 * ("ledger HEX" of its line's hash). */
void xp_erase_event(const struct xp_erase_entry *e, char reason[512], char policy[80]);
/* Journals, after js (the caller holds the lock), the event of every entry of l not marked
 * journaled, in the ledger's order, and marks it. */
int xp_erase_journal_missing(const char *repo, struct xp_erase_ledger *l, struct xp_jstate *js,
                             struct xp_err *err);
/* Under the lock the caller holds (js: the journal as its repairing scan left it), journals
 * the "erasure" event of every ledger entry that lacks one (xp_op_begin, for every change). A
 * ledger that fails its check against signer is left alone: restores and xpverify report it,
 * and it must not stop a backup. 0, or the journal's write failure. */
int xp_erase_recover(const char *repo, const struct xp_sign_pub *signer, struct xp_jstate *js,
                     struct xp_err *err);

#endif
