/* Deep checks and restore drills of sealed backups (xpverify --deep, --drill): the payload is
 * decrypted in a thread and streamed through a pipe into the dump reader or the loader, so
 * memory stays constant and nothing touches the disk. */
#ifndef XP_VERIFY_H
#define XP_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "repo/keys.h"
#include "crypto/sign.h"
#include "base/err.h"

struct xp_vault;
struct xp_erase_ledger;

/* The repository's opening keys, unlocked once for many backups, and the signer's key that
 * every backup opened must be signed by. */
struct xp_verify_keys {
	uint8_t pk[32];
	uint8_t key_id[8];
	uint8_t *sk;                /* 32 bytes of secret memory (owned) */
	struct xp_vault *vault;     /* where shreddable backups' keys are read (owned) */
	struct xp_keys_bound bound; /* what repo.key binds to the key (keys.h) */
	struct xp_sign_pub signer;  /* the signer trusted (trust.h): set by the caller */
	/* the erasure ledger (erase.h) that drills restore through, or NULL for none: set by the
	 * caller, who keeps it */
	const struct xp_erase_ledger *ledger;
};
/* Unlocks REPO/keys/repo.key with the password (XP_EAUTH for a wrong one); k->bound is what it
 * binds, for the trust check (xp_trust_check) that decides k->signer. */
int xp_verify_unlock(const char *repo, const char *pw, size_t pwlen, struct xp_verify_keys *k,
                     struct xp_err *err);
void xp_verify_keys_free(struct xp_verify_keys *k);

/* One table as read from the stream: rows, and the order-independent digest of its rows (the
 * sum modulo 2^256 of each row's BLAKE2b-256 over its fields' NULL flags, lengths and bytes),
 * which a drill compares with the rows read back from the database. */
struct xp_verify_table {
	char *name; /* owned */
	uint64_t rows;
	uint8_t digest[32];
	uint64_t kept;           /* rows a restore through k->ledger keeps (all without one) */
	uint8_t kept_digest[32]; /* and their digest */
};

/* What a deep check found. */
struct xp_verify_result {
	int dump;                       /* the payload is a dump stream (then tables are filled) */
	uint64_t bytes;                 /* plaintext bytes */
	struct xp_verify_table *tables; /* owned */
	size_t ntables;
	uint64_t rows;
	uint64_t *withheld; /* per entry of k->ledger: the rows a restore withholds (owned) */
	uint64_t nwithheld; /* rows withheld in all */
	int fd;             /* the file, opened once (owned when has_fd) */
	int has_fd;         /* for the drill */
	uint8_t prehash[XP_SIGN_HASH_LEN]; /* of the bytes checked and decrypted */
};
void xp_verify_result_free(struct xp_verify_result *res);
/* Closes the file a deep check kept open for its drill; the rest of res stays. */
void xp_verify_result_close(struct xp_verify_result *res);

/* Opens the file at path once and decrypts and decompresses it all; when the payload is a
 * dump stream, reads every table through the dump reader, which checks each table's rows,
 * bytes and BLAKE2b against SUMMARY. The signature (path.minisig) is checked by k->signer
 * over the very bytes decrypted, and with xp_seal_bind against id (NULL: any); nothing of the
 * payload is taken for good before it verifies. With k->ledger, each table's rows are also
 * sorted into those a restore keeps and those it withholds, per entry. 0, XP_EINTEGRITY or XP_EAUTH
 * for damaged, tampered or misplaced data, XP_EFAIL or XP_ENOENT for I/O. Messages start with path.
 * res is filled on success and keeps the file open for xp_verify_drill (free it either way). */
int xp_verify_deep(const struct xp_verify_keys *k, const char *path, const char *id,
                   struct xp_verify_result *res, struct xp_err *err);

/* The scratch-table prefix of a drill of backup id: "xpdrill_" and the id's first 8 digits
 * and "_" into buf. */
void xp_verify_drill_prefix(const char *id, char buf[18]);

/* Restores the dump stream of the file deep checked (deep, the result of xp_verify_deep,
 * read again from the descriptor it kept; path names it in messages) into the database connstr
 * as scratch tables (prefix plus the table name with dots turned into underscores), through
 * k->ledger as xpseal open would (the rows it covers are withheld), reads each back through
 * the same ODBC fetch the dump uses and compares its rows and digest with what deep kept,
 * then drops the scratch tables, also after a failure. Bytes that differ from those deep
 * checked are XP_EINTEGRITY. A scratch table that already exists is refused and left alone. A
 * mismatch is XP_EINTEGRITY. */
int xp_verify_drill(const struct xp_verify_keys *k, const char *path, const char *connstr,
                    const char *prefix, const struct xp_verify_result *deep, struct xp_err *err);

#endif
