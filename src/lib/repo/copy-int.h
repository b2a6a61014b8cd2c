/* Internal to the copy module (copy.c, copy-target.c): what a target can do, the same for a
 * directory and an rclone remote. Tools use copy.h only. Paths are relative to the target
 * ("data/ab/ab….xps"); none may hold "..", and a directory target is walked one component at
 * a time without following a link (the storage may be writable by others). */
#ifndef XP_COPY_INT_H
#define XP_COPY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "repo/catalog.h"
#include "repo/copy.h"
#include "repo/repo.h"
#include "crypto/sign.h"

/* A file found on a target. */
struct xp_ct_file {
	char *rel;
	uint64_t size;
};
/* Every regular file on a target, owned by the listing (xp_ct_listing_free). */
struct xp_ct_listing {
	struct xp_ct_file *v;
	size_t n, cap;
};

/* The buffer a file is copied through. */
#define XP_CT_BUF (1u << 20)

/* The suffix of a file's temp name: "dir/.NAME.copying" while it is being copied. */
#define XP_CT_TEMP ".copying"

/* Lists t (a target not created yet lists empty); sorted by rel. */
int xp_ct_list(const struct xp_copy_target *t, struct xp_ct_listing *l, struct xp_err *err);
void xp_ct_listing_free(struct xp_ct_listing *l);
/* The size of rel in l, or -1 when absent. */
int64_t xp_ct_listing_size(const struct xp_ct_listing *l, const char *rel);

/* Copies the open file fd (path names it, for rclone and messages) to rel on t: to its temp
 * name, checked, then renamed to rel (directories created). want (may be NULL) is the
 * BLAKE2b-256 and want_size the size the bytes must have (else XP_EINTEGRITY and nothing is
 * renamed); without it the bytes read back must be those read from fd. */
int xp_ct_put(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
              const uint8_t *want, uint64_t want_size, struct xp_err *err);
/* A file of a directory target written to its temp name and checked (xp_ct_stage), waiting
 * for xp_ct_commit to fsync and name it. Owns its descriptors. */
struct xp_ct_staged {
	int dfd, fd;   /* its directory, the temp file (-1: none) */
	char rel[256]; /* the name it gets */
	size_t base;   /* where in rel the part in dfd starts */
	char tmp[300]; /* its temp name in dfd */
};
/* xp_ct_put's first half, for a directory target: the bytes of fd at rel's temp name, checked
 * like xp_ct_put's, their writeback started but not waited for; s is then the caller's to
 * commit or unstage. On failure nothing is left (no temp file, s holds nothing). */
int xp_ct_stage(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
                const uint8_t *want, uint64_t want_size, struct xp_ct_staged *s,
                struct xp_err *err);
/* Names the n staged files of v, in order: each fsynced then renamed, then each directory
 * fsynced once, so that a name is on disk only with all its bytes. Entries with fd -1 are
 * skipped. On failure some may have their name already (a later run reads them back). Every
 * entry is unstaged. */
int xp_ct_commit(const struct xp_copy_target *t, struct xp_ct_staged *v, size_t n,
                 struct xp_err *err);
/* Removes s's temp file and closes what it holds (nothing: a no-op). */
void xp_ct_unstage(struct xp_ct_staged *s);
/* Copies the n backups e (each its signature, then its file, checked against e's size and
 * hash) to the directory target t: all staged, two at a time, then named in one pass
 * (xp_ct_commit), so that a kill leaves only temp names of what is not on disk yet. ok[i] is
 * set when e[i] is on t, whole and named; one deleted from the repository meanwhile is
 * skipped. Returns the first failure in e's order, after naming every backup staged whole. */
int xp_ct_push_batch(const char *repo, const struct xp_copy_target *t,
                     const struct xp_catalog_entry **e, size_t n, int *ok, struct xp_err *err);
/* Reads rel back from t: its BLAKE2b-256 and size. */
int xp_ct_hash(const struct xp_copy_target *t, const char *rel, uint8_t hash[XP_CATALOG_HASH_LEN],
               uint64_t *size, struct xp_err *err);
/* For each of the n files rel[i] of the local directory dir: same[i] is 1 when t has it with
 * the same bytes (read back), else 0 (absent, different, or t could not be read). */
int xp_ct_same(const struct xp_copy_target *t, const char *dir, const char *const *rel, size_t n,
               int *same, struct xp_err *err);
/* Removes rel from t; a missing file is 0. */
int xp_ct_remove(const struct xp_copy_target *t, const char *rel, struct xp_err *err);

/* Shared by the two kinds of target (copy-target.c, copy-rclone.c). */
int xp_ct_add_file(struct xp_ct_listing *l, const char *rel, uint64_t size);
/* Reads fd (named path) to its end, hashing it into h and writing it to out (-1: nowhere);
 * *size gets the bytes read. */
int xp_ct_pump(const struct xp_copy_target *t, int fd, const char *path, int out, const char *rel,
               crypto_generichash_state *h, uint64_t *size, struct xp_err *err);
/* XP_EINTEGRITY when the bytes read (got, got_size) are not those of the catalog. */
int xp_ct_check_sum(const struct xp_copy_target *t, const char *rel, const uint8_t *got,
                    uint64_t got_size, const uint8_t *want, uint64_t want_size, struct xp_err *err);
/* The rclone target (copy-rclone.c), behind xp_ct_list, xp_ct_put... */
int xp_ct_rclone_list(const struct xp_copy_target *t, struct xp_ct_listing *l, struct xp_err *err);
int xp_ct_rclone_put(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
                     const uint8_t *want, uint64_t want_size, struct xp_err *err);
int xp_ct_rclone_hash(const struct xp_copy_target *t, const char *rel, uint8_t *hash,
                      uint64_t *size, struct xp_err *err);
int xp_ct_rclone_remove(const struct xp_copy_target *t, const char *rel, struct xp_err *err);
int xp_ct_rclone_same(const struct xp_copy_target *t, const char *dir, const char *const *rel,
                      size_t n, int *same, struct xp_err *err);

/* What the journal records of copies (copy-ops.c). A list of backup ids; once sorted (as
 * xp_crec_load leaves its lists), unique and searched by xp_idv_has. */
struct xp_idv {
	char (*v)[XP_REPO_ID_HEX];
	size_t n, cap;
	int oom;
};

int xp_idv_has(const struct xp_idv *s, const char *id);

/* One "copied" or "copy-deleted" record of a target, in journal order. */
struct xp_cev {
	char id[XP_REPO_ID_HEX];
	size_t line;
	int copied;
};

/* What the journal records of one target. */
struct xp_crec {
	char reason[64];
	struct xp_idv on;      /* the backups the journal records on the target now */
	struct xp_idv deleted; /* the backups the journal says were deleted */
	struct xp_cev *ev;     /* while reading */
	size_t nev, capev;
	int oom;
};

/* Reads what the journal records of t, under the shared lock, trusting records signed by
 * signer: a backup is on t when its last record there is "copied". */
int xp_crec_load(const char *repo, const struct xp_sign_pub *signer, const struct xp_copy_target *t,
                 struct xp_crec *r, struct xp_err *err);
void xp_crec_free(struct xp_crec *r);

/* The backup id a target's file belongs to ("data/XX/ID.xps", "ID.xps.minisig" or the temp
 * name of either), into id; temp (may be NULL) says whether it is a temp name. -1: none. */
int xp_copy_id_of_rel(const char *rel, char id[XP_REPO_ID_HEX], int *temp);
/* Whether rel is one of the repository's files a copy holds besides backups (catalog...). */
int xp_copy_meta_name(const char *rel);
/* Reports one event to fn (may be NULL). */
void xp_copy_say(xp_copy_report_fn *fn, void *ctx, int kind, const struct xp_copy_target *t,
                 const char *id, const char *rel, const char *msg);

#endif
