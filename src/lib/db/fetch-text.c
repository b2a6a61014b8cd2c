/* A fetched value in the dump's text form: floats as the shortest exact text, UTF-16 as
 * UTF-8, binary as \x hex, SQL Server's times in ISO form. */
#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"
#include "base/encode.h"
#include "base/time.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t xp_odbc_format_double(double d, int as_float, char buf[32])
{
	int p0 = as_float ? 6 : 15, p1 = as_float ? 9 : 17;
	int n = 0;

	if (isnan(d))
		return (size_t)snprintf(buf, 32, "NaN");
	if (isinf(d))
		return (size_t)snprintf(buf, 32, d < 0 ? "-Infinity" : "Infinity");
	/* subnormals carry fewer digits: search them from one */
	if (d != 0 && fabs(d) < (as_float ? FLT_MIN : DBL_MIN))
		p0 = 1;
	/* %g strips trailing zeros, so the first precision that reads back is the shortest */
	for (int p = p0; p <= p1; p++) {
		n = snprintf(buf, 32, "%.*g", p, d);
		if (as_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	return (size_t)n;
}

size_t xp_odbc_utf16_to_utf8(const SQLWCHAR *w, size_t n, char *out)
{
	unsigned char *o = (unsigned char *)out;

	for (size_t i = 0; i < n; i++) {
		uint32_t u = w[i];

		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n && w[i + 1] >= 0xDC00 &&
		    w[i + 1] <= 0xDFFF) {
			u = 0x10000 + ((u - 0xD800) << 10) + (w[i + 1] - 0xDC00u);
			i++;
		} else if (u >= 0xD800 && u <= 0xDFFF) {
			u = 0xFFFD;
		}
		if (u < 0x80) {
			*o++ = (unsigned char)u;
		} else if (u < 0x800) {
			*o++ = (unsigned char)(0xC0 | u >> 6);
			*o++ = (unsigned char)(0x80 | (u & 0x3F));
		} else if (u < 0x10000) {
			*o++ = (unsigned char)(0xE0 | u >> 12);
			*o++ = (unsigned char)(0x80 | (u >> 6 & 0x3F));
			*o++ = (unsigned char)(0x80 | (u & 0x3F));
		} else {
			*o++ = (unsigned char)(0xF0 | u >> 18);
			*o++ = (unsigned char)(0x80 | (u >> 12 & 0x3F));
			*o++ = (unsigned char)(0x80 | (u >> 6 & 0x3F));
			*o++ = (unsigned char)(0x80 | (u & 0x3F));
		}
	}
	return (size_t)(o - (unsigned char *)out);
}

/* SQL Server's dates and times as FreeTDS prints them, in ISO form: the year in four digits
 * (it prints year 1 as "1-01-01") and a datetimeoffset's offset without the space before it
 * ("2026-01-02 03:04:05.1234567 +02:00"). */
static int mssql_time(struct col *k, const char *raw, size_t len, struct xp_field *f)
{
	size_t y = 0, o = 0;

	while (y < len && raw[y] >= '0' && raw[y] <= '9')
		y++;
	if (xp_odbc_grow(&k->out, &k->outcap, len + 4))
		return -1;
	if (y < len && raw[y] == '-')
		for (; y < 4; y++)
			k->out[o++] = '0';
	if (len > 7 && raw[len - 7] == ' ' && (raw[len - 6] == '+' || raw[len - 6] == '-')) {
		memcpy(k->out + o, raw, len - 7);
		memcpy(k->out + o + len - 7, raw + len - 6, 6);
		o += len - 1;
	} else {
		memcpy(k->out + o, raw, len);
		o += len;
	}
	f->p = k->out;
	f->len = o;
	return 0;
}

/* Writes v in decimal, zero-padded to width digits (more when v needs them); returns the
 * digits written. */
static size_t put_uint(char *o, unsigned long v, unsigned width)
{
	unsigned n = 1;

	for (unsigned long t = v; t >= 10; t /= 10)
		n++;
	if (n < width)
		n = width;
	for (unsigned i = n; i > 0; i--) {
		o[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	return n;
}

/* A timestamp as MariaDB Connector/ODBC prints it: digits of the fraction as the column
 * declares, none for 0; a zero date, which it gives as NULL (len 0), as zeros. */
static size_t timestamp(const struct col *k, const char *raw, size_t len, char *out)
{
	SQL_TIMESTAMP_STRUCT ts = {0};
	unsigned long frac;
	char *o = out;

	if (len == sizeof ts)
		memcpy(&ts, raw, sizeof ts);
	o += put_uint(o, ts.year, 4);
	*o++ = '-';
	o += put_uint(o, ts.month, 2);
	*o++ = '-';
	o += put_uint(o, ts.day, 2);
	*o++ = ' ';
	o += put_uint(o, ts.hour, 2);
	*o++ = ':';
	o += put_uint(o, ts.minute, 2);
	*o++ = ':';
	o += put_uint(o, ts.second, 2);
	if (k->digits > 0) {
		/* nanoseconds, cut to the digits declared */
		frac = ts.fraction;
		for (int d = k->digits; d < 9; d++)
			frac /= 10;
		*o++ = '.';
		o += put_uint(o, frac, (unsigned)k->digits);
	}
	return (size_t)(o - out);
}

/* Turns a fetched value (len bytes at raw) into the field's text form. */
int xp_odbc_text(struct col *k, const char *raw, size_t len, struct xp_field *f)
{
	size_t need;

	f->null = 0;
	switch (k->ctype) {
	case SQL_C_DOUBLE:
	case SQL_C_TYPE_TIMESTAMP: need = 40; break;
	case SQL_C_WCHAR: need = len / sizeof(SQLWCHAR) * 3; break;
	case SQL_C_BINARY: need = 2 + 2 * len; break;
	default: /* text as the driver gave it */
		if (k->bitbyte && len == 1 && (raw[0] == 0 || raw[0] == 1)) {
			f->p = raw[0] ? "1" : "0";
			f->len = 1;
			return 0;
		}
		if (k->sqlite_real) {
			/* a real printed with 20 digits, in its shortest exact form; an integer
			 * (no '.', no exponent) or text (not all a number) as it is */
			char t[48], *end;
			double d;

			if (len && len < sizeof t &&
			    (memchr(raw, '.', len) || memchr(raw, 'e', len) ||
			     memchr(raw, 'I', len))) {
				memcpy(t, raw, len);
				t[len] = '\0';
				d = strtod(t, &end);
				if (end == t + len) {
					if (xp_odbc_grow(&k->out, &k->outcap, 32))
						return -1;
					f->len = xp_odbc_format_double(d, 0, k->out);
					f->p = k->out;
					return 0;
				}
			}
			f->p = raw;
			f->len = len;
			return 0;
		}
		if (k->lower) { /* most drivers print GUIDs in lower case already */
			size_t i = 0;

			while (i < len && !(raw[i] >= 'A' && raw[i] <= 'Z'))
				i++;
			if (i == len) {
				f->p = raw;
				f->len = len;
				return 0;
			}
		}
		if (k->mssql_time)
			return mssql_time(k, raw, len, f);
		if (!k->lower) {
			f->p = raw;
			f->len = len;
			return 0;
		}
		need = len + 3;
		break;
	}
	if (xp_odbc_grow(&k->out, &k->outcap, need + 1))
		return -1;
	if (k->ctype == SQL_C_TYPE_TIMESTAMP) {
		f->len = timestamp(k, raw, len, k->out);
	} else if (k->ctype == SQL_C_DOUBLE) {
		double d;

		memcpy(&d, raw, sizeof d);
		f->len = xp_odbc_format_double(d, k->cls == XP_CLASS_REAL, k->out);
	} else if (k->ctype == SQL_C_WCHAR) {
		SQLWCHAR *w = (SQLWCHAR *)(void *)raw;

		f->len = xp_odbc_utf16_to_utf8(w, len / sizeof(SQLWCHAR), k->out);
	} else if (k->ctype != SQL_C_BINARY) {
		for (size_t i = 0; i < len; i++)
			k->out[i] = k->lower && raw[i] >= 'A' && raw[i] <= 'Z' ? (char)(raw[i] + 32)
			                                                       : raw[i];
		f->len = len;
	} else {
		k->out[0] = '\\';
		k->out[1] = 'x';
		xp_hex((const uint8_t *)raw, len, k->out + 2); /* out holds need + 1 bytes */
		f->len = need;
	}
	f->p = k->out;
	return 0;
}
