#include "config.h"

#include "dump.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* MANIFEST and SUMMARY: lines of tab-separated fields; \\ \t \n \r escaped in values. */

static void put_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '\t': fputs("\\t", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		default: fputc(*s, f);
		}
	}
}

static void put_time(FILE *f, const char *key, int64_t t)
{
	char iso[XP_TIME_LEN];

	xp_time_format(t, iso);
	if (key)
		fprintf(f, "%s\t%s\n", key, iso);
	else
		fputs(iso, f);
}

static int close_text(FILE *f, char **out, size_t *len, struct xp_err *err)
{
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	return 0;
}

int xp_manifest_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err)
{
	FILE *f;

	*out = NULL;
	f = open_memstream(out, len);
	if (!f)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fprintf(f, "xpdump-manifest\t%d\nsource\t", XP_DUMP_VERSION);
	put_esc(f, m->source);
	fputs("\ndbms\t", f);
	put_esc(f, m->dbms);
	fputs("\nisolation\t", f);
	put_esc(f, m->isolation);
	fputc('\n', f);
	put_time(f, "started", m->started);
	if (m->time_column) {
		fputs("time-column\t", f);
		put_esc(f, m->time_column);
		fputc('\n', f);
	}
	if (m->has_since)
		put_time(f, "since", m->since);
	if (m->has_until)
		put_time(f, "until", m->until);
	for (size_t i = 0; i < m->nexcl; i++) {
		fputs("exclude\t", f);
		put_time(f, NULL, m->excl[i].from);
		fputc('\t', f);
		put_time(f, NULL, m->excl[i].to);
		fputc('\n', f);
	}
	for (size_t i = 0; i < m->ntables; i++) {
		const struct xp_dump_table *t = &m->tables[i];

		fputs("table\t", f);
		put_esc(f, t->name);
		fputc('\n', f);
		for (size_t j = 0; j < t->ncols; j++) {
			const struct xp_column *c = &t->cols[j];

			fputs("column\t", f);
			put_esc(f, c->name);
			fprintf(f, "\t%d\t%s\t", c->sql_type, xp_odbc_type_name(c->sql_type));
			put_esc(f, c->type_name);
			fprintf(f, "\t%" PRIu64 "\t%d\t%s\n", c->size, c->digits,
			        c->nullable < 0 ? "-"
			        : c->nullable   ? "1"
			                        : "0");
		}
	}
	fputs("end\n", f);
	return close_text(f, out, len, err);
}

int xp_summary_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err)
{
	FILE *f;

	*out = NULL;
	f = open_memstream(out, len);
	if (!f)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fprintf(f, "xpdump-summary\t%d\n", XP_DUMP_VERSION);
	for (size_t i = 0; i < m->ntables; i++) {
		const struct xp_dump_table *t = &m->tables[i];
		char hex[65];

		sodium_bin2hex(hex, sizeof hex, t->blake2b, sizeof t->blake2b);
		fputs("table\t", f);
		put_esc(f, t->name);
		fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu32 "\t%s\t", t->rows, t->bytes,
		        t->chunks, hex);
		if (t->has_time) {
			put_time(f, NULL, t->tmin);
			fputc('\t', f);
			put_time(f, NULL, t->tmax);
		} else {
			fputs("-\t-", f);
		}
		fputc('\n', f);
	}
	fputs("end\n", f);
	return close_text(f, out, len, err);
}

/* Splits line (NUL-terminated, modified in place) into at most max tab-separated,
 * unescaped fields; returns how many. */
static size_t split(char *line, char **fv, size_t max)
{
	size_t n = 0;
	char *r = line, *w = line;

	fv[n++] = w;
	for (; *r; r++) {
		if (*r == '\t') {
			*w++ = '\0';
			if (n == max)
				return max + 1;
			fv[n++] = w;
		} else if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return n;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &e, 10);
	return *e || errno ? -1 : 0;
}

static int parse_int(const char *s, int *v)
{
	char *e;
	long l;

	errno = 0;
	l = strtol(s, &e, 10);
	if (!*s || *e || errno || l < -32768 || l > 0x7fffffffL)
		return -1;
	*v = (int)l;
	return 0;
}

/* Copies buf into a NUL-terminated string; NULL if it holds a NUL byte or no memory. */
static char *text_copy(const char *buf, size_t len)
{
	char *s;

	if (memchr(buf, '\0', len))
		return NULL;
	s = malloc(len + 1);
	if (s) {
		memcpy(s, buf, len);
		s[len] = '\0';
	}
	return s;
}

static int add_table(struct xp_manifest *m, const char *name)
{
	struct xp_dump_table *t = realloc(m->tables, (m->ntables + 1) * sizeof *t);

	if (!t)
		return -1;
	m->tables = t;
	t = &m->tables[m->ntables];
	memset(t, 0, sizeof *t);
	t->time_col = -1;
	t->name = strdup(name);
	if (!t->name)
		return -1;
	m->ntables++;
	return 0;
}

static int add_column(struct xp_dump_table *t, char **fv)
{
	struct xp_column *c = realloc(t->cols, (t->ncols + 1) * sizeof *c);
	int type, digits;
	uint64_t size;

	if (!c)
		return -1;
	t->cols = c;
	c = &t->cols[t->ncols];
	memset(c, 0, sizeof *c);
	if (parse_int(fv[2], &type) || parse_u64(fv[5], &size) || parse_int(fv[6], &digits))
		return -2;
	c->sql_type = type;
	c->size = size;
	c->digits = digits;
	c->nullable = strcmp(fv[7], "-") == 0 ? -1 : strcmp(fv[7], "1") == 0;
	c->name = strdup(fv[1]);
	c->type_name = strdup(fv[4]);
	t->ncols++;
	return c->name && c->type_name ? 0 : -1;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -1;
}

int xp_manifest_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err)
{
	char *text = text_copy(buf, len), *line, *next;
	unsigned long no = 0;
	int rc = 0, end = 0, r = 0;

	memset(m, 0, sizeof *m);
	if (!text)
		return xp_err_set(err, XP_EINTEGRITY, "MANIFEST: not text");
	for (line = text; *line && !end; line = next) {
		char *fv[9];
		size_t n;

		next = strchr(line, '\n');
		if (!next) {
			rc = xp_err_set(err, XP_EINTEGRITY, "MANIFEST: truncated");
			goto out;
		}
		*next++ = '\0';
		no++;
		n = split(line, fv, 8);
		if (no == 1) {
			if (n != 2 || strcmp(fv[0], "xpdump-manifest") != 0 ||
			    parse_int(fv[1], &m->version)) {
				rc = xp_err_set(err, XP_EINTEGRITY,
				                "MANIFEST: not a dump manifest");
				goto out;
			}
			if (m->version != XP_DUMP_VERSION) {
				rc = xp_err_set(err, XP_EINTEGRITY, "MANIFEST: format version %d",
				                m->version);
				goto out;
			}
			continue;
		}
		if (n == 1 && strcmp(fv[0], "end") == 0)
			end = 1;
		else if (n == 2 && strcmp(fv[0], "source") == 0)
			r = set_str(&m->source, fv[1]);
		else if (n == 2 && strcmp(fv[0], "dbms") == 0)
			r = set_str(&m->dbms, fv[1]);
		else if (n == 2 && strcmp(fv[0], "isolation") == 0)
			r = set_str(&m->isolation, fv[1]);
		else if (n == 2 && strcmp(fv[0], "time-column") == 0)
			r = set_str(&m->time_column, fv[1]);
		else if (n == 2 && strcmp(fv[0], "started") == 0)
			r = xp_time_parse(fv[1], &m->started, NULL) ? -2 : 0;
		else if (n == 2 && strcmp(fv[0], "since") == 0)
			r = xp_time_parse(fv[1], &m->since, NULL) ? -2 : (m->has_since = 1, 0);
		else if (n == 2 && strcmp(fv[0], "until") == 0)
			r = xp_time_parse(fv[1], &m->until, NULL) ? -2 : (m->has_until = 1, 0);
		else if (n == 3 && strcmp(fv[0], "exclude") == 0) {
			struct xp_interval *e = realloc(m->excl, (m->nexcl + 1) * sizeof *e);

			r = -1;
			if (e) {
				m->excl = e;
				r = xp_time_parse(fv[1], &e[m->nexcl].from, NULL) ||
				                    xp_time_parse(fv[2], &e[m->nexcl].to, NULL)
				            ? -2
				            : 0;
				m->nexcl += r == 0;
			}
		} else if (n == 2 && strcmp(fv[0], "table") == 0)
			r = add_table(m, fv[1]);
		else if (n == 8 && strcmp(fv[0], "column") == 0 && m->ntables)
			r = add_column(&m->tables[m->ntables - 1], fv);
		else
			r = -2;
		if (r) {
			rc = r == -1 ? xp_err_set(err, XP_ENOMEM, "out of memory")
			             : xp_err_set(err, XP_EINTEGRITY,
			                          "MANIFEST: line %lu: bad line", no);
			goto out;
		}
	}
	if (!end || *line || !m->source || m->ntables == 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "MANIFEST: %s",
		                !end || !m->source ? "truncated"
		                : *line            ? "text after end"
		                                   : "no tables");
		goto out;
	}
	for (size_t i = 0; i < m->ntables; i++) {
		struct xp_dump_table *t = &m->tables[i];

		if (t->ncols == 0) {
			rc = xp_err_set(err, XP_EINTEGRITY, "MANIFEST: table %s has no columns",
			                t->name);
			goto out;
		}
		for (size_t j = 0; m->time_column && j < t->ncols; j++)
			if (strcmp(t->cols[j].name, m->time_column) == 0)
				t->time_col = (int)j;
	}
out:
	free(text);
	if (rc)
		xp_manifest_free(m);
	return rc;
}

int xp_summary_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err)
{
	char *text = text_copy(buf, len), *line, *next;
	size_t t = 0;
	unsigned long no = 0;
	int rc = 0, end = 0;

	if (!text)
		return xp_err_set(err, XP_EINTEGRITY, "SUMMARY: not text");
	for (line = text; *line && !end; line = next) {
		char *fv[9];
		size_t n;
		uint64_t chunks;
		struct xp_dump_table *tb;

		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		n = split(line, fv, 8);
		if (++no == 1) {
			if (n != 2 || strcmp(fv[0], "xpdump-summary") != 0 ||
			    atoi(fv[1]) != XP_DUMP_VERSION)
				goto bad;
			continue;
		}
		if (n == 1 && strcmp(fv[0], "end") == 0) {
			end = 1;
			continue;
		}
		if (n != 8 || strcmp(fv[0], "table") != 0 || t >= m->ntables)
			goto bad;
		tb = &m->tables[t++];
		if (strcmp(fv[1], tb->name) != 0 || parse_u64(fv[2], &tb->rows) ||
		    parse_u64(fv[3], &tb->bytes) || parse_u64(fv[4], &chunks) ||
		    chunks > UINT32_MAX || strlen(fv[5]) != 64 ||
		    sodium_hex2bin(tb->blake2b, sizeof tb->blake2b, fv[5], 64, NULL, NULL, NULL))
			goto bad;
		tb->chunks = (uint32_t)chunks;
		tb->has_time = strcmp(fv[6], "-") != 0;
		if (tb->has_time && (xp_time_parse(fv[6], &tb->tmin, NULL) ||
		                     xp_time_parse(fv[7], &tb->tmax, NULL)))
			goto bad;
	}
	if (!end || t != m->ntables || *line) {
		rc = xp_err_set(err, XP_EINTEGRITY, "SUMMARY: %s",
		                !end ? "truncated" : "does not match MANIFEST");
		goto out;
	}
	m->have_summary = 1;
	goto out;
bad:
	rc = xp_err_set(err, XP_EINTEGRITY, "SUMMARY: line %lu: bad line", no);
out:
	free(text);
	return rc;
}

void xp_manifest_free(struct xp_manifest *m)
{
	if (!m)
		return;
	free(m->source);
	free(m->dbms);
	free(m->isolation);
	free(m->time_column);
	free(m->excl);
	for (size_t i = 0; i < m->ntables; i++) {
		free(m->tables[i].name);
		xp_columns_free(m->tables[i].cols, m->tables[i].ncols);
	}
	free(m->tables);
	memset(m, 0, sizeof *m);
}

/* The time value of a field as UTC seconds: epoch seconds for an integer column, else
 * ISO-8601 text as databases print it. 0 with *t set, 1 for no time (infinity), -1. */
static int field_time(const struct xp_field *f, int integer, int64_t *t)
{
	char s[80];
	char *e;

	if (f->len >= sizeof s)
		return -1;
	memcpy(s, f->p, f->len);
	s[f->len] = '\0';
	/* infinite timestamps date nothing, nor do years before Christ (psqlODBC prints
	 * -infinity as "9999-01-01 00:00:00 BC") */
	if (strcmp(s, "infinity") == 0 || strcmp(s, "-infinity") == 0 ||
	    (f->len > 3 && strcmp(s + f->len - 3, " BC") == 0))
		return 1;
	if (integer) {
		long long v;

		errno = 0;
		v = strtoll(s, &e, 10);
		if (!*s || *e || errno)
			return -1;
		*t = v;
		return 0;
	}
	return xp_time_parse(s, t, NULL) ? -1 : 0;
}

static void see_time(struct xp_dump_table *t, int64_t v)
{
	if (!t->has_time || v < t->tmin)
		t->tmin = v;
	if (!t->has_time || v > t->tmax)
		t->tmax = v;
	t->has_time = 1;
}

/* Notes the time column of a row in t's window; 0, or -1 when it is no time. */
static int row_time(struct xp_dump_table *t, const struct xp_field *f)
{
	int64_t v;

	if (t->time_col < 0 || f[t->time_col].null)
		return 0;
	switch (field_time(&f[t->time_col],
	                   xp_odbc_type_class(t->cols[t->time_col].sql_type) == 'i', &v)) {
	case 0: see_time(t, v); return 0;
	case 1: return 0;
	default: return -1;
	}
}

struct xp_dump_writer {
	struct archive *a;
	int fd;
	int werrno; /* errno of a failed write, for the message */
	int fd_ok;  /* cleared by free: an abandoned stream gets no end-of-archive trailer */
	struct xp_manifest *m;
	size_t chunk_size;
	char *buf; /* the chunk being filled (header row first) */
	size_t len, cap;
	size_t hdr; /* length of the header row in buf */
	size_t cur; /* table being written */
	int open;   /* table cur has started */
	crypto_generichash_state h;
	uint64_t rows, bytes;
};

static la_ssize_t write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct xp_dump_writer *w = arg;
	struct xp_err e;

	if (!w->fd_ok) {
		archive_set_error(a, EPIPE, "dump abandoned");
		return -1;
	}
	if (xp_write_all(w->fd, buf, n, &e)) {
		w->werrno = errno ? errno : EIO;
		archive_set_error(a, w->werrno, "write failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int arch_err(struct xp_dump_writer *w, struct xp_err *err, const char *what)
{
	if (w->werrno)
		return xp_err_set(err, XP_EFAIL, "write: %s", strerror(w->werrno));
	return xp_err_set(err, XP_EFAIL, "%s: %s", what, archive_error_string(w->a));
}

static int write_entry(struct xp_dump_writer *w, const char *name, const char *data, size_t len,
                       struct xp_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)w->m->started, 0);
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		rc = arch_err(w, err, name);
		goto out;
	}
	while (len) {
		la_ssize_t n = archive_write_data(w->a, data, len);

		if (n <= 0) {
			rc = arch_err(w, err, name);
			goto out;
		}
		data += n;
		len -= (size_t)n;
	}
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		rc = arch_err(w, err, name);
out:
	archive_entry_free(e);
	return rc;
}

static int grow_buf(struct xp_dump_writer *w, size_t need, struct xp_err *err)
{
	size_t cap = w->cap;
	char *b;

	if (need <= w->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	w->buf = b;
	w->cap = cap;
	return 0;
}

/* Starts a chunk: the header row. */
static int chunk_start(struct xp_dump_writer *w, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	struct xp_field *names = calloc(t->ncols, sizeof *names);
	int rc;

	if (!names)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->ncols; i++)
		names[i] = (struct xp_field){t->cols[i].name, strlen(t->cols[i].name), 0};
	rc = grow_buf(w, xp_csv_row_bound(names, t->ncols), err);
	if (!rc)
		w->hdr = w->len = xp_csv_encode_row(w->buf, names, t->ncols);
	free(names);
	return rc;
}

static int chunk_flush(struct xp_dump_writer *w, size_t len, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	char name[64 + 4096];
	int rc;

	if (t->chunks == 999999)
		return xp_err_set(err, XP_EFAIL, "table %s: more than 999999 chunks", t->name);
	if ((size_t)snprintf(name, sizeof name, "%s/%06" PRIu32 ".csv", t->name, t->chunks + 1) >=
	    sizeof name)
		return xp_err_set(err, XP_EUSAGE, "table %s: name too long", t->name);
	rc = write_entry(w, name, w->buf, len, err);
	if (rc)
		return rc;
	crypto_generichash_update(&w->h, (const unsigned char *)w->buf, len);
	t->chunks++;
	t->bytes += len;
	w->bytes += len;
	return 0;
}

static int table_end(struct xp_dump_writer *w, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	int rc = 0;

	if (!w->open) { /* a table without rows still gets its header-only chunk */
		crypto_generichash_init(&w->h, NULL, 0, sizeof t->blake2b);
		rc = chunk_start(w, err);
	}
	if (!rc && (w->len > w->hdr || t->chunks == 0))
		rc = chunk_flush(w, w->len, err);
	if (!rc)
		crypto_generichash_final(&w->h, t->blake2b, sizeof t->blake2b);
	w->len = w->hdr = 0;
	w->open = 0;
	return rc;
}

int xp_dump_writer_open(struct xp_dump_writer **out, int fd, struct xp_manifest *m,
                        size_t chunk_size, struct xp_err *err)
{
	struct xp_dump_writer *w = calloc(1, sizeof *w);
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (!w || sodium_init() < 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	w->fd = fd;
	w->fd_ok = 1;
	w->m = m;
	w->chunk_size = chunk_size ? chunk_size : XP_DUMP_CHUNK_DEFAULT;
	if (w->chunk_size < XP_DUMP_CHUNK_MIN || w->chunk_size > XP_DUMP_CHUNK_MAX) {
		rc = xp_err_set(err, XP_EUSAGE, "chunk size %zu: not between %u and %u",
		                w->chunk_size, XP_DUMP_CHUNK_MIN, XP_DUMP_CHUNK_MAX);
		goto out;
	}
	for (size_t i = 0; i < m->ntables; i++) {
		struct xp_dump_table *t = &m->tables[i];

		t->rows = t->bytes = 0;
		t->chunks = 0;
		t->has_time = 0;
	}
	w->cap = w->chunk_size + 4096;
	w->buf = malloc(w->cap);
	w->a = archive_write_new();
	if (!w->buf || !w->a) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		rc = arch_err(w, err, "archive");
		goto out;
	}
	rc = xp_manifest_format(m, &text, &len, err);
	if (!rc)
		rc = write_entry(w, "MANIFEST", text, len, err);
out:
	free(text);
	if (rc) {
		xp_dump_writer_free(w);
		w = NULL;
	}
	*out = w;
	return rc;
}

int xp_dump_writer_row(struct xp_dump_writer *w, size_t t, const struct xp_field *f,
                       struct xp_err *err)
{
	struct xp_dump_table *tb;
	size_t rl;
	int rc;

	if (t >= w->m->ntables || t < w->cur)
		return xp_err_set(err, XP_EUSAGE, "dump: rows of table %zu out of order", t);
	while (w->cur < t) {
		rc = table_end(w, err);
		if (rc)
			return rc;
		w->cur++;
	}
	tb = &w->m->tables[t];
	if (!w->open) {
		crypto_generichash_init(&w->h, NULL, 0, sizeof tb->blake2b);
		w->open = 1;
		rc = chunk_start(w, err);
		if (rc)
			return rc;
	}
	if (row_time(tb, f))
		return xp_err_set(err, XP_EFAIL, "table %s: row %" PRIu64 ": %s is not a time",
		                  tb->name, tb->rows + 1, tb->cols[tb->time_col].name);
	rc = grow_buf(w, w->len + xp_csv_row_bound(f, tb->ncols), err);
	if (rc)
		return rc;
	rl = xp_csv_encode_row(w->buf + w->len, f, tb->ncols);
	if (w->len + rl > w->chunk_size && w->len > w->hdr) {
		/* the row does not fit: the chunk goes out without it, the row opens the next */
		size_t at = w->len;

		rc = chunk_flush(w, at, err);
		if (rc)
			return rc;
		memmove(w->buf + w->hdr, w->buf + at, rl);
		w->len = w->hdr;
	}
	w->len += rl;
	tb->rows++;
	w->rows++;
	return 0;
}

int xp_dump_writer_finish(struct xp_dump_writer *w, struct xp_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	for (; w->cur < w->m->ntables && !rc; w->cur++)
		rc = table_end(w, err);
	if (!rc)
		rc = xp_summary_format(w->m, &text, &len, err);
	if (!rc)
		rc = write_entry(w, "SUMMARY", text, len, err);
	if (!rc && archive_write_close(w->a) != ARCHIVE_OK)
		rc = arch_err(w, err, "archive");
	if (!rc)
		w->m->have_summary = 1;
	free(text);
	return rc;
}

void xp_dump_writer_stats(const struct xp_dump_writer *w, uint64_t *rows, uint64_t *bytes)
{
	*rows = w->rows;
	*bytes = w->bytes + w->len;
}

void xp_dump_writer_free(struct xp_dump_writer *w)
{
	if (!w)
		return;
	w->fd_ok = 0;
	if (w->a)
		archive_write_free(w->a);
	free(w->buf);
	free(w);
}

/* Describes the tables into m (in the snapshot transaction already begun). */
static int describe_all(struct xp_odbc *c, const struct xp_dump_opts *o, struct xp_manifest *m,
                        struct xp_err *err)
{
	const struct xp_window *w = &o->window;
	int rc = 0;

	m->version = XP_DUMP_VERSION;
	m->started = xp_now();
	m->source = strdup(c->source);
	m->dbms = strdup(c->dbms);
	m->isolation = strdup(c->isolation);
	m->time_column = w->time_column ? strdup(w->time_column) : NULL;
	m->tables = calloc(o->ntables, sizeof *m->tables);
	m->excl = w->nexcl ? calloc(w->nexcl, sizeof *m->excl) : NULL;
	if (!m->source || !m->dbms || !m->isolation || (w->time_column && !m->time_column) ||
	    !m->tables || (w->nexcl && !m->excl))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	m->has_since = w->has_since;
	m->since = w->since;
	m->has_until = w->has_until;
	m->until = w->until;
	if (w->nexcl)
		memcpy(m->excl, w->excl, w->nexcl * sizeof *m->excl);
	m->nexcl = w->nexcl;
	for (size_t i = 0; i < o->ntables && !rc; i++) {
		struct xp_dump_table *t = &m->tables[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(o->tables[j], o->tables[i]) == 0)
				return xp_err_set(err, XP_EUSAGE, "table %s: given twice",
				                  o->tables[i]);
		t->time_col = -1;
		t->name = strdup(o->tables[i]);
		m->ntables++;
		if (!t->name)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		rc = xp_odbc_describe(c, t->name, &t->cols, &t->ncols, err);
		for (size_t j = 0; !rc && w->time_column && j < t->ncols; j++)
			if (strcmp(t->cols[j].name, w->time_column) == 0)
				t->time_col = (int)j;
		if (!rc && w->time_column && t->time_col < 0)
			rc = xp_err_set(err, XP_EFAIL, "table %s: no column %s", t->name,
			                w->time_column);
	}
	return rc;
}

static int copy_table(struct xp_odbc *c, struct xp_dump_writer *w, const struct xp_manifest *m,
                      size_t i, const struct xp_dump_opts *o, struct xp_err *err)
{
	const struct xp_dump_table *t = &m->tables[i];
	struct xp_odbc_cursor *cur = NULL;
	const struct xp_field *row;
	uint64_t n = 0;
	int rc;

	rc = xp_odbc_select(c, t->name, t->cols, t->ncols, m->time_column ? &o->window : NULL, &cur,
	                    err);
	while (!rc && (rc = xp_odbc_fetch(cur, &row, err)) == 1) {
		rc = xp_dump_writer_row(w, i, row, err);
		if (o->progress && ++n % 8192 == 0) {
			uint64_t rows, bytes;

			xp_dump_writer_stats(w, &rows, &bytes);
			o->progress(o->progress_arg, rows, bytes);
		}
	}
	xp_odbc_cursor_free(cur);
	return rc;
}

int xp_dump_run(const struct xp_dump_opts *o, int fd, struct xp_err *err)
{
	struct xp_odbc c = {0};
	struct xp_manifest m = {0};
	struct xp_dump_writer *w = NULL;
	int rc;

	rc = xp_odbc_connect(&c, o->connstr, err);
	if (rc)
		goto out;
	/* timestamps with zone print as UTC, and window bounds without zone mean UTC */
	if (strcmp(c.dbms, "PostgreSQL") == 0) {
		rc = xp_odbc_exec(&c, "SET TIME ZONE 'UTC'", err);
		if (rc)
			goto out;
	}
	rc = xp_odbc_begin_snapshot(&c, err);
	if (!rc)
		rc = describe_all(&c, o, &m, err);
	if (!rc)
		rc = xp_dump_writer_open(&w, fd, &m, o->chunk_size, err);
	for (size_t i = 0; !rc && i < m.ntables; i++)
		rc = copy_table(&c, w, &m, i, o, err);
	if (!rc)
		rc = xp_dump_writer_finish(w, err);
	if (!rc)
		rc = xp_odbc_end(&c, 0, err); /* read only: nothing to commit */
	if (!rc && o->progress) {
		uint64_t rows, bytes;

		xp_dump_writer_stats(w, &rows, &bytes);
		o->progress(o->progress_arg, rows, bytes);
	}
out:
	xp_dump_writer_free(w);
	xp_manifest_free(&m);
	xp_odbc_close(&c);
	return rc;
}

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
};

static int rd_err(struct xp_dump_reader *r, struct xp_err *err, const char *what)
{
	const char *msg = archive_error_string(r->a);

	return xp_err_set(err, XP_EINTEGRITY, "%s: %s", what, msg ? msg : "truncated");
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
	if (!r || sodium_init() < 0 || !(r->a = archive_read_new())) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	xp_csv_dec_init(&r->dec, 0);
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_open_fd(r->a, fd, 64 * 1024) != ARCHIVE_OK) {
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
		if (row_time(&r->seen, *row))
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
};

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
			tap->pax_path = text_copy(eq + 1, (size_t)(b + len - 1 - (eq + 1)));
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
}

int xp_dump_tap_result(struct xp_dump_tap *tap, struct xp_dump_brief *out)
{
	struct xp_manifest m;
	int ok = 0;

	memset(out, 0, sizeof *out);
	if (tap->state != TAP_END || !tap->manifest || !tap->summary)
		return 0;
	if (xp_manifest_parse(tap->manifest, tap->mlen, &m, NULL))
		return 0;
	if (xp_summary_parse(tap->summary, tap->slen, &m, NULL) == 0) {
		snprintf(out->source, sizeof out->source, "%s", m.source);
		out->tables = m.ntables;
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
