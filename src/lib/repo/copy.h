/* Managed copies of a repository: targets this host registers, and the copying, expiry and
 * checking of backups on them.
 *
 * Targets are registered on the backup host, in STATE/copies/REPOID/targets (STATE as in
 * trust.h; directories 0700, the file 0600, written atomically), one line per target:
 *   NAME <tab> URL <tab> JURISDICTION <tab> RCLONE-CONFIG ("-": none)
 * never in the repository: whoever can write the storage could otherwise add a target of
 * their own (and receive every backup) or remove one (and keep expired backups alive there).
 * NAME is 1 to 32 of [A-Za-z0-9._-]; URL is an absolute directory, or "rclone:REMOTE:PATH"
 * (an rclone remote of the administrator's rclone config file); JURISDICTION is "eu" or
 * "non-eu", as the administrator declares.
 *
 * A target holds the repository's layout without the shred keys: data/XX/ID.xps and
 * ID.xps.minisig, catalog, catalog.minisig, journal, config, keys/repo.pub, keys/repo.id,
 * keys/repo.key, keys/signer.pub. A file is written under a temp name (".NAME.copying" in its
 * directory), checked, then renamed, so a half copied backup never has its name; a backup's
 * signature goes before it, the catalog and journal after all backups. Which backup is on
 * which copy is journaled in the repository, each record signed by the host's key: "copied"
 * and "copy-deleted", id the backup's, reason "target NAME". */
#ifndef XP_COPY_H
#define XP_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "repo/catalog.h"
#include "crypto/sign.h"
#include "base/err.h"

#define XP_COPY_NAME_MAX 32

enum xp_copy_kind { XP_COPY_DIR, XP_COPY_RCLONE };

/* One registered target. Strings are owned by the list (xp_copy_targets_free). */
struct xp_copy_target {
	char name[XP_COPY_NAME_MAX + 1];
	int kind;      /* enum xp_copy_kind */
	char *url;     /* as registered */
	char *where;   /* the directory, or rclone's "REMOTE:PATH" */
	int eu;        /* declared inside the EU */
	char *rconfig; /* rclone's --config file, or NULL */
};

struct xp_copy_targets {
	struct xp_copy_target *v;
	size_t n;
};

/* Reads the targets this host registered for REPO (none: an empty list). */
int xp_copy_targets_load(const char *repo, struct xp_copy_targets *t, struct xp_err *err);
void xp_copy_targets_free(struct xp_copy_targets *t);
/* The target called name, or NULL. */
const struct xp_copy_target *xp_copy_target_find(const struct xp_copy_targets *t, const char *name);
/* Registers a target (XP_EUSAGE for a bad name, URL or jurisdiction, XP_EFAIL for a name
 * already registered). rconfig may be NULL. */
int xp_copy_target_add(const char *repo, const char *name, const char *url, const char *jur,
                       const char *rconfig, struct xp_err *err);
/* Forgets a target (XP_ENOENT when not registered); nothing on it is touched. */
int xp_copy_target_remove(const char *repo, const char *name, struct xp_err *err);
/* Whether dir is a copy: a directory target that this host registered for the repository
 * whose id dir holds (the same directory, by device and inode). 1 with its name in name, 0
 * when not (or dir holds no repository id), a negative code when the registry is unreadable.
 * A copy's catalog and journal are the repository's as of its last copy: checking it writes
 * nothing there and pins nothing from it. */
int xp_copy_is_target(const char *dir, char name[XP_COPY_NAME_MAX + 1], struct xp_err *err);

/* What a copy, an expiry or a check did or found on a target. */
enum xp_copy_event_kind {
	XP_COPY_COPIED,  /* a backup was copied and checked */
	XP_COPY_DELETED, /* a deleted backup was removed from the target */
	XP_COPY_MISSING, /* check: a backup recorded as copied is not there */
	XP_COPY_CHANGED, /* check: a file differs from what the catalog or repository says */
	XP_COPY_EXPIRED, /* check: a backup deleted from the repository is still there */
	XP_COPY_FOREIGN, /* check: a file the repository never had */
	XP_COPY_PARTIAL  /* check: the temp file of an interrupted copy (a warning) */
};
struct xp_copy_event {
	int kind;           /* enum xp_copy_event_kind */
	const char *target; /* its name */
	const char *id;     /* a backup id, or "" */
	const char *rel;    /* the file, relative to the target */
	const char *msg;    /* one sentence for people */
};
typedef void xp_copy_report_fn(void *ctx, const struct xp_copy_event *ev);

/* Copies to t every backup of REPO's catalog that t lacks (its signature first), each file
 * checked against the signed catalog (size and BLAKE2b-256 of what was sent, and for rclone
 * of what reads back) before it gets its name, journaled "copied"; then the repository's
 * catalog, journal and keys without keys/shred/. The catalog's signature is checked with key
 * (the host's); a file of the repository that differs from the catalog is XP_EINTEGRITY and
 * nothing of it is copied. Resumable: a run after a kill copies what is still missing.
 * A target that is empty (or gone) where the journal records backups copied (not mounted)
 * is XP_EFAIL and nothing is written, unless refill (a replaced disk: all copied again).
 * copied (may be NULL) gets the number of backups copied. */
int xp_copy_push(const char *repo, const struct xp_signkey *key, const struct xp_copy_target *t,
                 int refill, xp_copy_report_fn *fn, void *ctx, size_t *copied, struct xp_err *err);

/* Removes from t every backup (and its signature and temp files) that REPO's signed journal
 * says was deleted and the catalog no longer lists, journaling "copy-deleted" for each, then
 * brings t's catalog and journal up to date. A file the repository never had is left alone.
 * A target that is empty where the journal records backups is XP_EFAIL, as for xp_copy_push:
 * nothing is written to it.
 * removed (may be NULL) gets the number of backups removed. */
int xp_copy_expire(const char *repo, const struct xp_signkey *key, const struct xp_copy_target *t,
                   xp_copy_report_fn *fn, void *ctx, size_t *removed, struct xp_err *err);

/* xp_copy_expire on every target this host registered for REPO: one that fails is told to
 * warn (its sentence) and the others go on; then XP_EFAIL (XP_EINTEGRITY when the first
 * failure was one) "N of M copies not brought up to date". */
typedef void xp_copy_warn_fn(void *ctx, const struct xp_err *e);
int xp_copy_expire_all(const char *repo, const struct xp_signkey *key, xp_copy_report_fn *fn,
                       xp_copy_warn_fn *warn, void *ctx, struct xp_err *err);

/* Checks t against REPO's catalog and journal (records signed by signer): every backup the
 * journal says was copied there is present with the catalog's size and hash (read back), its
 * signature the repository's; nothing deleted is left; nothing foreign. Reports each finding;
 * returns their number (>= 0, partial copies not counted), or a negative code when t could not
 * be read. */
int xp_copy_check(const char *repo, const struct xp_sign_pub *signer,
                  const struct xp_copy_target *t, xp_copy_report_fn *fn, void *ctx,
                  struct xp_err *err);

/* The backups the signed journal records on t now (copied, not copy-deleted since): calls fn
 * with each id. */
typedef int xp_copy_id_fn(void *ctx, const char *id);
int xp_copy_recorded(const char *repo, const struct xp_sign_pub *signer,
                     const struct xp_copy_target *t, xp_copy_id_fn *fn, void *ctx,
                     struct xp_err *err);

#endif
