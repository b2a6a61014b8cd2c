/* The dump stream without a database: writer -> reader round trip, damage, and the tap. */
#include "config.h"

#include "stream/dump.h"
#include "stream/column.h"

#include "../tap.h"
#include "base/err.h"
#include "base/time.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#define NROWS 200

static char dir[] = "/tmp/xpdump-unit.XXXXXX";

/* find(3), which mingw's C library lacks. */
static char *find(const char *h, size_t hn, const char *n, size_t nn)
{
	for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
		if (memcmp(h + i, n, nn) == 0)
			return (char *)h + i;
	return NULL;
}

static struct xp_column col(const char *name, int type, const char *tname)
{
	struct xp_column c = {strdup(name), type, strdup(tname), 64, 0, 1};

	return c;
}

/* Two tables: "audit" (id, ts, msg) with a time column, and an empty "app.empty" (x). */
static void make_manifest(struct xp_manifest *m)
{
	memset(m, 0, sizeof *m);
	m->version = XP_DUMP_VERSION;
	m->source = strdup("Driver=SQLite3;Database=/x\tdb;PWD=***");
	m->dbms = strdup("SQLite");
	m->isolation = strdup("serializable");
	m->started = 1800000000;
	m->has_since = 1;
	m->since = 1700000000;
	m->nexcl = 1;
	m->excl = calloc(1, sizeof *m->excl);
	m->excl[0] = (struct xp_interval){1750000000, 1750003600};
	m->ntables = 2;
	m->tables = calloc(2, sizeof *m->tables);
	m->tables[0].name = strdup("audit");
	m->tables[0].ncols = 3;
	m->tables[0].cols = calloc(3, sizeof(struct xp_column));
	m->tables[0].cols[0] = col("id", SQL_BIGINT, "int8");
	m->tables[0].cols[1] = col("ts", SQL_TYPE_TIMESTAMP, "timestamptz");
	m->tables[0].cols[2] = col("msg", SQL_LONGVARCHAR, "text");
	m->tables[0].time_column = strdup("ts");
	m->tables[0].time_col = 1;
	m->tables[1].name = strdup("app.empty");
	m->tables[1].ncols = 1;
	m->tables[1].cols = calloc(1, sizeof(struct xp_column));
	m->tables[1].cols[0] = col("x", SQL_INTEGER, "int4");
	m->tables[1].time_col = -1;
}

/* Row i of audit: id, a time one hour apart (row 7 NULL), a message (row 50: 3000 bytes). */
static void make_row(int i, struct xp_field f[3], char *id, char *ts, char *msg)
{
	char iso[XP_TIME_LEN];

	snprintf(id, 32, "%d", i);
	xp_time_format(1750000000 + (int64_t)i * 3600, iso);
	snprintf(ts, 40, "%.10s %.8s+00", iso, iso + 11);
	if (i == 50) {
		memset(msg, 'm', 3000);
		msg[3000] = '\0';
	} else {
		snprintf(msg, 3001, "row-%06d, \"quoted\"\nline two", i);
	}
	f[0] = (struct xp_field){id, strlen(id), 0};
	f[1] = (struct xp_field){ts, strlen(ts), i == 7};
	f[2] = (struct xp_field){msg, strlen(msg), i == 9};
}

static int write_stream(const char *path, size_t chunk, struct xp_manifest *m)
{
	struct xp_dump_writer *w = NULL;
	struct xp_err err;
	char id[32], ts[40], *msg = malloc(3001);
	struct xp_field f[3];
	int fd = xp_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	make_manifest(m);
	rc = xp_dump_writer_open(&w, fd, "test", m, chunk, &err);
	for (int i = 0; !rc && i < NROWS; i++) {
		make_row(i, f, id, ts, msg);
		rc = xp_dump_writer_row(w, 0, f, &err);
	}
	if (!rc)
		rc = xp_dump_writer_finish(w, &err);
	if (rc)
		printf("# %s\n", err.msg);
	xp_dump_writer_free(w);
	close(fd);
	free(msg);
	return rc;
}

/* Reads the whole stream, comparing rows; returns 0 or the error code (message in err). */
static int read_stream(const char *path, int *rows_ok, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	const struct xp_field *row;
	char id[32], ts[40], *msg = malloc(3001);
	struct xp_field f[3];
	int fd = xp_os_open(path, O_RDONLY, 0), rc, n = 0;
	size_t t;

	*rows_ok = 1;
	rc = xp_dump_reader_open(&r, fd, err);
	while (!rc && (rc = xp_dump_reader_next_table(r, &t, err)) == 1) {
		rc = 0;
		while (!rc && (rc = xp_dump_reader_next_row(r, &row, err)) == 1) {
			rc = 0;
			if (t != 0) {
				*rows_ok = 0;
				continue;
			}
			make_row(n++, f, id, ts, msg);
			for (int i = 0; i < 3; i++)
				if (row[i].null != f[i].null ||
				    (!f[i].null && (row[i].len != f[i].len ||
				                    memcmp(row[i].p, f[i].p, f[i].len) != 0)))
					*rows_ok = 0;
		}
	}
	if (n != NROWS)
		*rows_ok = 0;
	xp_dump_reader_free(r);
	close(fd);
	free(msg);
	return rc;
}

static char *slurp(const char *path, size_t *len)
{
	char *buf;
	struct xp_err err;

	if (xp_file_read(path, 64u << 20, &buf, len, &err))
		return NULL;
	return buf;
}

static void spill(const char *path, const char *buf, size_t len)
{
	int fd = xp_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (write(fd, buf, len) != (ssize_t)len)
		perror(path);
	close(fd);
}

static void round_trip(const char *path)
{
	struct xp_manifest m, back;
	struct xp_dump_reader *r = NULL;
	struct xp_err err;
	int fd, rows_ok = 0;
	size_t t;

	is_int(write_stream(path, 1024, &m), 0, "writer makes a stream with 1 KiB chunks");
	ok(m.tables[0].rows == NROWS && m.tables[0].chunks > 10 && m.tables[1].rows == 0 &&
	           m.tables[1].chunks == 1,
	   "writer counts %d rows in %u chunks, and one header-only chunk", NROWS,
	   m.tables[0].chunks);
	ok(m.tables[0].has_time && m.tables[0].tmin == 1750000000 &&
	           m.tables[0].tmax == 1750000000 + (NROWS - 1) * 3600 && !m.tables[1].has_time,
	   "writer records the oldest and newest time, NULL times skipped");
	is_int(read_stream(path, &rows_ok, &err), 0, "reader reads it back and SUMMARY matches");
	ok(rows_ok, "reader gives every row, NULLs and empty strings as written");

	fd = xp_os_open(path, O_RDONLY, 0);
	is_int(xp_dump_reader_open(&r, fd, &err), 0, "reader opens the stream");
	back = *xp_dump_reader_manifest(r);
	is_str(back.source, m.source, "MANIFEST keeps the source, a tab included");
	ok(back.ntables == 2 && back.tables[0].ncols == 3 &&
	           strcmp(back.tables[1].name, "app.empty") == 0 &&
	           back.tables[0].cols[1].sql_type == SQL_TYPE_TIMESTAMP &&
	           strcmp(back.tables[0].cols[1].type_name, "timestamptz") == 0 &&
	           back.tables[0].time_col == 1 && back.nexcl == 1 &&
	           back.excl[0].to == 1750003600 && back.has_since && !back.has_until,
	   "MANIFEST keeps tables, columns, types, window and exclusions");
	is_int(xp_dump_reader_next_table(r, &t, &err), 1, "first table");
	is_int(xp_dump_reader_next_table(r, &t, &err), 1,
	       "second table, skipping the first's rows");
	is_int(xp_dump_reader_next_table(r, &t, &err), 0, "end, SUMMARY checked");
	ok(xp_dump_reader_manifest(r)->have_summary &&
	           xp_dump_reader_manifest(r)->tables[0].rows == NROWS,
	   "SUMMARY is in the manifest after the end");
	xp_dump_reader_free(r);
	close(fd);
	xp_manifest_free(&m);
}

static void damage(const char *path)
{
	char bad[4096 + 64];
	size_t len, cuts[4];
	char *buf = slurp(path, &len), *p, *s;
	struct xp_err err;
	int rows_ok, rc;

	snprintf(bad, sizeof bad, "%s.bad", path);
	/* a changed letter in the CSV: still valid CSV, but not what SUMMARY hashed */
	p = find(buf, len, "row-000123", 10);
	*p = 'R';
	spill(bad, buf, len);
	rc = read_stream(bad, &rows_ok, &err);
	is_int(rc, XP_EINTEGRITY, "reader detects a changed byte: %s", err.msg);
	*p = 'r';
	/* SUMMARY claiming another row count */
	s = find(buf, len, "table\taudit\t200\t", 16);
	s[13] = '1';
	spill(bad, buf, len);
	rc = read_stream(bad, &rows_ok, &err);
	is_int(rc, XP_EINTEGRITY, "reader detects a SUMMARY row count mismatch: %s", err.msg);
	s[13] = '0';
	/* cut short: inside MANIFEST, inside a chunk, at SUMMARY, before the end blocks */
	cuts[0] = 700;
	cuts[1] = (size_t)(p - buf);
	cuts[2] = (size_t)(s - buf) - 600;
	cuts[3] = (size_t)(s - buf) + 200;
	for (size_t i = 0; i < 4; i++) {
		spill(bad, buf, cuts[i]);
		rc = read_stream(bad, &rows_ok, &err);
		ok(rc == XP_EINTEGRITY && strstr(err.msg, "truncated"),
		   "reader reports a stream cut at byte %zu as truncated: %s", cuts[i], err.msg);
	}
	{
		/* after SUMMARY and its padding: no end blocks, one, both (no record padding) */
		char *sum = find(buf, len, "xpdump-summary", 14);
		size_t end = ((size_t)(sum - buf) + strlen(sum) + 511) / 512 * 512;

		for (size_t k = 0; k < 2; k++) {
			spill(bad, buf, end + 512 * k);
			rc = read_stream(bad, &rows_ok, &err);
			ok(rc == XP_EINTEGRITY && strstr(err.msg, "no end-of-archive"),
			   "reader refuses a stream with %zu of its 2 end blocks: %s", k, err.msg);
		}
		spill(bad, buf, end + 1024);
		rc = read_stream(bad, &rows_ok, &err);
		ok(rc == 0, "reader takes a stream that stops right after its end blocks%s%s",
		   rc ? ": " : "", rc ? err.msg : "");
	}
	spill(bad, "", 0);
	is_int(read_stream(bad, &rows_ok, &err), XP_EINTEGRITY, "reader refuses an empty stream");
	unlink(bad);
	free(buf);
}

static int tap_split(const char *buf, size_t len, unsigned seed, size_t maxstep,
                     struct xp_dump_brief *b)
{
	struct xp_dump_tap *tap = xp_dump_tap_new();
	size_t off = 0;
	int r;

	srand(seed);
	while (off < len) {
		size_t n = maxstep == 1 ? 1 : 1 + (size_t)rand() % maxstep;

		if (n > len - off)
			n = len - off;
		xp_dump_tap_feed(tap, buf + off, n);
		off += n;
	}
	r = xp_dump_tap_result(tap, b);
	xp_dump_tap_free(tap);
	return r;
}

static void tap(const char *path)
{
	struct xp_dump_brief b;
	size_t len;
	char *buf = slurp(path, &len), *junk;
	int good = 1;

	is_int(tap_split(buf, len, 1, len, &b), 1, "tap recognizes the stream fed at once");
	is_str(b.source, "Driver=SQLite3;Database=/x\tdb;PWD=***", "tap gives the source");
	ok(b.tables == 2 && b.rows == NROWS && b.has_time && b.oldest == 1750000000 &&
	           b.newest == 1750000000 + (NROWS - 1) * 3600,
	   "tap gives tables, rows, oldest and newest time");
	is_int(tap_split(buf, len, 1, 1, &b), 1, "tap recognizes it fed one byte at a time");
	for (unsigned seed = 1; seed <= 50 && good; seed++)
		good = tap_split(buf, len, seed, 1 + seed * 97, &b) == 1 && b.rows == NROWS;
	ok(good, "tap recognizes it in 50 random splits");
	{
		/* right after SUMMARY and its padding: no end-of-archive blocks */
		char *sum = find(buf, len, "xpdump-summary", 14);
		size_t cut = ((size_t)(sum - buf) + strlen(sum) + 511) / 512 * 512;

		is_int(tap_split(buf, cut, 1, 4096, &b), 0,
		       "tap says no for a stream cut before its end blocks");
	}
	is_int(tap_split(buf, len / 2, 1, 4096, &b), 0, "tap says no for half a stream");
	junk = malloc(len);
	for (size_t i = 0; i < len; i++)
		junk[i] = (char)(i * 7 + 3);
	is_int(tap_split(junk, len, 1, 4096, &b), 0, "tap says no for bytes that are no tar");
	memset(junk, 0, len);
	is_int(tap_split(junk, len, 1, 4096, &b), 0, "tap says no for zeros");
	free(junk);
	free(buf);
}

/* A table name longer than ustar holds: chunk names go into pax 'x' headers. */
static void long_name(const char *path)
{
	struct xp_manifest m;
	struct xp_dump_writer *w = NULL;
	struct xp_dump_reader *r = NULL;
	struct xp_dump_brief b;
	struct xp_err err;
	struct xp_field f[1] = {{"7", 1, 0}};
	char name[200], *buf;
	size_t len, t;
	int fd = xp_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	make_manifest(&m);
	free(m.tables[1].name);
	m.tables[1].name = strdup(name);
	rc = xp_dump_writer_open(&w, fd, "test", &m, 0, &err);
	for (int i = 0; !rc && i < 3; i++)
		rc = xp_dump_writer_row(w, 1, f, &err);
	if (!rc)
		rc = xp_dump_writer_finish(w, &err);
	xp_dump_writer_free(w);
	close(fd);
	xp_manifest_free(&m);
	is_int(rc, 0, "writer takes a 199-byte table name");
	buf = slurp(path, &len);
	ok(find(buf, len, "path=", 5) != NULL, "the chunk name is in a pax extended header");
	ok(tap_split(buf, len, 7, 1, &b) == 1 && b.rows == 3 && b.tables == 2,
	   "tap follows pax headers, fed one byte at a time");
	free(buf);
	fd = xp_os_open(path, O_RDONLY, 0);
	rc = xp_dump_reader_open(&r, fd, &err);
	while (!rc && (rc = xp_dump_reader_next_table(r, &t, &err)) == 1)
		rc = 0;
	is_int(rc, 0, "reader reads the long-named table and checks SUMMARY");
	xp_dump_reader_free(r);
	close(fd);
}

static void bad_input(const char *path)
{
	struct xp_manifest m, m2;
	struct xp_dump_writer *w = NULL;
	struct xp_err err;
	int fd = xp_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	make_manifest(&m);
	is_int(xp_dump_writer_open(&w, fd, "test", &m, 100, &err), XP_EUSAGE,
	       "writer refuses a chunk size below the minimum");
	is_int(xp_manifest_parse("xpdump-manifest\t1\nsource\tx\n", 27, &m2, &err), XP_EINTEGRITY,
	       "MANIFEST without end is refused");
	is_int(xp_manifest_parse("xpdump-manifest\t9\n", 18, &m2, &err), XP_EINTEGRITY,
	       "MANIFEST of an unknown version is refused");
	xp_manifest_free(&m);
	close(fd);
}

/* Rows larger than a chunk's shared slot, growing (the chunk in private memory grows and
 * moves), between small ones: each comes back whole. */
static void big_rows(const char *path)
{
	static const size_t sizes[] = {10, 100000, 500000, 3, 2000000, 200000, 7};
	const size_t n = sizeof sizes / sizeof *sizes;
	struct xp_dump_writer *w = NULL;
	struct xp_dump_reader *r = NULL;
	const struct xp_field *row;
	struct xp_manifest m;
	struct xp_err err;
	char id[32], ts[40], *msg = malloc(2000001);
	struct xp_field f[3];
	size_t t, got = 0;
	int fd = xp_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc, same = 1;

	make_manifest(&m);
	rc = xp_dump_writer_open(&w, fd, "test", &m, 1024, &err);
	for (size_t i = 0; !rc && i < n; i++) {
		make_row((int)i + 100, f, id, ts, msg);
		memset(msg, 'a' + (int)i, sizes[i]);
		f[2] = (struct xp_field){msg, sizes[i], 0};
		rc = xp_dump_writer_row(w, 0, f, &err);
	}
	if (!rc)
		rc = xp_dump_writer_finish(w, &err);
	xp_dump_writer_free(w);
	close(fd);
	is_int(rc, 0, "rows of 3 B to 2 MB, growing, written with 1 KiB chunks%s%s", rc ? ": " : "",
	       rc ? err.msg : "");
	fd = xp_os_open(path, O_RDONLY, 0);
	rc = xp_dump_reader_open(&r, fd, &err);
	if (!rc && (rc = xp_dump_reader_next_table(r, &t, &err)) == 1)
		while ((rc = xp_dump_reader_next_row(r, &row, &err)) == 1) {
			if (got >= n || row[2].len != sizes[got])
				same = 0;
			for (size_t k = 0; same && k < row[2].len; k++)
				same = row[2].p[k] == 'a' + (int)got;
			got++;
		}
	while (rc == 0 && (rc = xp_dump_reader_next_table(r, &t, &err)) == 1)
		while ((rc = xp_dump_reader_next_row(r, &row, &err)) == 1)
			;
	ok(rc == 0 && same && got == n, "and every one reads back whole (%zu of %zu)%s%s", got, n,
	   rc ? ": " : "", rc ? err.msg : "");
	xp_dump_reader_free(r);
	close(fd);
	xp_manifest_free(&m);
	free(msg);
}

/* Time columns per table: version 1 while one column name dates every table that has a time
 * column, version 2 (a column on each table line) once they differ; both read back. */
static void time_columns(void)
{
	struct xp_manifest m, back;
	struct xp_err err;
	char *text = NULL, *sum = NULL;
	size_t len = 0, slen = 0;

	make_manifest(&m);
	is_int(xp_manifest_format(&m, &text, &len, &err), 0, "MANIFEST with one time column");
	ok(strncmp(text, "xpdump-manifest\t1\n", 18) == 0 && strstr(text, "\ntime-column\tts\n") &&
	           strstr(text, "\ntable\taudit\n"),
	   "one shared time column is written as version 1, which older readers read");
	free(text);
	m.tables[1].time_column = strdup("x");
	m.tables[1].time_col = 0;
	is_int(xp_manifest_format(&m, &text, &len, &err), 0, "MANIFEST with two time columns");
	ok(strncmp(text, "xpdump-manifest\t2\n", 18) == 0 && !strstr(text, "time-column") &&
	           strstr(text, "\ntable\taudit\tts\n") && strstr(text, "\ntable\tapp.empty\tx\n"),
	   "a time column per table is written as version 2, on each table line");
	is_int(xp_manifest_parse(text, len, &back, &err), 0, "version 2 reads back");
	ok(back.version == 2 && strcmp(back.tables[0].time_column, "ts") == 0 &&
	           back.tables[0].time_col == 1 && strcmp(back.tables[1].time_column, "x") == 0 &&
	           back.tables[1].time_col == 0,
	   "each table keeps its own time column");
	is_int(xp_summary_format(&m, &sum, &slen, &err), 0, "SUMMARY of a version 2 stream");
	ok(strncmp(sum, "xpdump-summary\t2\n", 17) == 0, "SUMMARY carries the same version");
	is_int(xp_summary_parse(sum, slen, &back, &err), 0, "and reads back with its MANIFEST");
	xp_manifest_free(&back);
	free(text);
	text = xp_asprintf("xpdump-manifest\t2\nsource\tx\nstarted\t2026-01-01T00:00:00Z\n"
	                   "table\tt\tnope\ncolumn\ta\t4\tINTEGER\tint\t10\t0\t1\nend\n");
	is_int(xp_manifest_parse(text, strlen(text), &back, &err), XP_EINTEGRITY,
	       "a time column the table does not have is refused");
	is_str(err.msg, "MANIFEST: table t has no column nope", "and named");
	free(text);
	text = xp_asprintf("xpdump-manifest\t1\nsource\tx\nstarted\t2026-01-01T00:00:00Z\n"
	                   "table\tt\tts\ncolumn\tts\t4\tINTEGER\tint\t10\t0\t1\nend\n");
	is_int(xp_manifest_parse(text, strlen(text), &back, &err), XP_EINTEGRITY,
	       "version 1 has no time column on a table line");
	free(text);
	free(sum);
	xp_manifest_free(&m);
}

int main(void)
{
	char path[64];

	if (!xp_os_mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/stream.tar", dir);
	round_trip(path);
	damage(path);
	tap(path);
	bad_input(path);
	time_columns();
	long_name(path);
	big_rows(path);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
