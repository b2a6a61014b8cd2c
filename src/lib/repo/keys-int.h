/* Internal to the keys module (keys.c, keys-rotate.c): the key files by name in REPO/keys/.
 * Tools use keys.h only. */
#ifndef XP_KEYS_INT_H
#define XP_KEYS_INT_H

#include "repo/keys.h"
#include "base/err.h"

/* REPO/keys/NAME, malloc'd (NULL when out of memory). */
char *xp_keys_path(const char *repo, const char *name);

/* Reads a public key file REPO/keys/NAME ("repo.pub", "repo.pub.new"); key_id may be NULL. */
int xp_keys_load_file(const char *repo, const char *name, uint8_t pk[XP_KEYS_PK_LEN],
                      uint8_t key_id[XP_KEYS_ID_LEN], struct xp_err *err);

/* Writes pk as the public key file REPO/keys/NAME (0644, atomically). */
int xp_keys_write_public(const char *repo, const char *name, const uint8_t pk[XP_KEYS_PK_LEN],
                         struct xp_err *err);

/* Seals sk, with what b binds to it when b->present, under pw with kdf's limits into
 * REPO/keys/NAME (0600, atomically). */
int xp_keys_write_secret(const char *repo, const char *name, const uint8_t sk[XP_KEYS_SK_LEN],
                         const struct xp_keys_bound *b, const char *pw, size_t pwlen,
                         const struct xp_keys_kdf *kdf, struct xp_err *err);

/* Opens REPO/keys/NAME with the password into sk32 (caller's secret memory), checked against
 * pk; b and kdf (may be NULL) get what the file binds and the limits it was sealed with. */
int xp_keys_unlock_file(const char *repo, const char *name, const uint8_t pk[XP_KEYS_PK_LEN],
                        const char *pw, size_t pwlen, uint8_t sk32[XP_KEYS_SK_LEN],
                        struct xp_keys_bound *b, struct xp_keys_kdf *kdf, struct xp_err *err);

#endif
