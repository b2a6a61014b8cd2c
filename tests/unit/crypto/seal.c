/* The sealed-file format: round trips, and every kind of damage refused with its reason. */
#include "config.h"

#include "crypto/seal.h"

#include "../tap.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/encode.h"
#include "base/str.h"
#include "base/os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif
#include <unistd.h>

#include <sodium.h>

/* A seedable generator, so two files can be sealed with the same data key and nonce: it
 * shows that the header bound to every chunk, not the key alone, stops splicing. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 32);
}

static const char *rng_name(void)
{
	return "xorshift (test only)";
}

static void rng_buf(void *const buf, const size_t n)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng_next();
}

static struct randombytes_implementation rng = {
        .implementation_name = rng_name, .random = rng_next, .buf = rng_buf};

static uint8_t pk[32], sk[32], key_id[XP_SEAL_KEYID_LEN] = "repokey1";
static char dir[] = "/tmp/xp-seal-XXXXXX";

struct buf {
	uint8_t *p;
	size_t n;
};

/* A temp file holding n bytes of b, rewound. */
static int file_of(const void *b, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	if (!f)
		abort();
	fd = dup(fileno(f));
	fclose(f);
	if (fd < 0 || (n && write(fd, b, n) != (ssize_t)n) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static struct buf file_contents(int fd)
{
	struct buf b;
	off_t end = lseek(fd, 0, SEEK_END);

	b.n = (size_t)end;
	b.p = malloc(b.n + 1);
	if (!b.p || lseek(fd, 0, SEEK_SET) != 0 || xp_read_full(fd, b.p, b.n) != (ssize_t)b.n)
		abort();
	close(fd);
	return b;
}

static struct xp_seal_params params(uint32_t chunk, uint32_t flags)
{
	struct xp_seal_params p;

	xp_seal_params_init(&p, pk, key_id);
	p.chunk_size = chunk;
	p.flags = flags;
	p.created = 1764000000;
	return p;
}

static int seal(const struct xp_seal_params *p, const void *data, size_t n, struct buf *out,
                struct xp_seal_info *info)
{
	struct xp_err err = {0};
	int in = file_of(data, n), fd = file_of(NULL, 0), rc;

	rc = xp_seal_stream(in, fd, p, info, &err);
	close(in);
	*out = file_contents(fd);
	if (rc)
		printf("# seal: %s\n", err.msg);
	return rc;
}

static int open_keys(const struct buf *b, struct buf *plain, const struct xp_seal_keys *k,
                     struct xp_err *err)
{
	int in = file_of(b->p, b->n), fd = file_of(NULL, 0), rc;

	err->msg[0] = '\0';
	rc = xp_seal_open(in, fd, k, NULL, err);
	close(in);
	if (plain)
		*plain = file_contents(fd);
	else
		close(fd);
	return rc;
}

/* The key files of these tests: DIR/ID.key (the tools read them from the vault, vault.h). */
static int dir_keyfile(void *ctx, const char *id, uint8_t buf[XP_SEAL_SHRED_KEY_LEN],
                       struct xp_err *err)
{
	char *path = xp_asprintf("%s/%s.key", (const char *)ctx, id), *text = NULL;
	size_t len = 0;
	int rc = xp_file_read(path, XP_SEAL_SHRED_KEY_LEN + 1, &text, &len, err);

	if (rc == XP_ENOENT)
		rc = xp_err_set(err, XP_ENOENT, "backup %s has been shredded", id);
	else if (rc == 0 && len != XP_SEAL_SHRED_KEY_LEN)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: %zu bytes", path, len);
	else if (rc == 0)
		memcpy(buf, text, len);
	free(text);
	free(path);
	return rc;
}

static int open_buf(const struct buf *b, struct buf *plain, const uint8_t *secret,
                    struct xp_err *err)
{
	struct xp_seal_keys k = {.pk = pk,
	                         .sk = secret,
	                         .key_id = key_id,
	                         .keyfile = dir_keyfile,
	                         .keyfile_ctx = dir};

	return open_keys(b, plain, &k, err);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)("audit log line\n"[i % 15] + (i / 4096) % 7);
	return p;
}

static void round_trip(const char *what, const uint8_t *data, size_t n, uint32_t chunk)
{
	struct xp_seal_params p = params(chunk, 0);
	struct xp_seal_info info;
	struct xp_err err;
	struct buf sealed, plain = {0};
	uint8_t hash[XP_SEAL_HASH_LEN];
	int rc;

	rc = seal(&p, data, n, &sealed, &info);
	crypto_generichash(hash, sizeof hash, sealed.p, sealed.n, NULL, 0);
	ok(rc == 0 && info.bytes_in == n && info.bytes_out == sealed.n &&
	           memcmp(hash, info.hash, sizeof hash) == 0,
	   "seal %s (%zu bytes, chunk %u): sizes and BLAKE2b-256 reported", what, n, chunk);
	rc = open_buf(&sealed, &plain, sk, &err);
	ok(rc == 0 && plain.n == n && (n == 0 || memcmp(plain.p, data, n) == 0),
	   "open %s (%zu bytes, chunk %u): the exact bytes come back", what, n, chunk);
	if (rc)
		printf("# %s\n", err.msg);
	free(sealed.p);
	free(plain.p);
}

static void round_trips(void)
{
	size_t big = 3u << 20;
	uint8_t *d = pattern(big), *r = malloc(big);
	static const size_t sizes[] = {0, 1, 63, 64, 65, 1000, 64 * 9 + 7};

	randombytes_buf(r, big);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		round_trip("text", d, sizes[i], 64);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		round_trip("random", r, sizes[i], 64);
	round_trip("random", r, XP_SEAL_CHUNK_DEFAULT - 1, XP_SEAL_CHUNK_DEFAULT);
	round_trip("random", r, XP_SEAL_CHUNK_DEFAULT, XP_SEAL_CHUNK_DEFAULT);
	round_trip("random", r, XP_SEAL_CHUNK_DEFAULT + 1, XP_SEAL_CHUNK_DEFAULT);
	round_trip("random", r, big, XP_SEAL_CHUNK_DEFAULT);
	round_trip("random", r, big, 4096);
	round_trip("text", d, big, XP_SEAL_CHUNK_DEFAULT);
	free(d);
	free(r);
}

/* Chunk k (from 1) starts at off[k-1]; off[nchunks] is the file size. */
static size_t chunk_offsets(const struct buf *b, size_t *off, size_t max)
{
	struct xp_seal_header h;
	struct xp_err err;
	size_t pos, n = 0;

	if (xp_seal_parse_header(b->p, b->n, &h, &err) != 0)
		abort();
	for (pos = h.len; pos < b->n && n < max; n++) {
		off[n] = pos;
		pos += 4 + ((size_t)b->p[pos] << 24 | (size_t)b->p[pos + 1] << 16 |
		            (size_t)b->p[pos + 2] << 8 | b->p[pos + 3]);
	}
	off[n] = pos;
	return n;
}

static void damage(void)
{
	size_t n = 1000, off[64], nchunks, bad = 0, first = 0;
	uint8_t *d = pattern(n);
	struct xp_seal_params p = params(64, 0);
	struct xp_seal_info info;
	struct xp_err err;
	struct buf s, t;
	char want[64];
	int rc;

	randombytes_buf(d, n / 2); /* half incompressible, so there are several chunks */
	seal(&p, d, n, &s, &info);
	nchunks = chunk_offsets(&s, off, 63);
	ok(nchunks == info.chunks && nchunks > 5 && off[nchunks] == s.n,
	   "the file is a header and %zu length-prefixed chunks", nchunks);
	for (size_t i = 0; i < off[0]; i++) {
		s.p[i] ^= 0x01;
		rc = open_buf(&s, NULL, sk, &err);
		s.p[i] ^= 0x01;
		ok(rc == XP_EINTEGRITY, "open refuses the file with header byte %zu flipped (%s)",
		   i, err.msg);
	}
	for (size_t i = off[0]; i < s.n; i++) {
		s.p[i] ^= 0x80;
		rc = open_buf(&s, NULL, sk, &err);
		s.p[i] ^= 0x80;
		if (rc != XP_EINTEGRITY && !bad++)
			first = i;
	}
	ok(bad == 0, "open refuses every one of the %zu payload bytes flipped (first miss: %zu)",
	   s.n - off[0], first);
	bad = 0;
	for (size_t len = 0; len < s.n; len++) {
		t = (struct buf){s.p, len};
		if (open_buf(&t, NULL, sk, &err) != XP_EINTEGRITY && !bad++)
			first = len;
	}
	ok(bad == 0, "open refuses the file truncated at each of %zu lengths (first miss: %zu)",
	   s.n, first);
	t = (struct buf){s.p, off[0]};
	rc = open_buf(&t, NULL, sk, &err);
	is_str(err.msg, "truncated after the header", "truncation right after the header is named");
	for (size_t k = 1; k < nchunks; k++) {
		t = (struct buf){s.p, off[k]};
		rc = open_buf(&t, NULL, sk, &err);
		snprintf(want, sizeof want, "truncated after chunk %zu", k);
		ok(rc == XP_EINTEGRITY && strcmp(err.msg, want) == 0,
		   "truncation at the boundary after chunk %zu: \"%s\"", k, err.msg);
	}
	t = (struct buf){s.p, off[3] + 10};
	open_buf(&t, NULL, sk, &err);
	is_str(err.msg, "truncated in chunk 4", "truncation inside a chunk is named");

	/* Appended: a copy of the final chunk, and one stray byte. */
	t.n = s.n + (off[nchunks] - off[nchunks - 1]);
	t.p = malloc(t.n);
	memcpy(t.p, s.p, s.n);
	memcpy(t.p + s.n, s.p + off[nchunks - 1], t.n - s.n);
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "data after the final chunk") == 0,
	   "open refuses a chunk appended after the final one (%s)", err.msg);
	t.n = s.n + 1;
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "data after the final chunk") == 0,
	   "open refuses one byte appended after the final chunk");

	/* Reordered: chunks 2 and 3 swapped (both full, same length). */
	memcpy(t.p, s.p, s.n);
	memcpy(t.p + off[1], s.p + off[2], off[2] - off[1]);
	memcpy(t.p + off[2], s.p + off[1], off[2] - off[1]);
	t.n = s.n;
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "chunk 2 fails authentication") == 0,
	   "open refuses swapped chunks (%s)", err.msg);
	/* Dropped: chunk 2 removed. */
	memcpy(t.p + off[1], s.p + off[2], s.n - off[2]);
	t.n = s.n - (off[2] - off[1]);
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "chunk 2 fails authentication") == 0,
	   "open refuses a file with a chunk left out (%s)", err.msg);
	free(t.p);
	free(s.p);
	free(d);
}

/* Copies src's bytes [from, to) over dst's, on a fresh copy of dst. */
static struct buf spliced(const struct buf *dst, const struct buf *src, size_t from, size_t to)
{
	struct buf b = {malloc(dst->n), dst->n};

	memcpy(b.p, dst->p, dst->n);
	memcpy(b.p + from, src->p + from, to - from);
	return b;
}

/* Files sealed with the same data key and nonce (the generator reseeded): a differs from b
 * in content and header (time), from c in content only. */
static void splicing(void)
{
	size_t n = 2000, off_a[64], off_b[64], na, nb;
	uint8_t *a = malloc(n), *b = malloc(n);
	struct xp_seal_params p = params(64, 0);
	struct xp_seal_info info;
	struct xp_err err;
	struct buf sa, sb, sc, t;
	int rc;

	randombytes_buf(a, n);
	randombytes_buf(b, n);
	rng_state = 42;
	seal(&p, a, n, &sa, &info);
	p.created++;
	rng_state = 42;
	seal(&p, b, n, &sb, &info);
	p.created--;
	rng_state = 42;
	seal(&p, b, n, &sc, &info);
	na = chunk_offsets(&sa, off_a, 63);
	nb = chunk_offsets(&sb, off_b, 63);
	ok(na > 3 && na == nb && memcmp(off_a, off_b, na * sizeof off_a[0]) == 0 &&
	           memcmp(sa.p + 56, sb.p + 56, 104) == 0 && sa.n == sc.n,
	   "three files sealed with the same data key and nonce");
	t = spliced(&sa, &sb, 0, off_a[0]);
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "chunk 1 fails authentication") == 0,
	   "open refuses the header of another file with the same key (%s)", err.msg);
	free(t.p);
	t = spliced(&sa, &sb, off_a[1], off_a[2]);
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "chunk 2 fails authentication") == 0,
	   "open refuses chunk 2 of another file with the same key (%s)", err.msg);
	free(t.p);
	/* Even under an identical header: secretstream folds each chunk's tag into the next
	 * nonce, so a chunk only follows its own predecessor. */
	t = spliced(&sa, &sc, off_a[1], off_a[2]);
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "chunk 2 fails authentication") == 0,
	   "open refuses chunk 2 of a file with the same header and key (%s)", err.msg);
	free(t.p);
	t = spliced(&sa, &sc, off_a[0], off_a[2]);
	rc = open_buf(&t, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "chunk 3 fails authentication") == 0,
	   "open refuses chunks 1-2 of one file followed by chunk 3 of another (%s)", err.msg);
	free(t.p);
	free(sa.p);
	free(sb.p);
	free(sc.p);
	free(a);
	free(b);
}

static void keys(void)
{
	uint8_t *other = sodium_malloc(32), opk[32];
	uint8_t id[XP_SEAL_KEYID_LEN];
	struct xp_seal_params p = params(4096, 0);
	struct xp_seal_keys k = {
	        .pk = pk, .sk = sk, .key_id = id, .keyfile = dir_keyfile, .keyfile_ctx = dir};
	struct xp_seal_info info;
	struct xp_seal_header h;
	struct xp_err err;
	struct buf s;
	int in, rc;

	crypto_box_keypair(opk, other);
	seal(&p, "x", 1, &s, &info);
	rc = open_buf(&s, NULL, other, &err);
	ok(rc == XP_EINTEGRITY &&
	           strcmp(err.msg, "header: the data key does not open with the repository key") ==
	                   0,
	   "open refuses the wrong secret key (%s)", err.msg);
	memcpy(id, key_id, sizeof id);
	id[7] ^= 1;
	in = file_of(s.p, s.n);
	rc = xp_seal_open(in, in, &k, NULL, &err);
	close(in);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, "sealed for another repository key "
	                                          "(7265706f6b657931)") == 0,
	   "open refuses a file of another repository (%s)", err.msg);
	ok(xp_seal_parse_header(s.p, s.n, &h, &err) == 0 && h.created == p.created &&
	           memcmp(h.id, p.id, sizeof h.id) == 0 && strcmp(h.id_hex, info.id) == 0 &&
	           h.chunk_size == 4096 && h.flags == 0 && h.len == 160 &&
	           memcmp(h.key_id, key_id, 8) == 0,
	   "the header reads back: id, time, key id, chunk size, length");
	sodium_free(other);
	free(s.p);
}

static void shreddable(void)
{
	struct xp_seal_params p = params(64, XP_SEAL_SHREDDABLE),
	                      q = params(64, XP_SEAL_SHREDDABLE);
	struct xp_seal_info info, info2;
	struct xp_seal_header h;
	struct xp_err err;
	struct buf s, s2, plain = {0};
	char *path = NULL, *path2 = NULL;
	uint8_t *d = pattern(5000);
	int rc;

	seal(&p, d, 5000, &s, &info);
	seal(&q, d, 10, &s2, &info2);
	ok(xp_seal_parse_header(s.p, s.n, &h, &err) == 0 && h.len == 80 &&
	           h.flags == XP_SEAL_SHREDDABLE,
	   "a shreddable header has no data key (80 bytes)");
	path = xp_asprintf("%s/%s.key", dir, info.id);
	path2 = xp_asprintf("%s/%s.key", dir, info2.id);
	rc = open_buf(&s, NULL, sk, &err);
	ok(rc == XP_ENOENT && strstr(err.msg, "has been shredded"),
	   "without its key file a shreddable backup is unopenable (%s)", err.msg);
	xp_file_write_atomic(path, info2.shred_key, sizeof info2.shred_key, 0600, &err);
	rc = open_buf(&s, NULL, sk, &err);
	ok(rc == XP_EINTEGRITY && strstr(err.msg, "its key file is not one of this backup's"),
	   "open refuses another backup's key file (%s)", err.msg);
	xp_file_write_atomic(path, info.shred_key, sizeof info.shred_key, 0600, &err);
	rc = open_buf(&s, &plain, sk, &err);
	ok(rc == 0 && plain.n == 5000 && memcmp(plain.p, d, 5000) == 0,
	   "with its key file it opens to the exact bytes");
	unlink(path);
	unlink(path2);
	free(path);
	free(path2);
	free(plain.p);
	free(s.p);
	free(s2.p);
	free(d);
}

/* Rewraps b to (npk, nid) with the old keys; the result in out. */
static int rewrap_buf(const struct buf *b, const uint8_t *npk, const uint8_t *nid, struct buf *out,
                      struct xp_seal_info *info, struct xp_err *err)
{
	struct xp_seal_keys k = {
	        .pk = pk, .sk = sk, .key_id = key_id, .keyfile = dir_keyfile, .keyfile_ctx = dir};
	struct xp_seal_rewrap r = {.pk = npk, .key_id = nid};
	int in = file_of(b->p, b->n), fd = file_of(NULL, 0), rc;

	rc = xp_seal_rewrap(in, fd, &k, &r, info, err);
	close(in);
	*out = file_contents(fd);
	return rc;
}

/* A rotation's re-seal: the new key opens the same bytes, the old key opens nothing. */
static void rewrap(void)
{
	uint8_t npk[32], nid[XP_SEAL_KEYID_LEN] = "newkey01", *nsk = sodium_malloc(32);
	struct xp_seal_params p = params(64, 0), q = params(64, XP_SEAL_SHREDDABLE);
	struct xp_seal_keys nk = {
	        .pk = npk, .sk = nsk, .key_id = nid, .keyfile = dir_keyfile, .keyfile_ctx = dir};
	struct xp_seal_keys old = {
	        .pk = npk, .sk = sk, .key_id = nid, .keyfile = dir_keyfile, .keyfile_ctx = dir};
	struct xp_seal_info info, winfo;
	struct xp_seal_header h;
	struct xp_err err;
	struct buf s, w, plain = {0};
	uint8_t *d = malloc(5000), hash[XP_SEAL_HASH_LEN];
	char *path, last[64];
	int rc;

	crypto_box_keypair(npk, nsk);
	randombytes_buf(d, 5000); /* incompressible: many chunks */
	seal(&p, d, 5000, &s, &info);
	rc = rewrap_buf(&s, npk, nid, &w, &winfo, &err);
	crypto_generichash(hash, sizeof hash, w.p, w.n, NULL, 0);
	ok(rc == 0 && w.n == s.n && winfo.bytes_out == w.n && winfo.chunks == info.chunks &&
	           info.chunks > 70 && memcmp(winfo.hash, hash, sizeof hash) == 0 &&
	           strcmp(winfo.id, info.id) == 0,
	   "rewrap keeps id and size and hashes what it wrote (%s)", rc ? err.msg : "");
	ok(xp_seal_parse_header(w.p, w.n, &h, &err) == 0 && memcmp(h.key_id, nid, 8) == 0 &&
	           h.created == p.created,
	   "the new header names the new key");
	rc = open_keys(&w, &plain, &nk, &err);
	ok(rc == 0 && plain.n == 5000 && memcmp(plain.p, d, 5000) == 0,
	   "the new key opens it to the exact bytes");
	free(plain.p);
	rc = open_keys(&w, NULL, &old, &err);
	ok(rc == XP_EINTEGRITY &&
	           strcmp(err.msg, "header: the data key does not open with the repository key") ==
	                   0,
	   "the old secret key does not open its data key (%s)", err.msg);
	free(w.p);
	snprintf(last, sizeof last, "chunk %llu fails authentication",
	         (unsigned long long)info.chunks);
	s.p[s.n - 30] ^= 1;
	rc = rewrap_buf(&s, npk, nid, &w, &winfo, &err);
	ok(rc == XP_EINTEGRITY && strcmp(err.msg, last) == 0, "rewrap refuses a damaged chunk (%s)",
	   err.msg);
	free(w.p);
	free(s.p);
	seal(&q, d, 5000, &s, &info);
	path = xp_asprintf("%s/%s.key", dir, info.id);
	xp_file_write_atomic(path, info.shred_key, sizeof info.shred_key, 0600, &err);
	rc = rewrap_buf(&s, npk, nid, &w, &winfo, &err);
	ok(rc == 0 && w.n == s.n && memcmp(winfo.shred_key + 24, nid, 8) == 0,
	   "a shreddable backup gets a new key file naming the new key");
	xp_file_write_atomic(path, winfo.shred_key, sizeof winfo.shred_key, 0600, &err);
	rc = open_keys(&w, &plain, &nk, &err);
	ok(rc == 0 && plain.n == 5000 && memcmp(plain.p, d, 5000) == 0,
	   "which opens it with the new key");
	rc = open_keys(&w, NULL, &old, &err);
	ok(rc == XP_EINTEGRITY && strstr(err.msg, "does not open with the repository key"),
	   "and not with the old one (%s)", err.msg);
	unlink(path);
	free(path);
	free(plain.p);
	free(w.p);
	free(s.p);
	free(d);
	sodium_free(nsk);
}

struct count {
	uint64_t n;
	crypto_generichash_state h;
};

static void count_observe(void *ctx, const void *b, size_t n)
{
	struct count *c = ctx;

	c->n += n;
	crypto_generichash_update(&c->h, b, n);
}

static void observers(void)
{
	size_t n = 3000000;
	uint8_t *d = pattern(n), want[32], got[32], out_hash[32];
	struct xp_seal_params p = params(XP_SEAL_CHUNK_DEFAULT, 0);
	struct count in = {0}, out = {0};
	struct xp_seal_info info;
	struct buf s;
	long cpus = xp_os_ncpu();

	crypto_generichash_init(&in.h, NULL, 0, 32);
	crypto_generichash_init(&out.h, NULL, 0, 32);
	p.observe = count_observe;
	p.observe_ctx = &in;
	p.on_output = count_observe;
	p.on_output_ctx = &out;
	seal(&p, d, n, &s, &info);
	crypto_generichash(want, 32, d, n, NULL, 0);
	crypto_generichash_final(&in.h, got, 32);
	crypto_generichash_final(&out.h, out_hash, 32);
	ok(in.n == n && memcmp(want, got, 32) == 0, "observe sees every plaintext byte, in order");
	ok(out.n == s.n && memcmp(out_hash, info.hash, 32) == 0,
	   "on_output sees every sealed byte, in order");
	is_int(info.workers, cpus, "zstd runs one worker per online CPU");
	free(s.p);
	free(d);
}

/* From a pipe, written in pieces by another process: the same bytes, one worker fewer. */
static void piped(void)
{
#ifdef _WIN32
	printf("# no fork here: the pipe's writer is checked on POSIX\n");
#else
	size_t n = 5000000;
	uint8_t *d = pattern(n);
	struct xp_seal_params p = params(XP_SEAL_CHUNK_DEFAULT, 0);
	struct xp_seal_info info;
	struct xp_err err = {0};
	struct buf s, plain = {0};
	long cpus = xp_os_ncpu();
	int fds[2], out = file_of(NULL, 0), rc;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		ok(0, "pipe and fork");
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		for (size_t i = 0; i < n; i += 70000) {
			if (write(fds[1], d + i, n - i < 70000 ? n - i : 70000) < 0)
				_exit(1);
			usleep(100);
		}
		_exit(0);
	}
	close(fds[1]);
	rc = xp_seal_stream(fds[0], out, &p, &info, &err);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	s = file_contents(out);
	ok(rc == 0 && open_buf(&s, &plain, sk, &err) == 0 && plain.n == n &&
	           memcmp(plain.p, d, n) == 0,
	   "a pipe written in pieces seals to the same bytes (%s)", err.msg);
	is_int(info.workers, cpus > 1 ? cpus - 1 : cpus,
	       "from a pipe zstd runs one worker fewer than the CPUs: its writer takes one");
	free(plain.p);
	free(s.p);
	free(d);
#endif
}

static void headers(void)
{
	struct xp_seal_params p = params(4096, 0);
	struct xp_seal_info info;
	struct xp_seal_header h;
	struct xp_err err;
	struct buf s;
	char *path = xp_asprintf("%s/h.xps", dir);
	int rc;

	p.workers = 0;
	seal(&p, "abc", 3, &s, &info);
	is_int(info.workers, 0, "workers 0: compressed in the calling thread");
	xp_file_write_atomic(path, s.p, s.n, 0600, &err);
	rc = xp_seal_read_header(path, &h, &err);
	ok(rc == 0 && strcmp(h.id_hex, info.id) == 0 && h.created == p.created && h.len == 160,
	   "read_header reads a file's header without a key");
	xp_file_write_atomic(path, s.p, 100, 0600, &err);
	rc = xp_seal_read_header(path, &h, &err);
	ok(rc == XP_EINTEGRITY && strstr(err.msg, "h.xps: truncated in the header"),
	   "read_header names a short header (%s)", err.msg);
	unlink(path);
	rc = xp_seal_read_header(path, &h, &err);
	is_int(rc, XP_ENOENT, "read_header of a missing file is XP_ENOENT");
	free(path);
	free(s.p);
}

static void ids(void)
{
	uint8_t id[XP_SEAL_ID_LEN], back[XP_SEAL_ID_LEN];
	char hex[XP_SEAL_ID_HEX];

	xp_seal_new_id(id);
	xp_hex(id, sizeof id, hex);
	ok(strlen(hex) == 2 * XP_SEAL_ID_LEN && strspn(hex, "0123456789abcdef") == strlen(hex) &&
	           xp_unhex(hex, back, sizeof back) == 0 && memcmp(id, back, sizeof id) == 0,
	   "a backup id round-trips through hex");
}

int main(void)
{
	if (randombytes_set_implementation(&rng) != 0 || sodium_init() < 0 || !xp_os_mkdtemp(dir)) {
		ok(0, "setup");
		return done_testing();
	}
	crypto_box_keypair(pk, sk);
	ids();
	round_trips();
	damage();
	splicing();
	keys();
	headers();
	shreddable();
	rewrap();
	observers();
	piped();
	rmdir(dir);
	return done_testing();
}
