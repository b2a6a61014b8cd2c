/* The sealed-file format: see seal.h and xpseal(5) for the byte layout. */
#include "config.h"

#include "seal.h"
#include "keys.h"
#include "secret.h"
#include "sign.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#define MAGIC       "\x89XPS\r\n\x1a\n"
#define SHRED_MAGIC "\x89XPK\r\n\x1a\n"
#define FIXED_LEN   80 /* header bytes before the sealed data key */
#define LEN_BYTES   4  /* chunk length prefix */
#define FRAMES      4  /* sealed chunks queued for the writer thread */
#define ABYTES      crypto_secretstream_xchacha20poly1305_ABYTES
#define READ_SIZE   (1u << 20)

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void xp_seal_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int xp_seal_parse_id(const char *hex, uint8_t id[XP_SEAL_ID_LEN])
{
	size_t n;

	if (strlen(hex) != 2 * XP_SEAL_ID_LEN ||
	    strspn(hex, "0123456789abcdef") != 2 * XP_SEAL_ID_LEN)
		return XP_EUSAGE;
	if (sodium_hex2bin(id, XP_SEAL_ID_LEN, hex, 2 * XP_SEAL_ID_LEN, NULL, &n, NULL) != 0 ||
	    n != XP_SEAL_ID_LEN)
		return XP_EUSAGE;
	return 0;
}

void xp_seal_new_id(uint8_t id[XP_SEAL_ID_LEN])
{
	randombytes_buf(id, XP_SEAL_ID_LEN);
}

void xp_seal_params_init(struct xp_seal_params *p, const uint8_t repo_pk[32],
                         const uint8_t key_id[XP_SEAL_KEYID_LEN])
{
	memset(p, 0, sizeof *p);
	p->repo_pk = repo_pk;
	p->key_id = key_id;
	xp_seal_new_id(p->id);
	p->created = xp_now();
	p->chunk_size = XP_SEAL_CHUNK_DEFAULT;
	p->level = 3;
	p->workers = -1;
}

/* Serialises h into buf (XP_SEAL_HEADER_MAX bytes); returns the length. */
static size_t header_write(const struct xp_seal_header *h, uint8_t *buf)
{
	size_t len = FIXED_LEN + (h->flags & XP_SEAL_SHREDDABLE ? 0 : XP_SEAL_SEALED_KEY_LEN);

	memset(buf, 0, XP_SEAL_HEADER_MAX);
	memcpy(buf, MAGIC, 8);
	put16(buf + 8, h->version);
	put16(buf + 10, (uint32_t)len);
	put32(buf + 12, h->flags);
	memcpy(buf + 16, h->id, XP_SEAL_ID_LEN);
	put64(buf + 32, (uint64_t)h->created);
	memcpy(buf + 40, h->key_id, XP_SEAL_KEYID_LEN);
	buf[48] = (uint8_t)h->compression;
	buf[49] = (uint8_t)h->cipher;
	put32(buf + 52, h->chunk_size);
	memcpy(buf + 56, h->stream_header, sizeof h->stream_header);
	if (!(h->flags & XP_SEAL_SHREDDABLE))
		memcpy(buf + FIXED_LEN, h->sealed_key, XP_SEAL_SEALED_KEY_LEN);
	return len;
}

int xp_seal_parse_header(const uint8_t *buf, size_t len, struct xp_seal_header *h,
                         struct xp_err *err)
{
	size_t want;

	memset(h, 0, sizeof *h);
	if (memcmp(buf, MAGIC, len < 8 ? len : 8) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "not a sealed backup (bad magic)");
	if (len < FIXED_LEN)
		return xp_err_set(err, XP_EINTEGRITY, "truncated in the header");
	h->version = get16(buf + 8);
	if (h->version != XP_SEAL_VERSION)
		return xp_err_set(err, XP_EINTEGRITY, "unsupported format version %u", h->version);
	h->len = get16(buf + 10);
	h->flags = get32(buf + 12);
	if (h->flags & ~XP_SEAL_SHREDDABLE)
		return xp_err_set(err, XP_EINTEGRITY, "header: unknown flags 0x%x", h->flags);
	want = FIXED_LEN + (h->flags & XP_SEAL_SHREDDABLE ? 0 : XP_SEAL_SEALED_KEY_LEN);
	if (h->len != want)
		return xp_err_set(err, XP_EINTEGRITY, "header: length %zu, expected %zu", h->len,
		                  want);
	if (len < h->len)
		return xp_err_set(err, XP_EINTEGRITY, "truncated in the header");
	memcpy(h->id, buf + 16, XP_SEAL_ID_LEN);
	xp_seal_hex(h->id, XP_SEAL_ID_LEN, h->id_hex);
	h->created = (int64_t)get64(buf + 32);
	memcpy(h->key_id, buf + 40, XP_SEAL_KEYID_LEN);
	h->compression = buf[48];
	h->cipher = buf[49];
	h->chunk_size = get32(buf + 52);
	memcpy(h->stream_header, buf + 56, sizeof h->stream_header);
	if (h->compression != 1)
		return xp_err_set(err, XP_EINTEGRITY, "header: unknown compression %u",
		                  h->compression);
	if (h->cipher != 1)
		return xp_err_set(err, XP_EINTEGRITY, "header: unknown cipher %u", h->cipher);
	if (get16(buf + 50) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "header: reserved bytes are not zero");
	if (h->chunk_size < XP_SEAL_CHUNK_MIN || h->chunk_size > XP_SEAL_CHUNK_MAX)
		return xp_err_set(err, XP_EINTEGRITY, "header: chunk size %u out of range",
		                  h->chunk_size);
	if (!(h->flags & XP_SEAL_SHREDDABLE))
		memcpy(h->sealed_key, buf + FIXED_LEN, XP_SEAL_SEALED_KEY_LEN);
	return 0;
}

int xp_seal_read_header(const char *path, struct xp_seal_header *h, struct xp_err *err)
{
	uint8_t buf[XP_SEAL_HEADER_MAX];
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	n = xp_read_full(fd, buf, sizeof buf);
	if (n < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else if ((rc = xp_seal_parse_header(buf, (size_t)n, h, err)) != 0)
		xp_err_prefix(err, "%s", path);
	close(fd);
	return rc;
}

/* The sealing pipeline's state: buffers are allocated once, before the loop. */
struct sealer {
	int out_fd;
	const struct xp_seal_params *p;
	struct xp_seal_info *info;
	crypto_secretstream_xchacha20poly1305_state *ss;
	crypto_generichash_state hash;
	uint8_t ad[32]; /* BLAKE2b-256 of the header: the AD of every chunk */
	uint8_t *in;    /* READ_SIZE plaintext */
	uint8_t *plain; /* chunk_size compressed bytes, the next chunk's plaintext */
	ZSTD_CCtx *cctx;
	/* Sealed chunks go to a writer thread that writes, hashes and signs them, so the
	 * main thread goes back to feeding zstd's workers at once. */
	struct {
		pthread_mutex_t mu;
		pthread_cond_t cv;
		pthread_t th;
		int started, done, rc;
		unsigned head, tail;    /* frames queued, frames written */
		uint8_t *frame[FRAMES]; /* length prefix + ciphertext */
		size_t len[FRAMES];
		struct xp_err err;
	} q;
};

static int emit(struct sealer *s, const void *buf, size_t n, struct xp_err *err)
{
	int rc = xp_write_all(s->out_fd, buf, n, err);

	if (rc)
		return rc;
	if (crypto_generichash_update(&s->hash, buf, n) != 0)
		return xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
	if (s->p->on_output)
		s->p->on_output(s->p->on_output_ctx, buf, n);
	s->info->bytes_out += n;
	return 0;
}

static void *writer_main(void *arg)
{
	struct sealer *s = arg;
	unsigned i;
	int rc;

	pthread_mutex_lock(&s->q.mu);
	for (;;) {
		while (s->q.tail == s->q.head && !s->q.done)
			pthread_cond_wait(&s->q.cv, &s->q.mu);
		if (s->q.tail == s->q.head)
			break;
		i = s->q.tail % FRAMES;
		pthread_mutex_unlock(&s->q.mu);
		rc = emit(s, s->q.frame[i], s->q.len[i], &s->q.err);
		pthread_mutex_lock(&s->q.mu);
		s->q.tail++;
		pthread_cond_broadcast(&s->q.cv);
		if (rc) {
			s->q.rc = rc;
			break;
		}
	}
	pthread_mutex_unlock(&s->q.mu);
	return NULL;
}

static int writer_start(struct sealer *s, struct xp_err *err)
{
	if (pthread_create(&s->q.th, NULL, writer_main, s) != 0)
		return xp_err_set(err, XP_EFAIL, "cannot start the writer thread");
	s->q.started = 1;
	return 0;
}

/* Waits for the writer to finish what is queued; returns its verdict. Safe to call twice. */
static int writer_stop(struct sealer *s, struct xp_err *err)
{
	if (!s->q.started)
		return 0;
	pthread_mutex_lock(&s->q.mu);
	s->q.done = 1;
	pthread_cond_broadcast(&s->q.cv);
	pthread_mutex_unlock(&s->q.mu);
	pthread_join(s->q.th, NULL);
	s->q.started = 0;
	if (s->q.rc && err)
		*err = s->q.err;
	return s->q.rc;
}

static int emit_chunk(struct sealer *s, size_t n, unsigned char tag, struct xp_err *err)
{
	unsigned long long clen;
	uint8_t *frame;
	unsigned i;
	int rc;

	pthread_mutex_lock(&s->q.mu);
	while (s->q.head - s->q.tail == FRAMES && !s->q.rc)
		pthread_cond_wait(&s->q.cv, &s->q.mu);
	rc = s->q.rc;
	pthread_mutex_unlock(&s->q.mu);
	if (rc) {
		*err = s->q.err;
		return rc;
	}
	i = s->q.head % FRAMES;
	frame = s->q.frame[i];
	if (crypto_secretstream_xchacha20poly1305_push(s->ss, frame + LEN_BYTES, &clen, s->plain, n,
	                                               s->ad, sizeof s->ad, tag) != 0)
		return xp_err_set(err, XP_EFAIL, "encryption failed");
	put32(frame, (uint32_t)clen);
	s->info->chunks++;
	pthread_mutex_lock(&s->q.mu);
	s->q.len[i] = LEN_BYTES + (size_t)clen;
	s->q.head++;
	pthread_cond_signal(&s->q.cv);
	pthread_mutex_unlock(&s->q.mu);
	return 0;
}

static int zstd_err(struct xp_err *err, size_t r, const char *what)
{
	return xp_err_set(err, XP_EFAIL, "zstd: %s: %s", what, ZSTD_getErrorName(r));
}

static int sealer_setup(struct sealer *s, struct xp_err *err)
{
	const struct xp_seal_params *p = s->p;
	ZSTD_bounds bounds;
	long cpus;
	int workers = p->workers;
	size_t r;

	s->cctx = ZSTD_createCCtx();
	s->in = malloc(READ_SIZE);
	s->plain = malloc(p->chunk_size);
	for (int i = 0; i < FRAMES; i++)
		if (!(s->q.frame[i] = malloc(LEN_BYTES + p->chunk_size + ABYTES)))
			return xp_err_set(err, XP_ENOMEM, "out of memory");
	s->ss = sodium_malloc(sizeof *s->ss);
	if (!s->cctx || !s->in || !s->plain || !s->ss)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	r = ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, p->level ? p->level : 3);
	if (ZSTD_isError(r))
		return zstd_err(err, r, "level");
	if (workers < 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		workers = cpus > 0 ? (int)cpus : 1;
	}
	/* A libzstd built without threads has no room for workers (upper bound 0) and refuses
	 * them: the file is then compressed in this thread, and info->workers says so. */
	bounds = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
	if (ZSTD_isError(bounds.error) || bounds.upperBound < 1)
		workers = 0;
	else if (workers > bounds.upperBound)
		workers = bounds.upperBound;
	if (workers > 0) {
		r = ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_nbWorkers, workers);
		if (ZSTD_isError(r))
			return zstd_err(err, r, "workers");
	}
	s->info->workers = workers;
	return 0;
}

static int seal_header(struct sealer *s, uint8_t *key, struct xp_err *err)
{
	const struct xp_seal_params *p = s->p;
	struct xp_seal_header h;
	uint8_t buf[XP_SEAL_HEADER_MAX];
	uint8_t *sealed = p->flags & XP_SEAL_SHREDDABLE ? s->info->shred_key + 32 : h.sealed_key;
	size_t len;

	memset(&h, 0, sizeof h);
	h.version = XP_SEAL_VERSION;
	h.flags = p->flags;
	memcpy(h.id, p->id, XP_SEAL_ID_LEN);
	h.created = p->created;
	memcpy(h.key_id, p->key_id, XP_SEAL_KEYID_LEN);
	h.compression = 1;
	h.cipher = 1;
	h.chunk_size = p->chunk_size;
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_secretstream_xchacha20poly1305_init_push(s->ss, h.stream_header, key) != 0 ||
	    crypto_box_seal(sealed, key, crypto_secretstream_xchacha20poly1305_KEYBYTES,
	                    p->repo_pk) != 0)
		return xp_err_set(err, XP_EFAIL, "cannot seal the data key");
	if (p->flags & XP_SEAL_SHREDDABLE) {
		memcpy(s->info->shred_key, SHRED_MAGIC, 8);
		memcpy(s->info->shred_key + 8, p->id, XP_SEAL_ID_LEN);
		memcpy(s->info->shred_key + 24, p->key_id, XP_SEAL_KEYID_LEN);
	}
	len = header_write(&h, buf);
	if (crypto_generichash(s->ad, sizeof s->ad, buf, len, NULL, 0) != 0)
		return xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
	return emit(s, buf, len, err);
}

/* Compresses what `in` holds (all of it, and the frame's end when mode is ZSTD_e_end),
 * sending each full chunk only once more output needs its room: the last chunk, however
 * full, is then always the one tagged FINAL. */
static int compress(struct sealer *s, ZSTD_inBuffer *in, ZSTD_outBuffer *out,
                    ZSTD_EndDirective mode, struct xp_err *err)
{
	size_t left;
	int rc;

	do {
		if (out->pos == out->size) {
			rc = emit_chunk(s, out->pos,
			                crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, err);
			if (rc)
				return rc;
			out->pos = 0;
		}
		left = ZSTD_compressStream2(s->cctx, out, in, mode);
		if (ZSTD_isError(left))
			return zstd_err(err, left, "compress");
	} while (mode == ZSTD_e_end ? left != 0 : in->pos < in->size);
	return 0;
}

int xp_seal_stream(int in_fd, int out_fd, const struct xp_seal_params *p, struct xp_seal_info *info,
                   struct xp_err *err)
{
	struct sealer s = {.out_fd = out_fd,
	                   .p = p,
	                   .info = info,
	                   .q = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER}};
	uint8_t *key = NULL;
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	ssize_t n;
	int rc;

	memset(info, 0, sizeof *info);
	if (p->chunk_size < XP_SEAL_CHUNK_MIN || p->chunk_size > XP_SEAL_CHUNK_MAX) {
		rc = xp_err_set(err, XP_EUSAGE, "chunk size %u out of range", p->chunk_size);
		goto out;
	}
	xp_seal_hex(p->id, XP_SEAL_ID_LEN, info->id);
	info->created = p->created;
	key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	if (!key || crypto_generichash_init(&s.hash, NULL, 0, XP_SEAL_HASH_LEN) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sealer_setup(&s, err)) != 0 || (rc = seal_header(&s, key, err)) != 0 ||
	    (rc = writer_start(&s, err)) != 0)
		goto out;
	out = (ZSTD_outBuffer){s.plain, p->chunk_size, 0};
	for (;;) {
		n = xp_read_full(in_fd, s.in, READ_SIZE);
		if (n < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "read");
			goto out;
		}
		if (n == 0)
			break;
		if (p->observe)
			p->observe(p->observe_ctx, s.in, (size_t)n);
		info->bytes_in += (uint64_t)n;
		in = (ZSTD_inBuffer){s.in, (size_t)n, 0};
		if ((rc = compress(&s, &in, &out, ZSTD_e_continue, err)) != 0)
			goto out;
	}
	in = (ZSTD_inBuffer){s.in, 0, 0};
	if ((rc = compress(&s, &in, &out, ZSTD_e_end, err)) != 0 ||
	    (rc = emit_chunk(&s, out.pos, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err)) !=
	            0 ||
	    (rc = writer_stop(&s, err)) != 0)
		goto out;
	if (crypto_generichash_final(&s.hash, info->hash, sizeof info->hash) != 0)
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
out:
	writer_stop(&s, NULL);
	sodium_free(key);
	sodium_free(s.ss);
	ZSTD_freeCCtx(s.cctx);
	free(s.in);
	if (s.plain)
		sodium_memzero(s.plain, p->chunk_size);
	free(s.plain);
	for (int i = 0; i < FRAMES; i++)
		free(s.q.frame[i]);
	pthread_cond_destroy(&s.q.cv);
	pthread_mutex_destroy(&s.q.mu);
	return rc;
}

/* The opening pipeline's state. */
struct opener {
	int in_fd, out_fd;
	struct xp_seal_header h;
	crypto_secretstream_xchacha20poly1305_state *ss;
	uint8_t ad[32];
	uint8_t *frame; /* ciphertext of one chunk */
	uint8_t *plain; /* its plaintext */
	uint8_t *out;   /* decompressed bytes */
	size_t out_size;
	ZSTD_DCtx *dctx;
	size_t zleft; /* ZSTD_decompressStream's last hint: 0 once the frame is complete */
};

/* Reads the data key of a shreddable backup from DIR/ID.key into key. */
static int shred_key_read(const struct opener *o, const struct xp_seal_keys *k, uint8_t *key,
                          struct xp_err *err)
{
	char *path = NULL, *buf = NULL;
	size_t len = 0;
	int rc;

	if (!k->shred_dir)
		return xp_err_set(err, XP_EUSAGE,
		                  "shreddable backup: no repository to find its key");
	path = xp_asprintf("%s/%s.key", k->shred_dir, o->h.id_hex);
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_file_read(path, XP_SEAL_SHRED_KEY_LEN + 1, &buf, &len, err);
	if (rc == XP_ENOENT) {
		rc = xp_err_set(err, XP_ENOENT, "backup %s has been shredded (%s is gone)",
		                o->h.id_hex, path);
		goto out;
	}
	if (rc)
		goto out;
	if (len != XP_SEAL_SHRED_KEY_LEN || memcmp(buf, SHRED_MAGIC, 8) != 0 ||
	    memcmp(buf + 8, o->h.id, XP_SEAL_ID_LEN) != 0 ||
	    memcmp(buf + 24, o->h.key_id, XP_SEAL_KEYID_LEN) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: not the key file of this backup", path);
		goto out;
	}
	if (crypto_box_seal_open(key, (uint8_t *)buf + 32, XP_SEAL_SEALED_KEY_LEN, k->pk, k->sk) !=
	    0)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: the data key does not open with the repository key", path);
out:
	free(path);
	free(buf);
	return rc;
}

static int opener_start(struct opener *o, const struct xp_seal_keys *k, struct xp_err *err)
{
	uint8_t buf[XP_SEAL_HEADER_MAX];
	uint8_t *key = NULL;
	ssize_t n, m;
	int rc;

	n = xp_read_full(o->in_fd, buf, FIXED_LEN);
	if (n == FIXED_LEN && !(get32(buf + 12) & XP_SEAL_SHREDDABLE)) {
		/* The key block follows; its presence is checked against the flags by the parser.
		 */
		m = xp_read_full(o->in_fd, buf + FIXED_LEN, XP_SEAL_SEALED_KEY_LEN);
		n = m < 0 ? m : n + m;
	}
	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "read");
	rc = xp_seal_parse_header(buf, (size_t)n, &o->h, err);
	if (rc)
		return rc;
	if (sodium_memcmp(o->h.key_id, k->key_id, XP_SEAL_KEYID_LEN) != 0) {
		char hex[2 * XP_SEAL_KEYID_LEN + 1];

		xp_seal_hex(o->h.key_id, XP_SEAL_KEYID_LEN, hex);
		return xp_err_set(err, XP_EINTEGRITY, "sealed for another repository key (%s)",
		                  hex);
	}
	o->frame = malloc(o->h.chunk_size + ABYTES);
	o->plain = sodium_malloc(o->h.chunk_size);
	o->out_size = ZSTD_DStreamOutSize();
	o->out = malloc(o->out_size);
	o->dctx = ZSTD_createDCtx();
	o->zleft = 1;
	o->ss = sodium_malloc(sizeof *o->ss);
	key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	if (!o->frame || !o->plain || !o->out || !o->dctx || !o->ss || !key) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (o->h.flags & XP_SEAL_SHREDDABLE)
		rc = shred_key_read(o, k, key, err);
	else if (crypto_box_seal_open(key, o->h.sealed_key, XP_SEAL_SEALED_KEY_LEN, k->pk, k->sk) !=
	         0)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "header: the data key does not open with the repository key");
	if (rc)
		goto out;
	if (crypto_generichash(o->ad, sizeof o->ad, buf, o->h.len, NULL, 0) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_pull(o->ss, o->h.stream_header, key) != 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "header: bad stream header");
out:
	sodium_free(key);
	return rc;
}

/* Decompresses one authenticated chunk to out_fd. */
static int inflate_chunk(struct opener *o, size_t n, uint64_t *bytes, struct xp_err *err)
{
	ZSTD_inBuffer in = {o->plain, n, 0};
	ZSTD_outBuffer out = {o->out, o->out_size, o->out_size};
	int rc;

	/* After the frame's end (hint 0) another call would start a new frame: one frame only. */
	while (in.pos < in.size || (o->zleft != 0 && out.pos == out.size)) {
		if (o->zleft == 0)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "data after the end of the zstd frame");
		out = (ZSTD_outBuffer){o->out, o->out_size, 0};
		o->zleft = ZSTD_decompressStream(o->dctx, &out, &in);
		if (ZSTD_isError(o->zleft))
			return xp_err_set(err, XP_EINTEGRITY, "zstd: %s",
			                  ZSTD_getErrorName(o->zleft));
		if (out.pos && (rc = xp_write_all(o->out_fd, o->out, out.pos, err)) != 0)
			return rc;
		*bytes += out.pos;
	}
	return 0;
}

/* Reads, authenticates and inflates chunk number `index` (from 1); *final says it was the last. */
static int open_chunk(struct opener *o, uint64_t index, int *final, uint64_t *bytes,
                      struct xp_err *err)
{
	uint8_t lenbuf[LEN_BYTES];
	unsigned long long plen;
	unsigned char tag;
	uint32_t clen;
	ssize_t n;

	n = xp_read_full(o->in_fd, lenbuf, LEN_BYTES);
	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "read");
	if (n == 0)
		return index == 1 ? xp_err_set(err, XP_EINTEGRITY, "truncated after the header")
		                  : xp_err_set(err, XP_EINTEGRITY, "truncated after chunk %llu",
		                               (unsigned long long)(index - 1));
	if (n < LEN_BYTES)
		return xp_err_set(err, XP_EINTEGRITY, "truncated in chunk %llu",
		                  (unsigned long long)index);
	clen = get32(lenbuf);
	if (clen < ABYTES || clen > o->h.chunk_size + ABYTES)
		return xp_err_set(err, XP_EINTEGRITY, "chunk %llu: bad length %u",
		                  (unsigned long long)index, clen);
	n = xp_read_full(o->in_fd, o->frame, clen);
	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "read");
	if ((size_t)n < clen)
		return xp_err_set(err, XP_EINTEGRITY, "truncated in chunk %llu",
		                  (unsigned long long)index);
	if (crypto_secretstream_xchacha20poly1305_pull(o->ss, o->plain, &plen, &tag, o->frame, clen,
	                                               o->ad, sizeof o->ad) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "chunk %llu fails authentication",
		                  (unsigned long long)index);
	*final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	if (!*final &&
	    (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE || plen != o->h.chunk_size))
		return xp_err_set(err, XP_EINTEGRITY, "chunk %llu: not a full message chunk",
		                  (unsigned long long)index);
	return inflate_chunk(o, (size_t)plen, bytes, err);
}

int xp_seal_open(int in_fd, int out_fd, const struct xp_seal_keys *k, struct xp_seal_info *info,
                 struct xp_err *err)
{
	struct opener o = {.in_fd = in_fd, .out_fd = out_fd};
	uint64_t index = 0, bytes = 0;
	int final = 0, rc;
	uint8_t extra;
	ssize_t n;

	if ((rc = opener_start(&o, k, err)) != 0)
		goto out;
	while (!final)
		if ((rc = open_chunk(&o, ++index, &final, &bytes, err)) != 0)
			goto out;
	if (o.zleft != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "the compressed stream ends early");
		goto out;
	}
	n = xp_read_full(in_fd, &extra, 1);
	if (n < 0)
		rc = xp_err_sys(err, XP_EFAIL, "read");
	else if (n > 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "data after the final chunk");
	if (rc == 0 && info) {
		memset(info, 0, sizeof *info);
		memcpy(info->id, o.h.id_hex, sizeof info->id);
		info->created = o.h.created;
		info->bytes_in = bytes;
		info->chunks = index;
	}
out:
	ZSTD_freeDCtx(o.dctx);
	sodium_free(o.ss);
	sodium_free(o.plain);
	free(o.frame);
	free(o.out);
	return rc;
}

int xp_seal_repo_init(const char *repo, const char *pw, size_t pwlen, const char *signing_key,
                      int strong, int shreddable, struct xp_err *err)
{
	char *path = NULL, *text = NULL;
	int rc;

	rc = xp_keys_init(repo, pw, pwlen, signing_key, strong, err);
	if (rc)
		return rc;
	path = xp_asprintf("%s/config", repo);
	text = xp_asprintf("# xpbackup repository settings (see xpseal(5))\nshreddable %s\n",
	                   shreddable ? "yes" : "no");
	if (!path || !text)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = xp_file_write_atomic(path, text, strlen(text), 0600, err);
	free(path);
	free(text);
	return rc;
}

int xp_seal_repo_shreddable(const char *repo, int *shreddable, struct xp_err *err)
{
	char *path = xp_asprintf("%s/config", repo), *text = NULL, *line, *save = NULL;
	char value[8];
	size_t n = 0;
	int rc;

	*shreddable = 0;
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_file_read(path, 65536, &text, NULL, err);
	if (rc == XP_ENOENT) {
		rc = 0;
		goto out;
	}
	for (line = rc ? NULL : strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (sscanf(line, "shreddable %7s", value) != 1)
			continue; /* comments and settings of later versions */
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			rc = xp_err_set(err, XP_EFAIL, "%s: line %zu: shreddable is yes or no",
			                path, n);
			goto out;
		}
		*shreddable = strcmp(value, "yes") == 0;
	}
out:
	free(path);
	free(text);
	return rc;
}

static void sign_update(void *ctx, const void *buf, size_t n)
{
	xp_sign_update(ctx, buf, n);
}

/* What a backup writes, so the error path can take back whatever already exists. */
struct backup_files {
	struct xp_afile xps;
	char *dir, *sig, *key;
	int sig_done, key_done;
};

static int backup_paths(struct backup_files *f, const char *repo, const char *id)
{
	f->dir = xp_asprintf("%s/data/%.2s", repo, id);
	f->sig = xp_asprintf("%s/%s.xps.minisig", f->dir ? f->dir : "", id);
	f->key = xp_asprintf("%s/keys/shred/%s.key", repo, id);
	return f->dir && f->sig && f->key ? 0 : XP_ENOMEM;
}

/* mkdir -p REPO/TOP/SUB, then syncs REPO and REPO/TOP so that directories made here survive a
 * crash along with the files later renamed into them. */
static int make_dir(const char *repo, const char *top, const char *sub, struct xp_err *err)
{
	char *dir = xp_asprintf("%s/%s/%s", repo, top, sub);
	char *parent = xp_asprintf("%s/%s", repo, top);
	int rc;

	if (!dir || !parent)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else if ((rc = xp_mkdirs(dir, 0700, err)) == 0 && (rc = xp_fsync_dir(parent, err)) == 0)
		rc = xp_fsync_dir(repo, err);
	free(dir);
	free(parent);
	return rc;
}

/* Seals into the temp file, then puts the key file and the signature in place. */
static int backup_write(const char *repo, int in_fd, const struct xp_seal_backup_opts *o,
                        struct xp_seal_params *p, struct backup_files *f, struct xp_seal_info *info,
                        struct xp_err *err)
{
	struct xp_sign_state st;
	char *sigtext = NULL, *xps = NULL, *comment = NULL;
	char sub[3] = {info->id[0], info->id[1], '\0'};
	int rc;

	xps = xp_asprintf("%s/%s.xps", f->dir, info->id);
	comment = xp_asprintf("timestamp:%lld\tfile:%s.xps", (long long)p->created, info->id);
	if (!xps || !comment) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = make_dir(repo, "data", sub, err)) != 0 ||
	    (rc = xp_afile_open(&f->xps, xps, 0600, err)) != 0)
		goto out;
	xp_sign_init(&st);
	p->on_output = sign_update;
	p->on_output_ctx = &st;
	rc = xp_seal_stream(in_fd, f->xps.fd, p, info, err);
	if (rc) {
		xp_err_prefix(err, "%s", xps);
		goto out;
	}
	if (p->flags & XP_SEAL_SHREDDABLE) {
		rc = make_dir(repo, "keys", "shred", err);
		if (rc || (rc = xp_file_write_atomic(f->key, info->shred_key,
		                                     sizeof info->shred_key, 0600, err)) != 0)
			goto out;
		f->key_done = 1;
	}
	if ((rc = xp_sign_final(&st, o->key, comment, &sigtext, err)) != 0 ||
	    (rc = xp_file_write_atomic(f->sig, sigtext, strlen(sigtext), 0600, err)) != 0)
		goto out;
	f->sig_done = 1;
out:
	free(sigtext);
	free(comment);
	free(xps);
	return rc;
}

int xp_seal_backup(const char *repo, int in_fd, const struct xp_seal_backup_opts *o,
                   struct xp_seal_info *info, char **path, struct xp_err *err)
{
	struct backup_files f = {.xps = {.fd = -1}};
	struct xp_seal_params p;
	uint8_t pk[XP_KEYS_PK_LEN], kid[XP_KEYS_ID_LEN];
	char *pub = xp_asprintf("%s/keys/signer.pub", repo), *final = NULL;
	int shreddable = 0, rc;

	*path = NULL;
	if (!pub) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_keys_load_public(repo, pk, kid, err)) != 0 ||
	    (rc = xp_sign_key_matches(o->key, pub, err)) != 0 ||
	    (!o->shreddable && (rc = xp_seal_repo_shreddable(repo, &shreddable, err)) != 0))
		goto out;
	xp_seal_params_init(&p, pk, kid);
	p.flags = o->shreddable || shreddable ? XP_SEAL_SHREDDABLE : 0;
	p.observe = o->observe;
	p.observe_ctx = o->observe_ctx;
	xp_seal_hex(p.id, XP_SEAL_ID_LEN, info->id);
	if (backup_paths(&f, repo, info->id) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = backup_write(repo, in_fd, o, &p, &f, info, err)) != 0 ||
	    (o->accept && (rc = o->accept(o->observe_ctx, err)) != 0))
		goto out;
	final = strdup(f.xps.path);
	if (!final) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	/* Last: the .xps appears only once its signature (and key file) are durable. */
	rc = xp_afile_commit(&f.xps, err);
	if (rc)
		unlink(final); /* renamed but its directory not synced: take it back too */
out:
	xp_afile_abort(&f.xps);
	if (rc && f.sig_done)
		unlink(f.sig);
	if (rc && f.key_done)
		unlink(f.key);
	if (rc == 0)
		*path = final;
	else
		free(final);
	free(pub);
	free(f.dir);
	free(f.sig);
	free(f.key);
	return rc;
}

int xp_seal_locate(const char *repo, const char *id_or_file, char **path, struct xp_err *err)
{
	uint8_t id[XP_SEAL_ID_LEN];
	struct stat st;

	if (xp_seal_parse_id(id_or_file, id) == 0)
		*path = xp_asprintf("%s/data/%.2s/%s.xps", repo, id_or_file, id_or_file);
	else
		*path = strdup(id_or_file);
	if (!*path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (stat(*path, &st) < 0) {
		int rc = errno == ENOENT && xp_seal_parse_id(id_or_file, id) == 0
		                 ? xp_err_set(err, XP_ENOENT, "%s: no such backup", id_or_file)
		                 : xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s",
		                              *path);

		free(*path);
		*path = NULL;
		return rc;
	}
	return 0;
}

int xp_seal_verify(const char *repo, const char *path, struct xp_err *err)
{
	char *sig = xp_asprintf("%s.minisig", path), *pub = xp_asprintf("%s/keys/signer.pub", repo);
	int rc;

	if (!sig || !pub)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = xp_sign_verify_file(path, sig, pub, err);
	free(sig);
	free(pub);
	return rc;
}

int xp_seal_restore(const char *repo, const char *path, const char *pw, size_t pwlen, int out_fd,
                    struct xp_seal_info *info, struct xp_err *err)
{
	uint8_t pk[XP_KEYS_PK_LEN], kid[XP_KEYS_ID_LEN];
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	char *shred = xp_asprintf("%s/keys/shred", repo);
	struct xp_seal_keys k = {.pk = pk, .sk = sk, .key_id = kid, .shred_dir = shred};
	int fd = -1, rc;

	if (!sk || !shred) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_keys_load_public(repo, pk, kid, err)) != 0 ||
	    (rc = xp_keys_unlock(repo, pw, pwlen, sk, err)) != 0)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
		goto out;
	}
	rc = xp_seal_open(fd, out_fd, &k, info, err);
	if (rc)
		xp_err_prefix(err, "%s", path);
out:
	if (fd >= 0)
		close(fd);
	xp_secret_free(sk);
	free(shred);
	return rc;
}
