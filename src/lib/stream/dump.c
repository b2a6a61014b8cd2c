#include "config.h"

#include "stream/dump-int.h"
#include "base/os.h"
#include "base/err.h"
#include "base/time.h"
#include "base/encode.h"

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
	if (xp_os_memstream_close(f) != 0) {
		free(*out);
		*out = NULL;
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	return 0;
}

static int has_column(const struct xp_dump_table *t, const char *name)
{
	for (size_t j = 0; j < t->ncols; j++)
		if (strcmp(t->cols[j].name, name) == 0)
			return 1;
	return 0;
}

/* Version 1 has one time-column line for all tables, each dated by the column of that name
 * if it has one: it holds m when the tables' time columns are one name, and no table
 * without a time column has a column of that name. Else version 2. *shared: that name. */
static int stream_version(const struct xp_manifest *m, const char **shared)
{
	*shared = NULL;
	for (size_t i = 0; i < m->ntables; i++) {
		const char *c = m->tables[i].time_column;

		if (c && *shared && strcmp(c, *shared) != 0)
			return 2;
		if (c)
			*shared = c;
	}
	for (size_t i = 0; *shared && i < m->ntables; i++)
		if (!m->tables[i].time_column && has_column(&m->tables[i], *shared))
			return 2;
	return 1;
}

int xp_manifest_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err)
{
	const char *shared;
	int version = stream_version(m, &shared);
	FILE *f;

	*out = NULL;
	f = xp_os_memstream(out, len);
	if (!f)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fprintf(f, "xpdump-manifest\t%d\nsource\t", version);
	put_esc(f, m->source);
	fputs("\ndbms\t", f);
	put_esc(f, m->dbms);
	fputs("\nisolation\t", f);
	put_esc(f, m->isolation);
	fputc('\n', f);
	put_time(f, "started", m->started);
	if (version == 1 && shared) {
		fputs("time-column\t", f);
		put_esc(f, shared);
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
		if (version == 2 && t->time_column) {
			fputc('\t', f);
			put_esc(f, t->time_column);
		}
		fputc('\n', f);
		for (size_t j = 0; j < t->ncols; j++) {
			const struct xp_column *c = &t->cols[j];

			fputs("column\t", f);
			put_esc(f, c->name);
			fprintf(f, "\t%d\t%s\t", c->sql_type, xp_column_type_name(c->sql_type));
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
	const char *shared;
	FILE *f;

	*out = NULL;
	f = xp_os_memstream(out, len);
	if (!f)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fprintf(f, "xpdump-summary\t%d\n", stream_version(m, &shared));
	for (size_t i = 0; i < m->ntables; i++) {
		const struct xp_dump_table *t = &m->tables[i];
		char hex[65];

		xp_hex(t->blake2b, sizeof t->blake2b, hex);
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
char *xp_dump_text_copy(const char *buf, size_t len)
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

static int add_table(struct xp_manifest *m, const char *name, const char *tcol)
{
	struct xp_dump_table *t = realloc(m->tables, (m->ntables + 1) * sizeof *t);

	if (!t)
		return -1;
	m->tables = t;
	t = &m->tables[m->ntables];
	memset(t, 0, sizeof *t);
	t->time_col = -1;
	t->name = strdup(name);
	m->ntables++;
	if (!t->name || (tcol && !(t->time_column = strdup(tcol))))
		return -1;
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
	char *text = xp_dump_text_copy(buf, len), *line, *next, *shared = NULL;
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
			if (m->version < 1 || m->version > XP_DUMP_VERSION) {
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
		else if (n == 2 && strcmp(fv[0], "time-column") == 0 && m->version == 1)
			r = set_str(&shared, fv[1]);
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
		} else if ((n == 2 || (n == 3 && m->version == 2)) && strcmp(fv[0], "table") == 0)
			r = add_table(m, fv[1], n == 3 ? fv[2] : NULL);
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
		/* version 1: each table is dated by the shared column if it has one */
		if (shared && has_column(t, shared) && !(t->time_column = strdup(shared))) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t j = 0; t->time_column && j < t->ncols; j++)
			if (strcmp(t->cols[j].name, t->time_column) == 0)
				t->time_col = (int)j;
		if (t->time_column && t->time_col < 0) {
			rc = xp_err_set(err, XP_EINTEGRITY, "MANIFEST: table %s has no column %s",
			                t->name, t->time_column);
			goto out;
		}
	}
out:
	free(text);
	free(shared);
	if (rc)
		xp_manifest_free(m);
	return rc;
}

int xp_summary_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err)
{
	char *text = xp_dump_text_copy(buf, len), *line, *next;
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
			    atoi(fv[1]) != m->version)
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
	free(m->excl);
	for (size_t i = 0; i < m->ntables; i++) {
		free(m->tables[i].name);
		free(m->tables[i].time_column);
		xp_columns_free(m->tables[i].cols, m->tables[i].ncols);
	}
	free(m->tables);
	memset(m, 0, sizeof *m);
}

int xp_manifest_copy(const struct xp_manifest *in, struct xp_manifest *out, struct xp_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = xp_manifest_format(in, &text, &len, err);
	if (rc == 0)
		rc = xp_manifest_parse(text, len, out, err);
	free(text);
	return rc;
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

int xp_dump_time_of(const struct xp_dump_table *t, const struct xp_field *f, int64_t *v)
{
	if (t->time_col < 0 || f[t->time_col].null)
		return 0;
	switch (field_time(&f[t->time_col],
	                   xp_column_type_class(t->cols[t->time_col].sql_type) == 'i', v)) {
	case 0: return 1;
	case 1: return 0;
	default: return -1;
	}
}

int xp_dump_row_time(struct xp_dump_table *t, const struct xp_field *f)
{
	int64_t v;

	if (t->time_col < 0 || f[t->time_col].null)
		return 0;
	switch (field_time(&f[t->time_col],
	                   xp_column_type_class(t->cols[t->time_col].sql_type) == XP_CLASS_INT,
	                   &v)) {
	case 0: see_time(t, v); return 0;
	case 1: return 0;
	default: return -1;
	}
}
