/* The sealed-file format (.xps): header, zstd stream, secretstream chunks; see xpseal(5). */
#ifndef XP_SEAL_H
#define XP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define XP_SEAL_VERSION        1
#define XP_SEAL_ID_LEN         16
#define XP_SEAL_ID_HEX         (2 * XP_SEAL_ID_LEN + 1)
#define XP_SEAL_KEYID_LEN      8
#define XP_SEAL_SEALED_KEY_LEN 80 /* crypto_box_SEALBYTES + crypto_secretstream_KEYBYTES */
#define XP_SEAL_HASH_LEN       32 /* BLAKE2b-256 of the whole .xps file */
#define XP_SEAL_HEADER_MAX     160
#define XP_SEAL_SHRED_KEY_LEN  112 /* size of a shreddable backup's key file (vault.h) */
#define XP_SEAL_CHUNK_DEFAULT  (1u << 20)
#define XP_SEAL_CHUNK_MIN      64u
#define XP_SEAL_CHUNK_MAX      (1u << 24)

/* Header flags. */
#define XP_SEAL_SHREDDABLE                                                                         \
	0x1u /* the data key lives in a key file in the vault (vault.h), not in the header */

/* A parsed header. */
struct xp_seal_header {
	unsigned version;
	uint32_t flags;
	uint8_t id[XP_SEAL_ID_LEN];
	char id_hex[XP_SEAL_ID_HEX];
	int64_t created;
	uint8_t key_id[XP_SEAL_KEYID_LEN];
	unsigned compression; /* 1 = zstd */
	unsigned cipher;      /* 1 = crypto_secretstream_xchacha20poly1305 */
	uint32_t chunk_size;
	uint8_t stream_header[24];
	uint8_t sealed_key[XP_SEAL_SEALED_KEY_LEN]; /* zero when shreddable */
	size_t len;                                 /* header bytes on disk */
};

/* Called with every block of plaintext read (seal) or every block of sealed bytes written. */
typedef void xp_seal_observe_fn(void *ctx, const void *buf, size_t n);

struct xp_seal_params {
	const uint8_t *repo_pk;     /* 32-byte X25519 repository public key */
	const uint8_t *key_id;      /* XP_SEAL_KEYID_LEN bytes */
	uint8_t id[XP_SEAL_ID_LEN]; /* backup id; see xp_seal_new_id */
	int64_t created;            /* seconds since the epoch */
	uint32_t flags;             /* XP_SEAL_SHREDDABLE */
	uint32_t chunk_size;        /* 0: XP_SEAL_CHUNK_DEFAULT */
	int level;                  /* zstd level; 0: 3 */
	/* zstd workers; < 0: one per online CPU, one fewer when the input is a pipe or socket
	 * (its writer takes one); 0: none */
	int workers;
	xp_seal_observe_fn *observe; /* optional: every plaintext block read */
	void *observe_ctx;
	xp_seal_observe_fn *on_output; /* optional: every sealed block written (signing) */
	void *on_output_ctx;
};

struct xp_seal_info {
	char id[XP_SEAL_ID_HEX];
	int64_t created;
	uint64_t bytes_in;  /* plaintext bytes */
	uint64_t bytes_out; /* .xps bytes */
	uint64_t chunks;
	int workers;                              /* zstd workers actually in use */
	int level;                                /* zstd level used */
	uint8_t hash[XP_SEAL_HASH_LEN];           /* BLAKE2b-256 of the .xps bytes */
	uint8_t shred_key[XP_SEAL_SHRED_KEY_LEN]; /* the key file's content when shreddable */
	size_t vault_missed; /* xp_seal_backup: vault copies that could not take the key file */
};

/* The zstd level of text s ("--level N"): an integer in zstd's range (ZSTD_minCLevel, the
 * fastest, to ZSTD_maxCLevel), 0 meaning its default, 3; XP_EUSAGE otherwise. */
int xp_seal_level_parse(const char *s, int *level, struct xp_err *err);

/* Fills p with defaults, a fresh random id and the current time. */
void xp_seal_params_init(struct xp_seal_params *p, const uint8_t repo_pk[32],
                         const uint8_t key_id[XP_SEAL_KEYID_LEN]);

/* Reads in_fd to its end and writes the sealed file to out_fd in one pass (read, compress,
 * encrypt, hash, write). When shreddable, info->shred_key holds what the caller must store
 * as the backup's key file (vault.h) before the file is published. */
int xp_seal_stream(int in_fd, int out_fd, const struct xp_seal_params *p, struct xp_seal_info *info,
                   struct xp_err *err);

/* Reads the key file of the shreddable backup id (32 hex digits) into buf: 0; XP_ENOENT with
 * a sentence when it is gone (shredded); another code when it cannot be read. */
typedef int xp_seal_keyfile_fn(void *ctx, const char *id, uint8_t buf[XP_SEAL_SHRED_KEY_LEN],
                               struct xp_err *err);

/* That buf is a key file of backup id_hex: its magic and id (the rest is checked on opening).
 * XP_EINTEGRITY otherwise. */
int xp_seal_keyfile_check(const uint8_t buf[XP_SEAL_SHRED_KEY_LEN], const char *id_hex,
                          struct xp_err *err);

/* The keys for opening: the repository key pair and where shredded-mode key files are read. */
struct xp_seal_keys {
	const uint8_t *pk;           /* 32-byte X25519 public key */
	const uint8_t *sk;           /* 32-byte secret key, sodium_malloc'd by the caller */
	const uint8_t *key_id;       /* XP_SEAL_KEYID_LEN bytes */
	xp_seal_keyfile_fn *keyfile; /* NULL: no shreddable backup can be opened */
	void *keyfile_ctx;           /* for keyfile (vault.h: a struct xp_vault) */
};

/* Authenticates and decrypts in_fd chunk by chunk, writing the original bytes to out_fd.
 * A chunk's plaintext is written only after the chunk authenticated; a failure after the
 * first chunk leaves a prefix of the original on out_fd. info may be NULL. */
int xp_seal_open(int in_fd, int out_fd, const struct xp_seal_keys *k, struct xp_seal_info *info,
                 struct xp_err *err);
/* xp_seal_open that also hands every block of sealed bytes it reads, in order, to seen (may be
 * NULL): on success that is the whole file, so a caller can check its signature on the very
 * bytes it decrypted. */
int xp_seal_open_seen(int in_fd, int out_fd, const struct xp_seal_keys *k, xp_seal_observe_fn *seen,
                      void *seen_ctx, struct xp_seal_info *info, struct xp_err *err);

/* Where a rewrap seals to: the new repository key. */
struct xp_seal_rewrap {
	const uint8_t *pk;             /* 32-byte X25519 public key */
	const uint8_t *key_id;         /* its XP_SEAL_KEYID_LEN-byte id */
	xp_seal_observe_fn *on_output; /* optional: every byte written (signing) */
	void *on_output_ctx;
};

/* Re-seals in_fd, a sealed file that k opens, to r's key on out_fd: the same id, creation time
 * and compressed chunks under a fresh data key sealed to r->pk (for a shreddable backup, in
 * info->shred_key, which the caller stores as its key file), every chunk authenticated on the
 * way and nothing decompressed. info gets id, created, bytes_out, chunks and hash. */
int xp_seal_rewrap(int in_fd, int out_fd, const struct xp_seal_keys *k,
                   const struct xp_seal_rewrap *r, struct xp_seal_info *info, struct xp_err *err);

/* Parses and checks a header from buf (len bytes available); h->len says how many it used. */
int xp_seal_parse_header(const uint8_t *buf, size_t len, struct xp_seal_header *h,
                         struct xp_err *err);
/* Reads the header of the file at path (no key needed). */
int xp_seal_read_header(const char *path, struct xp_seal_header *h, struct xp_err *err);

/* A fresh random backup id. */
void xp_seal_new_id(uint8_t id[XP_SEAL_ID_LEN]);

struct xp_sign_pub;
/* What one read of a backup's file tells (xp_seal_check). */
struct xp_seal_checked {
	struct xp_seal_header h;
	uint8_t hash[XP_SEAL_HASH_LEN]; /* BLAKE2b-256 of the file, as the catalog records it */
	uint64_t size;
	char *comment; /* the verified trusted comment (malloc'd; xp_seal_checked_free) */
};
void xp_seal_checked_free(struct xp_seal_checked *c);
/* Reads the file at path once and checks, on those bytes: its signature (sigpath) by pub, and
 * that file, signature and name agree (xp_seal_bind), and that the header's repository key id
 * is repo_kid (NULL: any). 0; XP_EINTEGRITY when any of it fails; XP_ENOENT when a file is
 * missing; XP_EFAIL when one cannot be read. Messages start with the file's name. When copy_fd
 * is not -1, the bytes read are also written to it. */
int xp_seal_check(const char *path, const char *sigpath, const struct xp_sign_pub *pub,
                  const char *id, const uint8_t *repo_kid, int copy_fd, struct xp_seal_checked *out,
                  struct xp_err *err);
/* That a backup's verified trusted comment names the file of the header's id ("file:ID.xps")
 * and that id (when not NULL or "") is the header's: a file or signature moved under another
 * id fails. XP_EINTEGRITY naming what disagrees. */
int xp_seal_bind(const char *comment, const char *header_id, const char *id, struct xp_err *err);

#endif
