/* Sealing into a repository and reading back from it: REPO/data/XX/ID.xps with its .minisig,
 * the data keys of shreddable backups in the vault (repo/vault.h), defaults in REPO/config, and
 * the catalog entry of a backup just sealed. The sealed-file format itself is crypto/seal.h. */
#ifndef XP_SEAL_REPO_H
#define XP_SEAL_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "stream/dump.h"
#include "base/afile.h"
#include "base/err.h"

struct xp_signkey;

/* Creates REPO: its keys (xp_keys_init) and REPO/config; shreddable sets the default mode. */
int xp_seal_repo_init(const char *repo, const char *pw, size_t pwlen, const char *signing_key,
                      int strong, int shreddable, struct xp_err *err);
/* Reads REPO/config: whether backups are shreddable unless told otherwise (no file: no). */
int xp_seal_repo_shreddable(const char *repo, int *shreddable, struct xp_err *err);

struct xp_seal_backup_opts {
	const struct xp_signkey *key; /* signs the file; must be the key of REPO/keys/signer.pub */
	const uint8_t *key_id;        /* optional: the repository key id pinned (trust.h); a
	                               * keys/repo.pub with another id is refused (XP_EINTEGRITY) */
	int shreddable;               /* 1: shreddable; 0: the repository's default; -1: not
	                               * shreddable, whatever the default (a rewrite keeps the
	                               * mode of the backup it replaces) */
	int64_t created;              /* the creation time the header and signature carry; 0:
	                               * now (a rewrite keeps the time of the backup it replaces,
	                               * so that retention's buckets do not move) */
	int level;                    /* zstd level (xp_seal_level_parse); 0: 3 */
	xp_seal_observe_fn *observe;  /* optional: every plaintext block read */
	void *observe_ctx;
	/* optional: called once all input is sealed, before anything becomes visible; a
	 * non-zero return (after xp_err_set) discards the backup. */
	int (*accept)(void *observe_ctx, struct xp_err *err);
	/* optional: called once all input is sealed, before the signature is made: more fields
	 * for its trusted comment (one line, tab-separated "name:value"; xpseal(5)) into *fields,
	 * malloc'd (xp_seal_backup frees it), NULL or "" for none. */
	int (*annotate)(void *observe_ctx, char **fields, struct xp_err *err);
};

/* Seals in_fd into REPO/data/XX/ID.xps. Its .minisig (and, when shreddable, its key file in the
 * host's vault and every vault copy it reaches: info->vault_missed counts those it did not) is
 * in place before the .xps is renamed into place, so a visible .xps is always complete;
 * after a failure none of them remains. *path (malloc'd, caller frees) names the .xps. The
 * temp file data/XX/.ID.xps.tmp.XXXXXX is created under the repository lock and flock(2)ed
 * until renamed, so the next change removes it only if this process died (catalog.h). */
int xp_seal_backup(const char *repo, int in_fd, const struct xp_seal_backup_opts *o,
                   struct xp_seal_info *info, char **path, struct xp_err *err);

/* Creates the temp file of xps, REPO/data/XX/ID.xps (data/XX/.ID.xps.tmp.XXXXXX), and holds an
 * flock(2) on it until it is committed or aborted (xp_afile_*), so that no change removes it
 * as left by an interrupted seal. */
int xp_seal_temp_open(const char *repo, struct xp_afile *af, const char *xps, struct xp_err *err);

/* The .xps named by a 32-hex-digit backup id (REPO/data/XX/ID.xps) or a file name; malloc'd. */
int xp_seal_locate(const char *repo, const char *id_or_file, char **path, struct xp_err *err);
/* A private copy of a backup for opening: path is read once into an unlinked file in $TMPDIR
 * (default /tmp) while xp_seal_check checks those bytes against signer (the one trusted:
 * trust.h) and REPO's repository key, and id (NULL or "": the one its name says, if any); *fd
 * is that copy, at its start, and what later opening reads, so a file swapped after the check
 * is never decrypted. */
int xp_seal_fetch(const char *repo, const char *path, const char *id,
                  const struct xp_sign_pub *signer, int *fd, struct xp_err *err);
/* Unlocks the repository key with the password and writes the original bytes of the sealed
 * file on fd (from xp_seal_fetch) to out_fd (a prefix of them when it fails part way; see
 * xp_seal_open). Messages start with name. */
int xp_seal_restore(const char *repo, int fd, const char *name, const char *pw, size_t pwlen,
                    int out_fd, struct xp_seal_info *info, struct xp_err *err);
/* The same with the repository secret key already unlocked (32 bytes, caller's memory), the key
 * file of a shreddable backup read from the vault; vault_copy (may be NULL) is a vault copy
 * DIR to read it from when the host's vault does not hold it (recovery on new hardware). */
int xp_seal_restore_key(const char *repo, int fd, const char *name, const uint8_t *sk,
                        const char *vault_copy, int out_fd, struct xp_seal_info *info,
                        struct xp_err *err);

/* xp_catalog_add for a backup xp_seal_backup just wrote: id, size and hash from info, creation
 * time and shreddable mode from the file's header, source and data window from the dump
 * stream's brief (NULL when the input was not a dump stream). source, when not NULL (the
 * --source option), names the backup instead of the stream's own source. kind
 * XP_CATALOG_PARTITION takes the window the dump asked for (the brief must have both ends:
 * xp_seal_partition_ok) as the partition's; the journal's "sealed" record then says
 * "partition SINCE UNTIL SOURCE", so the journal keeps every window ever sealed. */
int xp_seal_catalog_add(const char *repo, const struct xp_signkey *key,
                        const struct xp_seal_info *info, const struct xp_dump_brief *brief,
                        const char *source, int kind, struct xp_err *err);
/* 0 when brief (may be NULL) can be sealed as a partition: a dump stream whose window asked
 * has both ends (xpdump --since and --until); XP_EUSAGE saying why not. */
int xp_seal_partition_ok(const struct xp_dump_brief *brief, struct xp_err *err);

/* The fields a backup's signature carries for the catalog, so that a backup taken back from
 * its own files (xp_catalog_adopt, or the end of an interrupted seal) keeps its source, data
 * window and kind: "source:S<tab>oldest:T<tab>newest:T" for the end of the trusted comment
 * (xpseal(5)), each only when known, then for a partition "kind:partition<tab>since:T<tab>
 * until:T"; the same source, brief and kind as xp_seal_catalog_add. *fields is malloc'd
 * (caller frees), "" when nothing is known. */
int xp_seal_sig_fields(const struct xp_dump_brief *brief, const char *source, int kind,
                       char **fields, struct xp_err *err);

#endif
