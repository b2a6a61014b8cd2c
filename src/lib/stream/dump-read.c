#include "config.h"

#include "stream/dump-int.h"
#include "base/err.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The reader, which checks a dump stream as it hands out its rows, and the tap, which
 * watches a stream go by without changing it. */

struct xp_dump_reader {
	struct archive *a;
	struct xp_manifest m;      /* MANIFEST, then SUMMARY into its tables */
	struct xp_dump_table seen; /* what was read of the current table */
	struct xp_dump_table *got; /* what was read of each finished table */
	int started, done;
	crypto_generichash_state h;
	struct xp_csv_dec dec;
	size_t cur;       /* current table, m.ntables before the first */
	int peeked;       /* an entry header was read and not yet used */
	const char *name; /* its name (libarchive's memory) */
	int64_t size;     /* its size */
	int in_chunk;     /* reading the body of a chunk of the current table */
	int header_due;   /* the chunk's header row comes next */
	const char *blk;  /* the data block being decoded */
	size_t blen, boff;
	struct archive_entry *e;
	int fd;
	char *raw;               /* the input as libarchive reads it */
	struct xp_dump_tap *tap; /* sees it too: libarchive ends at SUMMARY without end blocks */
	int rerrno;              /* errno of a failed read */
};

#define RAW_SIZE (64 * 1024)

/* 1 when the tap has seen the end blocks, -1 when it has given up on the stream, else 0. */
static int tap_ended(const struct xp_dump_tap *tap);
/* 1 when bytes other than zeros followed the end blocks. */
static int tap_trailing(const struct xp_dump_tap *tap);

static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
	struct xp_dump_reader *r = arg;
	ssize_t n;

	do
		n = read(r->fd, r->raw, RAW_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->rerrno = errno;
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	xp_dump_tap_feed(r->tap, r->raw, (size_t)n);
	*buf = r->raw;
	return n;
}

/* libarchive's failure: the stream's (integrity), or the input's when read(2) failed (I/O,
 * never reported as damage). */
static int rd_err(struct xp_dump_reader *r, struct xp_err *err, const char *what)
{
	const char *msg = archive_error_string(r->a);

	return xp_err_set(err, r->rerrno ? XP_EFAIL : XP_EINTEGRITY, "%s: %s", what,
	                  msg ? msg : "truncated");
}

/* Reads the next entry header; 0 and peeked set, or 0 with peeked clear at the end. */
static int peek(struct xp_dump_reader *r, struct xp_err *err)
{
	int a;

	if (r->peeked)
		return 0;
	a = archive_read_next_header(r->a, &r->e);
	if (a == ARCHIVE_EOF)
		return 0;
	if (a != ARCHIVE_OK && a != ARCHIVE_WARN)
		return rd_err(r, err, "dump stream truncated or damaged");
	if (archive_entry_filetype(r->e) != AE_IFREG)
		return xp_err_set(err, XP_EINTEGRITY, "dump stream: %s: not a regular file",
		                  archive_entry_pathname(r->e));
	r->name = archive_entry_pathname(r->e);
	r->size = archive_entry_size(r->e);
	r->peeked = 1;
	if (!r->name)
		return xp_err_set(err, XP_EINTEGRITY, "dump stream: entry without a name");
	return 0;
}

/* Reads the whole (small) body of the peeked entry. */
static int slurp(struct xp_dump_reader *r, char **out, size_t *len, struct xp_err *err)
{
	char *buf;
	la_ssize_t n;

	*out = NULL;
	if (r->size < 0 || r->size > (int64_t)XP_DUMP_META_MAX)
		return xp_err_set(err, XP_EINTEGRITY, "%s: larger than %u bytes", r->name,
		                  XP_DUMP_META_MAX);
	buf = malloc((size_t)r->size + 1);
	if (!buf)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	n = archive_read_data(r->a, buf, (size_t)r->size);
	r->peeked = 0;
	if (n != (la_ssize_t)r->size) {
		free(buf);
		return n < 0 ? rd_err(r, err, "dump stream truncated")
		             : xp_err_set(err, XP_EINTEGRITY, "dump stream truncated");
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int xp_dump_reader_open(struct xp_dump_reader **out, int fd, struct xp_err *err)
{
	struct xp_dump_reader *r = calloc(1, sizeof *r);
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (!r || sodium_init() < 0 || !(r->a = archive_read_new()) ||
	    !(r->raw = malloc(RAW_SIZE)) || !(r->tap = xp_dump_tap_new())) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	r->fd = fd;
	xp_csv_dec_init(&r->dec, 0);
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_open2(r->a, r, NULL, read_cb, NULL, NULL) != ARCHIVE_OK) {
		rc = rd_err(r, err, "dump stream");
		goto out;
	}
	rc = peek(r, err);
	if (rc)
		goto out;
	if (!r->peeked) {
		rc = xp_err_set(err, XP_EINTEGRITY, "dump stream: empty");
		goto out;
	}
	if (strcmp(r->name, "MANIFEST") != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "dump stream: starts with %s, not MANIFEST",
		                r->name);
		goto out;
	}
	rc = slurp(r, &text, &len, err);
	if (!rc)
		rc = xp_manifest_parse(text, len, &r->m, err);
	if (!rc && !(r->got = calloc(r->m.ntables, sizeof *r->got)))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
out:
	free(text);
	if (rc) {
		xp_dump_reader_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

const struct xp_manifest *xp_dump_reader_manifest(const struct xp_dump_reader *r)
{
	return &r->m;
}

/* Opens the next chunk of the current table if the peeked entry is one: 1 if so. */
static int next_chunk(struct xp_dump_reader *r, struct xp_err *err)
{
	const char *tn = r->m.tables[r->cur].name;
	size_t tl = strlen(tn);
	char want[16];
	int rc;

	rc = peek(r, err);
	if (rc)
		return rc;
	if (!r->peeked || strncmp(r->name, tn, tl) != 0 || r->name[tl] != '/')
		return 0;
	snprintf(want, sizeof want, "%06" PRIu32 ".csv", r->seen.chunks + 1);
	if (strcmp(r->name + tl + 1, want) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "dump stream: %s where %s/%s was due",
		                  r->name, tn, want);
	r->peeked = 0;
	r->in_chunk = 1;
	r->header_due = 1;
	r->seen.chunks++;
	xp_csv_dec_reset(&r->dec);
	return 1;
}

static int check_header(struct xp_dump_reader *r, const struct xp_field *f, size_t n,
                        struct xp_err *err)
{
	const struct xp_dump_table *t = &r->m.tables[r->cur];

	if (n != t->ncols)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (f[i].null || f[i].len != strlen(t->cols[i].name) ||
		    memcmp(f[i].p, t->cols[i].name, f[i].len) != 0)
			goto bad;
	return 0;
bad:
	return xp_err_set(err, XP_EINTEGRITY,
	                  "%s/%06" PRIu32 ".csv: header does not match MANIFEST", t->name,
	                  r->seen.chunks);
}

int xp_dump_reader_next_row(struct xp_dump_reader *r, const struct xp_field **row,
                            struct xp_err *err)
{
	const struct xp_dump_table *t;
	size_t n = 0, used;
	int rc;

	if (!r->started || r->done || r->cur >= r->m.ntables)
		return 0;
	t = &r->m.tables[r->cur];
	for (;;) {
		if (!r->in_chunk) {
			rc = next_chunk(r, err);
			if (rc <= 0)
				return rc;
		}
		if (r->boff < r->blen) {
			rc = xp_csv_dec_feed(&r->dec, r->blk + r->boff, r->blen - r->boff, &used,
			                     row, &n, err);
			r->boff += used;
		} else {
			const void *b;
			size_t len;
			la_int64_t off;
			int a = archive_read_data_block(r->a, &b, &len, &off);

			if (a == ARCHIVE_EOF) {
				r->in_chunk = 0;
				rc = xp_csv_dec_end(&r->dec, row, &n, err);
				if (rc > 0)
					rc = xp_err_set(err, XP_EINTEGRITY,
					                "%s/%06" PRIu32
					                ".csv: last row has no line end",
					                t->name, r->seen.chunks);
				if (rc < 0)
					return rc;
				continue;
			}
			if (a != ARCHIVE_OK && a != ARCHIVE_WARN)
				return rd_err(r, err, "dump stream truncated or damaged");
			crypto_generichash_update(&r->h, b, len);
			r->seen.bytes += len;
			r->blk = b;
			r->blen = len;
			r->boff = 0;
			continue;
		}
		if (rc < 0) {
			xp_err_prefix(err, "%s/%06" PRIu32 ".csv", t->name, r->seen.chunks);
			return rc;
		}
		if (rc == 0)
			continue;
		if (r->header_due) {
			r->header_due = 0;
			rc = check_header(r, *row, n, err);
			if (rc)
				return rc;
			continue;
		}
		if (n != t->ncols)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "%s/%06" PRIu32 ".csv: a row has %zu fields, not %zu",
			                  t->name, r->seen.chunks, n, t->ncols);
		r->seen.rows++;
		if (xp_dump_row_time(&r->seen, *row))
			return xp_err_set(err, XP_EINTEGRITY, "%s: row %" PRIu64 ": bad time",
			                  t->name, r->seen.rows);
		return 1;
	}
}

/* Compares what was read of table i with SUMMARY. */
static int check_table(struct xp_dump_reader *r, size_t i, struct xp_err *err)
{
	const struct xp_dump_table *t = &r->m.tables[i], *s = &r->got[i];

	if (t->rows != s->rows || t->bytes != s->bytes || t->chunks != s->chunks)
		return xp_err_set(
		        err, XP_EINTEGRITY,
		        "table %s: SUMMARY says %" PRIu64 " rows, %" PRIu64 " bytes, %" PRIu32
		        " chunks; the stream has %" PRIu64 ", %" PRIu64 ", %" PRIu32,
		        t->name, t->rows, t->bytes, t->chunks, s->rows, s->bytes, s->chunks);
	if (sodium_memcmp(t->blake2b, s->blake2b, sizeof t->blake2b) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "table %s: BLAKE2b does not match SUMMARY",
		                  t->name);
	if (t->has_time != s->has_time ||
	    (t->has_time && (t->tmin != s->tmin || t->tmax != s->tmax)))
		return xp_err_set(err, XP_EINTEGRITY, "table %s: time range does not match SUMMARY",
		                  t->name);
	return 0;
}

/* After the last table: SUMMARY, then the end of the archive. */
static int finish(struct xp_dump_reader *r, struct xp_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = peek(r, err);
	if (rc)
		return rc;
	if (!r->peeked)
		return xp_err_set(err, XP_EINTEGRITY, "dump stream truncated: no SUMMARY");
	if (strcmp(r->name, "SUMMARY") != 0)
		return xp_err_set(err, XP_EINTEGRITY, "dump stream: unexpected entry %s", r->name);
	rc = slurp(r, &text, &len, err);
	if (!rc)
		rc = xp_summary_parse(text, len, &r->m, err);
	free(text);
	if (!rc)
		rc = peek(r, err);
	if (!rc && r->peeked)
		rc = xp_err_set(err, XP_EINTEGRITY, "dump stream: %s after SUMMARY", r->name);
	/* the rest of the input (the end blocks and the record's padding) goes by the tap,
	 * which knows whether the two end blocks came, and on to its end: the input holds one
	 * stream, and a second one concatenated after it would otherwise be dropped unread */
	while (!rc && tap_ended(r->tap) >= 0) {
		const void *b;
		la_ssize_t n = read_cb(r->a, r, &b);

		if (n < 0)
			rc = xp_err_set(err, XP_EFAIL, "dump stream: read: %s",
			                strerror(r->rerrno));
		else if (n == 0 && tap_ended(r->tap) == 0)
			rc = xp_err_set(err, XP_EINTEGRITY,
			                "dump stream truncated: no end-of-archive after SUMMARY");
		else if (n == 0)
			break;
	}
	if (!rc && tap_trailing(r->tap))
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "dump stream: data after its end of archive (one stream is read "
		                "at a time)");
	else if (!rc && tap_ended(r->tap) < 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "dump stream: damaged tar structure");
	return rc;
}

int xp_dump_reader_next_table(struct xp_dump_reader *r, size_t *t, struct xp_err *err)
{
	const struct xp_field *row;
	int rc;

	if (r->done)
		return 0;
	if (r->started) { /* read (and check) the rest of the current table */
		while ((rc = xp_dump_reader_next_row(r, &row, err)) == 1)
			;
		if (rc)
			return rc;
		crypto_generichash_final(&r->h, r->seen.blake2b, sizeof r->seen.blake2b);
		r->got[r->cur] = r->seen;
		r->cur++;
	} else {
		r->started = 1;
		r->cur = 0;
	}
	if (r->cur == r->m.ntables) {
		rc = finish(r, err);
		for (size_t i = 0; !rc && i < r->m.ntables; i++)
			rc = check_table(r, i, err);
		r->done = rc == 0;
		return rc;
	}
	memset(&r->seen, 0, sizeof r->seen);
	r->seen.time_col = r->m.tables[r->cur].time_col;
	r->seen.cols = r->m.tables[r->cur].cols;
	crypto_generichash_init(&r->h, NULL, 0, sizeof r->seen.blake2b);
	rc = next_chunk(r, err);
	if (rc == 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "dump stream: no chunk of table %s",
		                r->m.tables[r->cur].name);
	if (rc < 0)
		return rc;
	*t = r->cur;
	return 1;
}

void xp_dump_reader_free(struct xp_dump_reader *r)
{
	if (!r)
		return;
	if (r->a)
		archive_read_free(r->a);
	xp_manifest_free(&r->m);
	xp_csv_dec_free(&r->dec);
	xp_dump_tap_free(r->tap);
	free(r->raw);
	free(r->got);
	free(r);
}

enum { TAP_HEADER, TAP_BODY, TAP_END, TAP_DEAD };
enum { CAP_NONE, CAP_PAX, CAP_MANIFEST, CAP_SUMMARY };

struct xp_dump_tap {
	int state;
	unsigned char hdr[512];
	size_t hlen;
	uint64_t body; /* bytes of the entry body still to come */
	uint64_t pad;  /* then padding to the 512-byte boundary */
	int cap;       /* what the body is captured as */
	char *buf;     /* the captured body (owned) */
	size_t blen;
	char *manifest, *summary; /* owned */
	size_t mlen, slen;
	char *pax_path; /* from a pax 'x' header, for the next entry (owned) */
	int64_t pax_size;
	unsigned long entries;
	int zeros; /* zero blocks seen after SUMMARY: the end of archive is two */
	/* the chunks between MANIFEST and SUMMARY, as their headers declare them, which SUMMARY
	 * must count: a chunk left out or cut short is no complete dump */
	uint64_t chunks, chunk_bytes;
	int trailing;  /* bytes other than zeros after the end of archive: a second stream? */
	char why[160]; /* why the last xp_dump_tap_result was 0 */
};

static int tap_ended(const struct xp_dump_tap *tap)
{
	return tap->state == TAP_END ? 1 : tap->state == TAP_DEAD ? -1 : 0;
}

static int tap_trailing(const struct xp_dump_tap *tap)
{
	return tap->trailing;
}

struct xp_dump_tap *xp_dump_tap_new(void)
{
	struct xp_dump_tap *tap = calloc(1, sizeof *tap);

	if (tap)
		tap->pax_size = -1;
	return tap;
}

void xp_dump_tap_free(struct xp_dump_tap *tap)
{
	if (!tap)
		return;
	free(tap->buf);
	free(tap->manifest);
	free(tap->summary);
	free(tap->pax_path);
	free(tap);
}

static int64_t octal(const unsigned char *p, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	if (p[0] & 0x80) /* base-256, as GNU and libarchive write large sizes */
		return -1;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v > (INT64_MAX >> 3))
			return -1;
		v = v * 8 + (p[i] - '0');
	}
	if (i < n && p[i] != ' ' && p[i] != '\0')
		return -1;
	return v;
}

/* Reads the records "LEN key=value\n" of a pax extended header for path and size. */
static int pax_parse(struct xp_dump_tap *tap, const char *b, size_t n)
{
	while (n) {
		char *e;
		unsigned long len = strtoul(b, &e, 10);
		const char *kv, *eq;

		if (e == b || *e != ' ' || len <= (size_t)(e - b) + 1 || len > n ||
		    b[len - 1] != '\n')
			return -1;
		kv = e + 1;
		eq = memchr(kv, '=', (size_t)(b + len - 1 - kv));
		if (!eq)
			return -1;
		if ((size_t)(eq - kv) == 4 && memcmp(kv, "path", 4) == 0) {
			free(tap->pax_path);
			tap->pax_path = xp_dump_text_copy(eq + 1, (size_t)(b + len - 1 - (eq + 1)));
			if (!tap->pax_path)
				return -1;
		} else if ((size_t)(eq - kv) == 4 && memcmp(kv, "size", 4) == 0) {
			char *se;

			tap->pax_size = strtoll(eq + 1, &se, 10);
			if (se != b + len - 1 || tap->pax_size < 0)
				return -1;
		}
		b += len;
		n -= len;
	}
	return 0;
}

/* A complete 512-byte header block: decide what its entry is. */
static int tap_header(struct xp_dump_tap *tap)
{
	const unsigned char *h = tap->hdr;
	char name[256 + 2];
	unsigned sum = 0;
	int64_t size, chk;
	int zero = 1;

	for (size_t i = 0; i < 512 && zero; i++)
		zero = h[i] == 0;
	if (zero) /* end of archive: complete only if SUMMARY came last, then two zero blocks */
		return !tap->summary ? TAP_DEAD : ++tap->zeros == 2 ? TAP_END : TAP_HEADER;
	if (tap->zeros)
		return TAP_DEAD;
	for (size_t i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	chk = octal(h + 148, 8);
	if (chk != (int64_t)sum || memcmp(h + 257, "ustar", 5) != 0)
		return TAP_DEAD;
	size = octal(h + 124, 12);
	if (size < 0)
		return TAP_DEAD;
	tap->cap = CAP_NONE;
	if (h[156] == 'x') {
		if (size > 65536)
			return TAP_DEAD;
		tap->cap = CAP_PAX;
	} else if (h[156] == '0' || h[156] == '\0') {
		if (tap->pax_size >= 0)
			size = tap->pax_size;
		if (tap->pax_path) {
			snprintf(name, sizeof name, "%.256s", tap->pax_path);
		} else if (h[345]) {
			snprintf(name, sizeof name, "%.155s/%.100s", (const char *)h + 345,
			         (const char *)h);
		} else {
			snprintf(name, sizeof name, "%.100s", (const char *)h);
		}
		free(tap->pax_path);
		tap->pax_path = NULL;
		tap->pax_size = -1;
		tap->entries++;
		if (tap->summary) /* nothing may follow SUMMARY */
			return TAP_DEAD;
		if (tap->entries == 1) {
			if (strcmp(name, "MANIFEST") != 0)
				return TAP_DEAD;
			tap->cap = CAP_MANIFEST;
		} else if (strcmp(name, "SUMMARY") == 0) {
			tap->cap = CAP_SUMMARY;
		} else {
			tap->chunks++;
			tap->chunk_bytes += (uint64_t)size;
		}
		if (tap->cap != CAP_NONE && size > (int64_t)XP_DUMP_META_MAX)
			return TAP_DEAD;
	} else if (h[156] != 'g') {
		return TAP_DEAD; /* the dump writer makes only files */
	}
	tap->body = (uint64_t)size;
	tap->pad = (512 - (uint64_t)size % 512) % 512;
	tap->blen = 0;
	if (tap->cap != CAP_NONE) {
		free(tap->buf);
		tap->buf = malloc((size_t)size + 1);
		if (!tap->buf)
			return TAP_DEAD;
	}
	return TAP_BODY;
}

/* The body of an entry is complete. */
static int tap_body_end(struct xp_dump_tap *tap)
{
	switch (tap->cap) {
	case CAP_PAX:
		if (pax_parse(tap, tap->buf, tap->blen))
			return TAP_DEAD;
		break;
	case CAP_MANIFEST:
		tap->manifest = tap->buf;
		tap->mlen = tap->blen;
		tap->buf = NULL;
		break;
	case CAP_SUMMARY:
		tap->summary = tap->buf;
		tap->slen = tap->blen;
		tap->buf = NULL;
		break;
	}
	tap->cap = CAP_NONE;
	return TAP_HEADER;
}

void xp_dump_tap_feed(struct xp_dump_tap *tap, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n && tap->state != TAP_DEAD && tap->state != TAP_END) {
		if (tap->state == TAP_HEADER) {
			size_t k = 512 - tap->hlen < n ? 512 - tap->hlen : n;

			memcpy(tap->hdr + tap->hlen, p, k);
			tap->hlen += k;
			p += k;
			n -= k;
			if (tap->hlen == 512) {
				tap->hlen = 0;
				tap->state = tap_header(tap);
				if (tap->state == TAP_BODY && tap->body + tap->pad == 0)
					tap->state = tap_body_end(tap);
			}
			continue;
		}
		if (tap->body) { /* body bytes: kept only for the small entries */
			size_t k = tap->body < n ? (size_t)tap->body : n;

			if (tap->cap != CAP_NONE) {
				memcpy(tap->buf + tap->blen, p, k);
				tap->blen += k;
			}
			tap->body -= k;
			p += k;
			n -= k;
		} else {
			size_t k = tap->pad < n ? (size_t)tap->pad : n;

			tap->pad -= k;
			p += k;
			n -= k;
		}
		if (tap->body == 0 && tap->pad == 0)
			tap->state = tap_body_end(tap);
	}
	/* after the end only the record's zero padding may come: anything else would be lost
	 * by every reader, which stops at the end */
	for (; n && tap->state == TAP_END; p++, n--) {
		if (*p) {
			tap->trailing = 1;
			tap->state = TAP_DEAD;
		}
	}
}

/* 1 when the chunks seen are the ones SUMMARY counts, else 0 with tap->why set. */
static int tap_counted(struct xp_dump_tap *tap, const struct xp_manifest *m)
{
	uint64_t chunks = 0, bytes = 0;

	for (size_t i = 0; i < m->ntables; i++) {
		chunks += m->tables[i].chunks;
		bytes += m->tables[i].bytes;
	}
	if (chunks == tap->chunks && bytes == tap->chunk_bytes)
		return 1;
	snprintf(tap->why, sizeof tap->why,
	         "SUMMARY counts %" PRIu64 " chunks of %" PRIu64 " bytes, the stream has %" PRIu64
	         " of %" PRIu64,
	         chunks, bytes, tap->chunks, tap->chunk_bytes);
	return 0;
}

int xp_dump_tap_result(struct xp_dump_tap *tap, struct xp_dump_brief *out)
{
	struct xp_manifest m;
	int ok = 0;

	memset(out, 0, sizeof *out);
	snprintf(tap->why, sizeof tap->why, "%s",
	         tap->trailing ? "data after its end of archive" : "no SUMMARY");
	if (tap->state != TAP_END || !tap->manifest || !tap->summary)
		return 0;
	snprintf(tap->why, sizeof tap->why, "a MANIFEST or SUMMARY that does not parse");
	if (xp_manifest_parse(tap->manifest, tap->mlen, &m, NULL))
		return 0;
	if (xp_summary_parse(tap->summary, tap->slen, &m, NULL) == 0 && tap_counted(tap, &m)) {
		snprintf(out->source, sizeof out->source, "%s", m.source);
		out->tables = m.ntables;
		out->has_since = m.has_since;
		out->has_until = m.has_until;
		out->since = m.since;
		out->until = m.until;
		for (size_t i = 0; i < m.ntables; i++) {
			const struct xp_dump_table *t = &m.tables[i];

			out->rows += t->rows;
			if (!t->has_time)
				continue;
			if (!out->has_time || t->tmin < out->oldest)
				out->oldest = t->tmin;
			if (!out->has_time || t->tmax > out->newest)
				out->newest = t->tmax;
			out->has_time = 1;
		}
		ok = 1;
	}
	xp_manifest_free(&m);
	return ok;
}

const char *xp_dump_tap_why(const struct xp_dump_tap *tap)
{
	return tap->why;
}
