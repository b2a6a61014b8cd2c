#include "config.h"

#include "stream/csv.h"
#include "base/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { S_START, S_PLAIN, S_QUOTED, S_QUOTE, S_CR };

/* Bytes that make a field quoted wherever they are. */
static const unsigned char special[256] = {['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1};

#ifdef __SSE2__
static int special16(__m128i v)
{
	const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
	                         _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));

	return _mm_movemask_epi8(m) != 0;
}
#endif

/* Copies p[0..n) to o unless it holds a special byte; returns 1 when it does (o[0..n) then
 * holds part of a copy). With SSE2 (every x86-64) it checks and copies 16 bytes a step, the
 * last step overlapping the one before, and a field of 4 to 15 bytes in one step of two
 * overlapping loads; nothing is read or written outside the n bytes. */
static int copy_plain(char *o, const char *p, size_t n)
{
#ifdef __SSE2__
	if (n >= 16) {
		for (size_t i = 0;; i += 16) {
			__m128i v;

			if (i + 16 > n)
				i = n - 16;
			v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			if (special16(v))
				return 1;
			_mm_storeu_si128((__m128i *)(void *)(o + i), v);
			if (i + 16 == n)
				return 0;
		}
	}
	if (n >= 8) {
		uint64_t a, b;

		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		if (special16(_mm_set_epi64x((long long)a, (long long)b)))
			return 1;
		memcpy(o, &a, 8);
		memcpy(o + n - 8, &b, 8);
		return 0;
	}
	if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		if (special16(_mm_set_epi32(0, 0, (int)a, (int)b)))
			return 1;
		memcpy(o, &a, 4);
		memcpy(o + n - 4, &b, 4);
		return 0;
	}
#endif
	for (size_t i = 0; i < n; i++) {
		if (special[(unsigned char)p[i]])
			return 1;
		o[i] = p[i];
	}
	return 0;
}

/* Whether a field must be quoted for what it starts or ends with, or is. */
static int edge_quotes(const char *p, size_t n)
{
	if (n == 0)
		return 1;
	if (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t')
		return 1;
	/* PostgreSQL reads an unquoted \. line as the end of data. */
	return n == 2 && p[0] == '\\' && p[1] == '.';
}

size_t xp_csv_row_bound(const struct xp_field *f, size_t n)
{
	size_t b = n + 1;

	for (size_t i = 0; i < n; i++)
		if (!f[i].null)
			b += 2 * f[i].len + 2;
	return b;
}

size_t xp_csv_encode_row(char *out, const struct xp_field *f, size_t n)
{
	char *o = out;

	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		if (f[i].null)
			continue;
		if (!edge_quotes(f[i].p, f[i].len) && !copy_plain(o, f[i].p, f[i].len)) {
			o += f[i].len;
			continue;
		}
		*o++ = '"';
		for (size_t j = 0; j < f[i].len; j++) {
			if (f[i].p[j] == '"')
				*o++ = '"';
			*o++ = f[i].p[j];
		}
		*o++ = '"';
	}
	*o++ = '\n';
	return (size_t)(o - out);
}

void xp_csv_dec_init(struct xp_csv_dec *d, size_t max_row)
{
	memset(d, 0, sizeof *d);
	d->max_row = max_row ? max_row : (size_t)1 << 30;
	d->line = 1;
}

void xp_csv_dec_reset(struct xp_csv_dec *d)
{
	d->len = 0;
	d->nfields = 0;
	d->state = S_START;
	d->quoted = 0;
	d->line = 1;
}

void xp_csv_dec_free(struct xp_csv_dec *d)
{
	free(d->buf);
	free(d->start);
	free(d->flen);
	free(d->nul);
	free(d->row);
	memset(d, 0, sizeof *d);
}

static int grow_text(struct xp_csv_dec *d, size_t add, struct xp_err *err)
{
	size_t cap;
	char *nb;

	if (d->len + add <= d->cap)
		return 0;
	if (d->len + add > d->max_row)
		return xp_err_set(err, XP_EINTEGRITY, "csv: line %llu: row longer than %zu bytes",
		                  d->line, d->max_row);
	cap = d->cap ? d->cap : 4096;
	while (cap < d->len + add)
		cap *= 2;
	if (cap > d->max_row)
		cap = d->max_row;
	nb = realloc(d->buf, cap);
	if (!nb)
		return xp_err_set(err, XP_ENOMEM, "csv: out of memory");
	d->buf = nb;
	d->cap = cap;
	return 0;
}

static int end_field(struct xp_csv_dec *d, size_t fstart, struct xp_err *err)
{
	if (d->nfields == d->fcap) {
		size_t cap = d->fcap ? d->fcap * 2 : 16;
		size_t *s = realloc(d->start, cap * sizeof *s);
		size_t *l = s ? realloc(d->flen, cap * sizeof *l) : NULL;
		unsigned char *u = l ? realloc(d->nul, cap) : NULL;
		struct xp_field *r = u ? realloc(d->row, cap * sizeof *r) : NULL;

		if (s)
			d->start = s;
		if (l)
			d->flen = l;
		if (u)
			d->nul = u;
		if (r)
			d->row = r;
		if (!r)
			return xp_err_set(err, XP_ENOMEM, "csv: out of memory");
		d->fcap = cap;
	}
	d->start[d->nfields] = fstart;
	d->flen[d->nfields] = d->len - fstart;
	d->nul[d->nfields] = !d->quoted && d->len == fstart;
	d->nfields++;
	d->quoted = 0;
	return 0;
}

static void make_row(struct xp_csv_dec *d, const struct xp_field **row, size_t *nfields)
{
	for (size_t i = 0; i < d->nfields; i++) {
		d->row[i].p = d->buf ? d->buf + d->start[i] : "";
		d->row[i].len = d->flen[i];
		d->row[i].null = d->nul[i];
	}
	*row = d->row;
	*nfields = d->nfields;
	d->line++;
}

/* Offset in buf where the field being decoded starts. */
static size_t field_start(const struct xp_csv_dec *d)
{
	if (d->nfields == 0)
		return 0;
	return d->start[d->nfields - 1] + d->flen[d->nfields - 1];
}

int xp_csv_dec_feed(struct xp_csv_dec *d, const char *buf, size_t n, size_t *used,
                    const struct xp_field **row, size_t *nfields, struct xp_err *err)
{
	size_t i = 0;
	int rc = 0;

	if (d->state == S_START && d->nfields == 0)
		d->len = 0; /* the previous row was handed out: start afresh */
	while (i < n) {
		char c = buf[i];

		if (d->state == S_PLAIN || d->state == S_QUOTED) {
			/* copy a run of ordinary bytes at once */
			size_t j = i;
			if (d->state == S_PLAIN)
				while (j < n && buf[j] != ',' && buf[j] != '\n' && buf[j] != '\r' &&
				       buf[j] != '"')
					j++;
			else
				while (j < n && buf[j] != '"')
					j++;
			if (j > i) {
				rc = grow_text(d, j - i, err);
				if (rc)
					goto out;
				memcpy(d->buf + d->len, buf + i, j - i);
				d->len += j - i;
				i = j;
				continue;
			}
		}
		i++;
		switch (d->state) {
		case S_START:
		case S_PLAIN:
			if (c == '"' && d->state == S_START) {
				d->state = S_QUOTED;
				d->quoted = 1;
			} else if (c == '"') {
				rc = xp_err_set(err, XP_EINTEGRITY,
				                "csv: line %llu: quote inside an unquoted field",
				                d->line);
				goto out;
			} else if (c == ',') {
				rc = end_field(d, field_start(d), err);
				d->state = S_START;
			} else if (c == '\n') {
				goto row;
			} else if (c == '\r') {
				d->state = S_CR;
			} else {
				rc = grow_text(d, 1, err);
				if (!rc)
					d->buf[d->len++] = c;
				d->state = S_PLAIN;
			}
			break;
		case S_QUOTED: /* c is '"' */ d->state = S_QUOTE; break;
		case S_QUOTE:
			if (c == '"') {
				rc = grow_text(d, 1, err);
				if (!rc)
					d->buf[d->len++] = '"';
				d->state = S_QUOTED;
			} else if (c == ',') {
				rc = end_field(d, field_start(d), err);
				d->state = S_START;
			} else if (c == '\n') {
				goto row;
			} else if (c == '\r') {
				d->state = S_CR;
			} else {
				rc = xp_err_set(err, XP_EINTEGRITY,
				                "csv: line %llu: text after a closing quote",
				                d->line);
			}
			break;
		case S_CR:
			if (c == '\n')
				goto row;
			rc = xp_err_set(err, XP_EINTEGRITY, "csv: line %llu: CR outside quotes",
			                d->line);
			break;
		}
		if (rc)
			goto out;
	}
	goto out;
row:
	rc = end_field(d, field_start(d), err);
	if (rc)
		goto out;
	make_row(d, row, nfields);
	d->nfields = 0;
	d->state = S_START;
	rc = 1;
out:
	*used = i;
	return rc;
}

int xp_csv_dec_end(struct xp_csv_dec *d, const struct xp_field **row, size_t *nfields,
                   struct xp_err *err)
{
	int rc;

	if (d->state == S_START && d->nfields == 0)
		return 0;
	if (d->state == S_QUOTED)
		return xp_err_set(err, XP_EINTEGRITY, "csv: line %llu: unterminated quoted field",
		                  d->line);
	if (d->state == S_CR)
		return xp_err_set(err, XP_EINTEGRITY, "csv: line %llu: CR outside quotes", d->line);
	rc = end_field(d, field_start(d), err);
	if (rc)
		return rc;
	make_row(d, row, nfields);
	d->nfields = 0;
	d->state = S_START;
	return 1;
}
