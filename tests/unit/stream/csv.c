/* CSV encoding and incremental decoding. */
#include "config.h"

#include "stream/csv.h"

#include "../tap.h"
#include "base/err.h"

#include <stdlib.h>

#define F(s)                                                                                       \
	{                                                                                          \
		s, sizeof s - 1, 0                                                                 \
	}
#define NUL                                                                                        \
	{                                                                                          \
		"", 0, 1                                                                           \
	}

struct row {
	const char *name;
	struct xp_field f[4];
	size_t n;
	const char *csv;
};

static const struct row rows[] = {
        {"plain fields", {F("a"), F("bc"), F("1.5")}, 3, "a,bc,1.5\n"},
        {"NULL is an unquoted empty field", {NUL, F("x"), NUL}, 3, ",x,\n"},
        {"empty string is \"\"", {F(""), NUL}, 2, "\"\",\n"},
        {"one NULL field", {NUL}, 1, "\n"},
        {"embedded quotes doubled", {F("say \"hi\"")}, 1, "\"say \"\"hi\"\"\"\n"},
        {"comma quoted", {F("a,b"), F("c")}, 2, "\"a,b\",c\n"},
        {"LF quoted", {F("a\nb")}, 1, "\"a\nb\"\n"},
        {"CR quoted", {F("a\rb")}, 1, "\"a\rb\"\n"},
        {"CRLF quoted", {F("a\r\nb"), F("z")}, 2, "\"a\r\nb\",z\n"},
        {"leading space quoted", {F(" a")}, 1, "\" a\"\n"},
        {"trailing tab quoted", {F("a\t")}, 1, "\"a\t\"\n"},
        {"inner space plain", {F("a b")}, 1, "a b\n"},
        {"UTF-8 multi-byte plain", {F("日本語 😀"), F("é")}, 2, "日本語 😀,é\n"},
        {"backslash-dot quoted for COPY", {F("\\.")}, 1, "\"\\.\"\n"},
        {"binary hex plain", {F("\\x00ff")}, 1, "\\x00ff\n"},
        {"lone quote", {F("\"")}, 1, "\"\"\"\"\n"},
};

static int same_row(const struct xp_field *a, size_t na, const struct xp_field *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		if (a[i].null != b[i].null || a[i].len != b[i].len)
			return 0;
		if (a[i].len && memcmp(a[i].p, b[i].p, a[i].len) != 0)
			return 0;
	}
	return 1;
}

/* Decodes text fed in pieces of at most step bytes; checks each row against want. */
static int decode_all(const char *text, size_t len, size_t step, const struct row *want,
                      size_t nwant)
{
	struct xp_csv_dec d;
	struct xp_err err;
	const struct xp_field *f;
	size_t nf, got = 0, off = 0, used;
	int rc, good = 1;

	xp_csv_dec_init(&d, 0);
	while (off < len && good) {
		size_t n = len - off < step ? len - off : step;
		size_t k = 0;

		while (k < n) {
			rc = xp_csv_dec_feed(&d, text + off + k, n - k, &used, &f, &nf, &err);
			k += used;
			if (rc < 0) {
				good = 0;
				break;
			}
			if (rc == 1 && (got >= nwant || !same_row(f, nf, want[got].f, want[got].n)))
				good = 0;
			got += rc == 1;
		}
		off += n;
	}
	if (good && xp_csv_dec_end(&d, &f, &nf, &err) != 0)
		good = 0;
	xp_csv_dec_free(&d);
	return good && got == nwant;
}

static void encode(void)
{
	char buf[256];
	size_t n;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		n = xp_csv_encode_row(buf, rows[i].f, rows[i].n);
		ok(n <= xp_csv_row_bound(rows[i].f, rows[i].n) && n == strlen(rows[i].csv) &&
		           memcmp(buf, rows[i].csv, n) == 0,
		   "encode: %s", rows[i].name);
	}
}

static void decode(void)
{
	size_t total = 0, nrows = sizeof rows / sizeof rows[0];
	char *all;
	int good = 1;

	for (size_t i = 0; i < nrows; i++) {
		ok(decode_all(rows[i].csv, strlen(rows[i].csv), 1 << 20, &rows[i], 1), "decode: %s",
		   rows[i].name);
		total += strlen(rows[i].csv);
	}
	all = malloc(total + 1);
	all[0] = '\0';
	for (size_t i = 0; i < nrows; i++)
		strcat(all, rows[i].csv);
	for (size_t step = 1; step <= total && good; step++)
		good = decode_all(all, total, step, rows, nrows);
	ok(good, "decode: all rows fed in pieces of every size 1..%zu", total);
	free(all);
}

static void decode_quirks(void)
{
	static const struct row crlf[] = {{"", {F("a"), F("b")}, 2, ""}, {"", {F("c")}, 1, ""}};
	static const struct row last[] = {{"", {F("a"), NUL}, 2, ""}};
	static const char *bad[] = {"\"abc\n", "a\"b\n", "\"a\"b\n", "a\rb\n"};
	struct xp_csv_dec d;
	struct xp_err err;
	const struct xp_field *f;
	size_t nf, used;
	int rc;

	ok(decode_all("a,b\r\nc\r\n", 8, 1, crlf, 2), "decode: CRLF row ends, fed byte by byte");
	xp_csv_dec_init(&d, 0);
	rc = xp_csv_dec_feed(&d, "a,", 2, &used, &f, &nf, &err);
	ok(rc == 0 && xp_csv_dec_end(&d, &f, &nf, &err) == 1 && same_row(f, nf, last[0].f, 2),
	   "decode: a last row without line end comes from dec_end");
	xp_csv_dec_free(&d);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		xp_csv_dec_init(&d, 0);
		rc = xp_csv_dec_feed(&d, bad[i], strlen(bad[i]), &used, &f, &nf, &err);
		if (rc == 0)
			rc = xp_csv_dec_end(&d, &f, &nf, &err);
		is_int(rc, XP_EINTEGRITY, "decode refuses malformed input %zu", i);
		xp_csv_dec_free(&d);
	}
	xp_csv_dec_init(&d, 100);
	{
		char big[300];

		memset(big, 'x', sizeof big);
		rc = xp_csv_dec_feed(&d, big, sizeof big, &used, &f, &nf, &err);
		is_int(rc, XP_EINTEGRITY, "decode refuses a row over its bound");
	}
	xp_csv_dec_free(&d);
}

static void long_field(void)
{
	size_t n = 3u << 20;
	char *v = malloc(n), *enc;
	struct xp_field in[2] = {{NULL, 0, 0}, {"tail", 4, 0}};
	struct row want;
	size_t len;

	for (size_t i = 0; i < n; i++)
		v[i] = "ab\"c,\n"[i % 6];
	in[0].p = v;
	in[0].len = n;
	enc = malloc(xp_csv_row_bound(in, 2));
	len = xp_csv_encode_row(enc, in, 2);
	memset(&want, 0, sizeof want);
	want.f[0] = in[0];
	want.f[1] = in[1];
	want.n = 2;
	ok(decode_all(enc, len, 4093, &want, 1),
	   "a 3 MiB field with quotes and newlines round-trips");
	free(enc);
	free(v);
}

/* The plain reference: quoted when empty, edged with space or tab, "\." or holding any of
 * , " LF CR; quotes doubled. */
static size_t encode_ref(char *o, const char *p, size_t n)
{
	int q = n == 0 || p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t' ||
	        (n == 2 && p[0] == '\\' && p[1] == '.');
	char *s = o;

	for (size_t i = 0; i < n; i++)
		q |= p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
	if (q)
		*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			*o++ = '"';
		*o++ = p[i];
	}
	if (q)
		*o++ = '"';
	*o++ = '\n';
	return (size_t)(o - s);
}

/* Fields of every length up to 70 (the vector steps are 4, 8 and 16 bytes) with each special
 * byte at each place, each in a buffer ending at its last byte, against the reference. */
static void encode_every_place(void)
{
	static const char specials[] = ",\"\n\r \t";
	size_t bad = 0, cases = 0;

	for (size_t n = 0; n <= 70; n++)
		for (size_t at = 0; at <= n; at++)
			for (size_t k = 0; k < sizeof specials - 1 + (at == n); k++) {
				char *v = malloc(n ? n : 1), got[200], want[200];
				struct xp_field f;
				size_t gl, wl;

				for (size_t i = 0; i < n; i++)
					v[i] = (char)('a' + i % 26);
				if (at < n)
					v[at] = specials[k];
				f = (struct xp_field){v, n, 0};
				gl = xp_csv_encode_row(got, &f, 1);
				wl = encode_ref(want, v, n);
				cases++;
				if (gl != wl || memcmp(got, want, wl) != 0 ||
				    gl > xp_csv_row_bound(&f, 1))
					bad++;
				free(v);
			}
	ok(bad == 0, "encode: %zu fields of 0..70 bytes, a special byte at every place: %zu differ",
	   cases, bad);
}

int main(void)
{
	encode();
	encode_every_place();
	decode();
	decode_quirks();
	long_field();
	return done_testing();
}
