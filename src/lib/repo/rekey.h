/* Key rotation (xpseal rekey): a new repository key pair, and every backup re-sealed to it, so
 * that a copy of the old keys/repo.key, even with the password, opens nothing the repository
 * holds afterwards.
 *
 * Safe to interrupt at any step; running it again finishes the rotation:
 *   1. the new pair beside the old one (keys.h: keys/repo.key.new, then keys/repo.pub.new);
 *      journal "rekeying" (reason: "repository key OLD to NEW")
 *   2. per cataloged backup still sealed to the old key: the re-sealed file in its temp file
 *      (flocked, as a seal's), its new signature as ID.xps.minisig.rekey and, when shreddable,
 *      its new key file as ID.key.rekey in the host's vault (vault.h), each written and
 *      fsynced; then the .xps renamed into place (the backup's commit), then the signature and
 *      the key file, which then goes to every vault copy reached; journal "rekeyed" and the
 *      catalog's new size and hash. A backup found already re-sealed gets
 *      whatever of this was not done.
 *   3. this host's pins name the new key (trust.h), then the new pair is put in force; journal
 *      "rekeyed" for the repository.
 * Shredded backups are left as they are: their data keys are gone for every key; so are
 * cataloged backups whose file is missing (counted; xp_catalog_check reports them). */
#ifndef XP_REKEY_H
#define XP_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include "repo/keys.h"
#include "base/err.h"

struct xp_signkey;

struct xp_rekey_result {
	uint8_t old_id[XP_KEYS_ID_LEN], new_id[XP_KEYS_ID_LEN];
	size_t resealed;     /* backups re-sealed by this run */
	size_t missing;      /* cataloged backups whose .xps is not there (skipped) */
	size_t vault_missed; /* new key files a vault copy could not take (xpseal vault sync) */
	int resumed;         /* this run finished a rotation an earlier one began */
};

/* Rotates REPO's key pair with the password (which stays), signing with key (the signer of
 * REPO/keys/signer.pub) and checking each backup's signature with signer_path (the trusted
 * signer's public key file, trust.h) before re-sealing it. Takes the repository lock for each
 * change; backups sealed meanwhile to the old key are re-sealed too. */
int xp_rekey(const char *repo, const struct xp_signkey *key, const char *signer_path,
             const char *pw, size_t pwlen, struct xp_rekey_result *res, struct xp_err *err);

#endif
