/* The sealed-file format: see seal.h and xpseal(5) for the byte layout. */
#include "config.h"

#include "crypto/seal-int.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/time.h"
#include "base/io.h"
#include "base/encode.h"
#include "base/os.h"

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

#define FRAMES 4 /* sealed chunks queued for the writer thread */
/* Written bytes handed to the disk at a time: the commit's fsync then waits for the last
 * few, not for the whole file. */
#define WRITEBACK (8u << 20)

void xp_seal_new_id(uint8_t id[XP_SEAL_ID_LEN])
{
	randombytes_buf(id, XP_SEAL_ID_LEN);
}

int xp_seal_level_parse(const char *s, int *level, struct xp_err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < ZSTD_minCLevel() || v > ZSTD_maxCLevel())
		return xp_err_set(err, XP_EUSAGE, "--level %s: not a zstd level (%d to %d)", s,
		                  ZSTD_minCLevel(), ZSTD_maxCLevel());
	*level = (int)v;
	return 0;
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

size_t xp_seal_header_write(const struct xp_seal_header *h, uint8_t *buf)
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
	xp_hex(h->id, XP_SEAL_ID_LEN, h->id_hex);
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

	rc = xp_open_regular(path, O_RDONLY, &fd, err);
	if (rc)
		return rc;
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
	uint64_t synced; /* bytes_out handed to the disk (WRITEBACK) */
	int piped;       /* the input is a pipe or socket, not a file */
	uint8_t ad[32];  /* BLAKE2b-256 of the header: the AD of every chunk */
	uint8_t *in;     /* READ_SIZE plaintext */
	uint8_t *plain;  /* chunk_size compressed bytes, the next chunk's plaintext */
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
#ifdef SYNC_FILE_RANGE_WRITE
	/* starts the writeback without waiting; a pipe or a file system without it says no,
	 * which changes nothing */
	if (s->info->bytes_out - s->synced >= WRITEBACK) {
		(void)sync_file_range(s->out_fd, (off64_t)s->synced,
		                      (off64_t)(s->info->bytes_out - s->synced),
		                      SYNC_FILE_RANGE_WRITE);
		s->synced = s->info->bytes_out;
	}
#endif
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
	s->info->level = p->level ? p->level : 3;
	r = ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, s->info->level);
	if (ZSTD_isError(r))
		return zstd_err(err, r, "level");
	if (workers < 0) {
		workers = xp_os_ncpu();
		/* a pipe's writer (xpdump, and the database behind it) keeps a core busy: a
		 * worker more would only take turns with it */
		if (s->piped && workers > 1)
			workers--;
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
	len = xp_seal_header_write(&h, buf);
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
	struct stat st;
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	ssize_t n;
	int rc;

	memset(info, 0, sizeof *info);
	s.piped = fstat(in_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	if (p->chunk_size < XP_SEAL_CHUNK_MIN || p->chunk_size > XP_SEAL_CHUNK_MAX) {
		rc = xp_err_set(err, XP_EUSAGE, "chunk size %u out of range", p->chunk_size);
		goto out;
	}
	xp_hex(p->id, XP_SEAL_ID_LEN, info->id);
	info->created = p->created;
	key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	if (!key || crypto_generichash_init(&s.hash, NULL, 0, XP_SEAL_HASH_LEN) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sealer_setup(&s, err)) != 0 || (rc = seal_header(&s, key, err)) != 0 ||
	    (rc = writer_start(&s, err)) != 0)
		goto out;
	xp_pipe_grow(in_fd);
	out = (ZSTD_outBuffer){s.plain, p->chunk_size, 0};
	for (;;) {
		/* what the pipe holds now goes to zstd now: waiting for READ_SIZE bytes would
		 * leave the workers idle while the dump fills it */
		n = read(in_fd, s.in, READ_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
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
