/* The repository keys: an X25519 key pair whose secret half is sealed under the configuration
 * password (Argon2id + XChaCha20-Poly1305), and the host's Ed25519 signing key. Files:
 *   REPO/keys/repo.pub     X25519 public key (text, see xpseal(5))
 *   REPO/keys/repo.key     X25519 secret key sealed to the password (text, 0600), together
 *                          with the repository id and the signer's public key: what the
 *                          password unlocks is authentic, whatever else the storage holds
 *   REPO/keys/repo.id      the repository id, random, written once by init (text)
 *   REPO/keys/signer.pub   the signing public key, minisign's public-key format
 * Nothing read from the repository's loose files is trusted by itself: trust.h says how a host
 * pins them. */
#ifndef XP_KEYS_H
#define XP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sign.h"
#include "base/err.h"

#define XP_KEYS_PK_LEN      32 /* X25519 public key */
#define XP_KEYS_SK_LEN      32 /* X25519 secret key */
#define XP_KEYS_ID_LEN      8  /* key id: first 8 bytes of BLAKE2b-256(public key) */
#define XP_KEYS_REPO_ID_LEN 16
#define XP_KEYS_REPO_ID_HEX 33 /* 32 lower-case hex digits and NUL */

/* Creates REPO (directories 0700) with its keys/ directory and files. The signing secret key
 * at signing_key_path is reused if it exists, else created (0600, parent directory 0700). A
 * password shorter than XP_KEYS_PASSWORD_MIN is refused (xp_keys_password_check).
 * `strong` selects Argon2id's SENSITIVE limits instead of MODERATE. Refuses an existing
 * repository (XP_EFAIL "REPO: already a repository"). */
int xp_keys_init(const char *repo, const char *pw, size_t pwlen, const char *signing_key_path,
                 int strong, struct xp_err *err);

/* The default signing secret key: $XP_SIGNING_KEY, else /var/lib/xpbackup/signer.key for root,
 * else $HOME/.config/xpbackup/signer.key. Static string, computed once. */
const char *xp_keys_default_signing_key(void);

/* Whether REPO is a repository: a directory holding keys/repo.pub, which init writes last.
 * 0; XP_EFAIL "REPO: not a repository (why)" for a path that does not exist, is not a
 * directory, is empty (a mount point with nothing mounted) or lacks keys/repo.pub; otherwise
 * xp_keys_load_public's error (an unreadable or damaged repo.pub). */
int xp_keys_check_repo(const char *repo, struct xp_err *err);

/* The repository id: REPO/keys/repo.id, or for a repository made before ids (no such file)
 * the hex of its repository key id (16 digits) from keys/repo.pub. */
int xp_keys_repo_id(const char *repo, char id[XP_KEYS_REPO_ID_HEX], struct xp_err *err);

/* Reads REPO/keys/repo.pub; key_id may be NULL. */
int xp_keys_load_public(const char *repo, uint8_t pk[XP_KEYS_PK_LEN],
                        uint8_t key_id[XP_KEYS_ID_LEN], struct xp_err *err);

/* The key id of a public key. */
void xp_keys_id(const uint8_t pk[XP_KEYS_PK_LEN], uint8_t key_id[XP_KEYS_ID_LEN]);

/* Opens REPO/keys/repo.key with the password into sk32 (caller-owned secret memory).
 * Wrong password: XP_EAUTH. A corrupted file (checksum, syntax, or a secret that does not
 * match repo.pub): XP_EINTEGRITY. */
int xp_keys_unlock(const char *repo, const char *pw, size_t pwlen, uint8_t sk32[XP_KEYS_SK_LEN],
                   struct xp_err *err);

/* What repo.key authenticates besides the secret key. */
struct xp_keys_bound {
	int present; /* 0: a repo.key written before this (format 1), which carries neither */
	char repo_id[XP_KEYS_REPO_ID_HEX];
	uint8_t signer[XP_SIGN_PUB_LEN]; /* the signer's public key (sign.h) */
};

/* xp_keys_unlock that also gives what the key file binds to the secret (b may be NULL). */
int xp_keys_unlock_bound(const char *repo, const char *pw, size_t pwlen,
                         uint8_t sk32[XP_KEYS_SK_LEN], struct xp_keys_bound *b, struct xp_err *err);

/* The shortest password init and passwd accept, in characters. */
#define XP_KEYS_PASSWORD_MIN 12

/* 0 when a new password is long enough; else XP_EFAIL with a sentence saying the minimum. */
int xp_keys_password_check(const char *pw, size_t len, struct xp_err *err);

/* The Argon2id limits a key file is sealed with. */
struct xp_keys_kdf {
	unsigned long long ops;
	size_t mem;
};

/* The limits for a new key: MODERATE, or SENSITIVE when strong. */
void xp_keys_kdf_default(int strong, struct xp_keys_kdf *kdf);

/* The limits REPO/keys/repo.key is sealed with, read from the file (no password needed). */
int xp_keys_kdf_read(const char *repo, struct xp_keys_kdf *kdf, struct xp_err *err);

/* Re-seals REPO/keys/repo.key (atomically) under newpw (xp_keys_password_check) with the
 * limits it was sealed with, or SENSITIVE's when strong and stronger: never weaker. Nothing
 * else changes (a format-1 file stays without repository id and signer). */
int xp_keys_passwd(const char *repo, const char *oldpw, size_t oldlen, const char *newpw,
                   size_t newlen, int strong, struct xp_err *err);

/* Key rotation (xpseal rekey), in steps that are safe to interrupt:
 *   begin   a new X25519 pair beside the one in force: keys/repo.key.new, sealed under the
 *           same password with the same Argon2id limits, repository id and signer, then
 *           keys/repo.pub.new, whose presence says a rotation is under way
 *   commit  repo.key.new becomes repo.key, then repo.pub.new becomes repo.pub (last)
 * Until commit the old pair is in force; backups are re-sealed to the new one in between.
 * begin refuses a format-1 repo.key (XP_EFAIL). */
int xp_keys_rotate_begin(const char *repo, const char *pw, size_t pwlen, struct xp_err *err);

/* 1 when a rotation is under way (keys/repo.pub.new exists), 0 when not, or a negative code. */
int xp_keys_rotate_pending(const char *repo, struct xp_err *err);

/* The new pair of a rotation under way: pk from repo.pub.new, sk unlocked with the password
 * from repo.key.new (or from repo.key, when the commit was interrupted after moving it), with
 * what it binds in b (may be NULL). */
int xp_keys_rotate_unlock(const char *repo, const char *pw, size_t pwlen,
                          uint8_t pk[XP_KEYS_PK_LEN], uint8_t sk[XP_KEYS_SK_LEN],
                          struct xp_keys_bound *b, struct xp_err *err);

/* Puts the new pair in force; may be repeated after a crash until repo.pub.new is gone. */
int xp_keys_rotate_commit(const char *repo, struct xp_err *err);

/* For unit tests only: seal with these Argon2id limits instead of MODERATE/SENSITIVE
 * (ops 0 restores the defaults). Unlocking always uses the limits stored in the file. */
void xp_keys_set_kdf_limits(unsigned long long ops, size_t mem);

#endif
