/* Ed25519 signatures in minisign's format: prehashed ("ED": the signature covers BLAKE2b-512 of
 * the data), a global signature over signature || trusted comment, 8-byte key ids. The stock
 * tool checks ours: `minisign -V -p signer.pub -m FILE`.
 *
 * The secret-key file is minisign's secret-key format without a password (what
 * `minisign -G -W` writes), so cron signs unattended; it must be a regular file that passes the
 * secret-file rule (xp_secret_file_open: no access for group or others). */
#ifndef XP_SIGN_H
#define XP_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "base/err.h"

#define XP_SIGN_KEYID_LEN 8
#define XP_SIGN_PUB_LEN   42 /* a public key as minisign stores it: "Ed", key id, Ed25519 key */

/* A loaded signing secret key (kept in sodium_malloc memory). */
struct xp_signkey;

/* A signing public key: minisign's key id and the Ed25519 key. */
struct xp_sign_pub {
	uint8_t id[XP_SIGN_KEYID_LEN];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};
/* Reads a public key file (minisign's format): XP_ENOENT when missing, XP_EFAIL otherwise. */
int xp_sign_pub_read(const char *path, struct xp_sign_pub *pub, struct xp_err *err);
/* The public half of k: what the host itself trusts, whatever the repository says. */
void xp_sign_pub_of(const struct xp_signkey *k, struct xp_sign_pub *pub);

/* Loads a signing secret key file; free with xp_sign_free_key. */
int xp_sign_load_key(const char *path, struct xp_signkey **out, struct xp_err *err);
/* Creates a new key pair and writes the secret key to path (0600, atomically; the parent
 * directory is created 0700 if missing). Refuses to overwrite an existing file. */
int xp_sign_create_key(const char *path, struct xp_signkey **out, struct xp_err *err);
void xp_sign_free_key(struct xp_signkey *k);
/* The public key file text for k (minisign's format), malloc'd. */
int xp_sign_public_text(const struct xp_signkey *k, char **text, struct xp_err *err);
/* The key id of k. */
void xp_sign_key_id(const struct xp_signkey *k, uint8_t id[XP_SIGN_KEYID_LEN]);
/* 0 if the public key file at pubkey_path is k's; XP_EINTEGRITY if it is another key's. */
int xp_sign_key_matches(const struct xp_signkey *k, const char *pubkey_path, struct xp_err *err);

/* A public key's bytes (minisign's binary layout) from a public key file, or from k. */
int xp_sign_pub_load(const char *pubkey_path, uint8_t pub[XP_SIGN_PUB_LEN], struct xp_err *err);
void xp_sign_key_pub(const struct xp_signkey *k, uint8_t pub[XP_SIGN_PUB_LEN]);
/* The key in pub's bytes (as trust.h and keys.h hold a signer), for checking signatures. */
void xp_sign_pub_from(const uint8_t pub[XP_SIGN_PUB_LEN], struct xp_sign_pub *pk);
/* The public key file text (minisign's format) for pub, malloc'd. */
int xp_sign_pub_text(const uint8_t pub[XP_SIGN_PUB_LEN], char **text, struct xp_err *err);
/* The key id of pub as minisign prints it (16 upper-case hex digits) into out. */
void xp_sign_pub_id(const uint8_t pub[XP_SIGN_PUB_LEN], char out[17]);

/* Streaming signature: init, update with the data, final. */
struct xp_sign_state {
	crypto_generichash_blake2b_state h;
};
void xp_sign_init(struct xp_sign_state *s);
void xp_sign_update(struct xp_sign_state *s, const void *buf, size_t len);
/* Writes the whole .minisig text into *sigtext (malloc'd; the caller writes it where it wants).
 * trusted_comment is one line (no CR/LF); NULL means "timestamp:NOW". */
int xp_sign_final(struct xp_sign_state *s, const struct xp_signkey *k, const char *trusted_comment,
                  char **sigtext, struct xp_err *err);
int xp_sign_buffer(const struct xp_signkey *k, const void *buf, size_t len,
                   const char *trusted_comment, char **sigtext, struct xp_err *err);

/* The prehash a signature covers (BLAKE2b-512 of the data), for a reader that hashes the bytes
 * it reads for another purpose (decrypting them) and checks the signature afterwards. */
#define XP_SIGN_HASH_LEN 64
void xp_sign_digest(struct xp_sign_state *s, uint8_t hash[XP_SIGN_HASH_LEN]);
/* 0 if sigtext is a good signature by pub of the data whose prehash is hash; XP_EINTEGRITY as
 * xp_sign_verify_file. comment (may be NULL) gets the verified trusted comment (malloc'd). */
int xp_sign_verify_hash(const uint8_t hash[XP_SIGN_HASH_LEN], const char *sigtext,
                        const struct xp_sign_pub *pub, char **comment, struct xp_err *err);

/* Record signatures (journal lines; xpseal(5)): Ed25519 over a domain prefix and the record's
 * bytes, written as base64 of the key id and the signature: XP_SIGN_RECORD_LEN characters. */
#define XP_SIGN_RECORD_LEN 96
int xp_sign_record(const struct xp_signkey *k, const void *msg, size_t len,
                   char out[XP_SIGN_RECORD_LEN + 1], struct xp_err *err);
/* 0 if text (NUL-terminated) is pub's record signature of msg, -1 otherwise. */
int xp_sign_record_check(const struct xp_sign_pub *pub, const void *msg, size_t len,
                         const char *text);

/* 0 if sigtext has the form of a signature file (XP_EINTEGRITY "malformed ..." if not). */
int xp_sign_check_format(const char *sigtext, struct xp_err *err);
/* 0 if sigpath holds a good signature of path by the key in pubkey_path. XP_EINTEGRITY for a
 * bad signature, another key's signature, a malformed signature file or an altered trusted
 * comment; XP_ENOENT when a file is missing; messages start with the file's name. */
int xp_sign_verify_file(const char *path, const char *sigpath, const char *pubkey_path,
                        struct xp_err *err);
/* xp_sign_verify_file that, on success, also gives the verified trusted comment (malloc'd,
 * caller frees; NULL on failure). */
int xp_sign_verify_file_comment(const char *path, const char *sigpath, const char *pubkey_path,
                                char **comment, struct xp_err *err);
/* Reads a signature file: XP_ENOENT when missing, XP_EINTEGRITY when too large to be one,
 * XP_EFAIL when it cannot be read. *text is malloc'd. */
int xp_sign_read_sigfile(const char *sigpath, char **text, struct xp_err *err);
/* The same over a buffer and the signature file's text. */
int xp_sign_verify_buffer(const void *buf, size_t len, const char *sigtext, const char *pubkey_path,
                          struct xp_err *err);
/* The same with a public key already loaded. */
int xp_sign_verify_buffer_pub(const void *buf, size_t len, const char *sigtext,
                              const struct xp_sign_pub *pub, struct xp_err *err);

#endif
