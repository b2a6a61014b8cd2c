/* The key vault: the data keys of shreddable backups, kept out of the repository's data so
 * that no copy of the data (a cp -a of REPO, a USB disk, a managed copy) carries them, and
 * shredding a backup is destroying its key in the few places this module knows:
 *
 *   STATE/vault/REPOID/ID.key   the host's vault (STATE: xp_repo_state_dir; REPOID: keys/repo.id);
 *                               directories 0700, key files 0600, written atomically
 *   STATE/vault/REPOID/copies   the vault copies the administrator registered, one
 *                               directory DIR per line ("copy DIR")
 *   DIR/REPOID/ID.key           the same key in vault copy DIR (another disk, a mount): DIR/REPOID
 *                               is made when DIR is registered; while it is missing (the disk
 *                               is not mounted) the copy is unreachable, never made anew
 *   REPO/keys/shred/ID.key      where repositories kept keys before the vault: still read, and
 *                               destroyed by a shred, until xp_vault_migrate moves them
 *
 * A key file is what xpseal(5) says: the data key sealed to the repository's public key, so
 * the vault alone opens nothing without keys/repo.key and the password. Every file is reached
 * without following a symbolic link below STATE, DIR or REPO (repo.h's rule). */
#ifndef XP_VAULT_H
#define XP_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "repo/keys.h"
#include "crypto/seal.h"
#include "base/err.h"

#define XP_VAULT_KEY_LEN XP_SEAL_SHRED_KEY_LEN

/* REPO's vault on this host. Strings are owned (xp_vault_free). */
struct xp_vault {
	const char *repo;                  /* lent */
	char repo_id[XP_KEYS_REPO_ID_HEX]; /* keys/repo.id (the key id for older repositories) */
	char *state;                       /* STATE */
	char *dir;                         /* STATE/vault/REPOID */
	char **copies;                     /* DIR of each registered copy */
	size_t ncopies;
	const char *extra; /* lent: a vault copy DIR read after the host's (xpseal open --vault) */
};

/* Reads REPO's id and this host's list of vault copies; creates nothing. */
int xp_vault_open(const char *repo, struct xp_vault *v, struct xp_err *err);
void xp_vault_free(struct xp_vault *v);

/* Reads the key file of backup id into buf: from the host's vault, else v->extra, else
 * REPO/keys/shred (not yet migrated). XP_ENOENT "backup ID: key shredded or vault missing
 * (...)" when none holds it; XP_EINTEGRITY when what is there is not XP_VAULT_KEY_LEN bytes.
 * The seal module checks the rest (seal.h, xp_seal_keyfile_fn); v is a struct xp_vault. */
int xp_vault_read(void *v, const char *id, uint8_t buf[XP_VAULT_KEY_LEN], struct xp_err *err);

/* Whether the host's vault or REPO/keys/shred holds a key file for id. */
int xp_vault_holds(const struct xp_vault *v, const char *id);

/* Whether this host keeps REPO's keys: its vault directory is there (made by the first
 * shreddable backup sealed here, a migration or a vault copy registered here), or REPO still
 * has keys/shred. A host without either (another host reading a copy of the data, which by
 * design carries no key) is not expected to hold any key. */
int xp_vault_here(const struct xp_vault *v);

/* Stores the key file of id, durably (temp, fsync, rename, fsync the directory), in the host's
 * vault, then in every registered copy it can reach; *missed (may be NULL) gets the number of
 * copies it could not reach. A failure of the host's vault is returned. */
int xp_vault_put(const struct xp_vault *v, const char *id, const uint8_t key[XP_VAULT_KEY_LEN],
                 size_t *missed, struct xp_err *err);

/* Where a key was destroyed, or could not be reached, for the journal and the tools. */
struct xp_vault_place {
	const char *name; /* "host vault", "vault copy DIR", "keys/shred" */
	int destroyed;    /* a key file (or a temp file of one) was there and is destroyed */
	int unreached;    /* a vault copy that could not be reached: its key stays there */
	const char *why;  /* for unreached: the reason */
};
typedef int xp_vault_place_fn(void *ctx, const struct xp_vault_place *p);

/* Destroys the key of id everywhere: the host's vault, REPO/keys/shred and every registered
 * copy, each file (ID.key and the temp or .rekey files of one) overwritten, fsynced, unlinked
 * and its directory fsynced. fn (may be NULL) is called for each place that held one and each
 * copy that could not be reached (its return, when not 0, stops the walk and is returned);
 * *unreached (may be NULL) counts the latter. An unreachable copy is no error: the caller
 * keeps the shred pending. An I/O error on a place reached is returned. */
int xp_vault_destroy(const struct xp_vault *v, const char *id, xp_vault_place_fn *fn, void *ctx,
                     size_t *unreached, struct xp_err *err);

/* Registers DIR (an existing directory) as a vault copy: makes DIR/REPOID (0700) and adds it
 * to the list. Copying the keys there is xp_vault_sync's. XP_EUSAGE when already registered. */
int xp_vault_add(struct xp_vault *v, const char *dir, struct xp_err *err);

/* Takes DIR off the list (it stays as it is). A copy taken off no longer gets keys, and a
 * shred no longer waits for it: only for a copy that is destroyed or wiped. XP_EUSAGE when
 * DIR is not registered. */
int xp_vault_remove(struct xp_vault *v, const char *dir, struct xp_err *err);

/* Whether vault copy i can be reached: 0, or why not (its DIR/REPOID is missing: not mounted). */
int xp_vault_reach_copy(const struct xp_vault *v, size_t i, struct xp_err *err);

/* Calls fn for every key file ID.key in the host's vault, REPO/keys/shred when legacy is set,
 * and each registered copy that can be reached (one that cannot holds nothing here: vault list
 * and sync report it); place as in struct xp_vault_place, path the file. fn's non-zero return
 * stops the walk and is returned. */
typedef int xp_vault_key_fn(void *ctx, const char *id, const char *place, const char *path);
int xp_vault_list(const struct xp_vault *v, int legacy, xp_vault_key_fn *fn, void *ctx,
                  struct xp_err *err);

/* What a sync or a migration did, per key or copy, for the tool to print. */
struct xp_vault_event {
	const char *id;    /* the backup id, or "" */
	const char *place; /* "host vault", "vault copy DIR", "keys/shred" */
	const char *what;  /* "copied", "taken back", "unreachable: ...", "left: ..." */
	int problem;       /* counts toward a non-zero exit */
};
typedef void xp_vault_event_fn(void *ctx, const struct xp_vault_event *e);

/* Makes every reachable copy hold every key the host's vault holds, and the host's vault every
 * key of wanted (ids of sealed shreddable backups, sorted, NULL-terminated may be NULL) that a
 * copy holds and it lacks (the host's vault lost: taken back). A key file not of this
 * repository (another size, magic or id) is never copied, and reported. Returns the number of
 * problems reported (>= 0), or a negative code when the host's vault cannot be written. */
int xp_vault_sync(const struct xp_vault *v, const char *const *wanted, xp_vault_event_fn *fn,
                  void *ctx, struct xp_err *err);

/* Moves REPO/keys/shred/ID.key into the vault: each key is written to the host's vault and
 * every registered copy, durably, and only then destroyed in keys/shred (one the host's vault
 * holds already, from an earlier run or a rotation, is the key in force: that one goes to the
 * copies). A key some copy could not take, or a file that is not a key of this repository,
 * stays, and is reported. The caller holds the repository's lock (xp_catalog_lock), so that
 * no shred runs meanwhile: a key shredded after it was read here would come back in the vault.
 * Safe to interrupt at any point; running it again finishes it. Returns the number of
 * problems (>= 0) or a negative code. */
int xp_vault_migrate(const struct xp_vault *v, xp_vault_event_fn *fn, void *ctx,
                     struct xp_err *err);

/* The host vault's directory of the rekey's new key files: "STATE/vault/REPOID/ID.key" with
 * suffix ("" or ".rekey"), malloc'd; made (0700) when make is set. */
int xp_vault_key_path(const struct xp_vault *v, const char *id, const char *suffix, int make,
                      char **path, struct xp_err *err);

#endif
