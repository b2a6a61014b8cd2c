#include "config.h"

#include "db/load-int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/dump.h"
#include "base/err.h"
#include "base/str.h"

/* One bound parameter column: an array of rows of width bytes each. */
struct pcol {
	SQLSMALLINT ctype, sqltype, digits;
	SQLULEN size;
	int bit;     /* normalise booleans to 1/0 */
	int bitbyte; /* ... and send them as one byte 0 or 1 (into MariaDB's BIT(1)) */
	int single;  /* a float into MariaDB's FLOAT: sent as the exact double of the float */
	int binary;  /* a float sent as its bytes: SQL_C_DOUBLE or SQL_C_FLOAT (SQL Server) */
	char check;  /* what the target column holds: 'i' integers in [lo, hi], 't' time of day
	              * (0 to 24 hours), 'm' MariaDB's time (-838:59:59 to 838:59:59), 'b' a
	              * bit (1, 0, true, false...), 'y' a date of years 1 to 9999 without a zone
	              * but UTC's, 'z' such a date with any zone (SQL Server's datetimeoffset),
	              * 'n' decimals of lo digits, hi of them after the point (SQL Server's
	              * decimal, which rounds the others away), 'f' a finite float (SQL Server's
	              * float and real hold no NaN or infinity), 0 any */
	int fdigits; /* digits of a second's fraction the target's time holds, -1 any */
	int64_t lo;
	uint64_t hi;
	const char *target; /* the target column's type name, for messages (in b->tcols) */
	size_t width;       /* bytes per row */
	char *buf;          /* cap * width (owned) */
	SQLLEN *ind;        /* cap (owned) */
};

/* The INSERT of one table and its parameter arrays. */
struct batch {
	struct xp_odbc *c;
	const struct xp_dump_table *t;
	const char *prefix; /* xp_load_opts.prefix */
	int key;            /* column of xp_load_opts.skip_key, or -1 */
	SQLHSTMT st;
	struct pcol *pc;      /* t->ncols (owned) */
	SQLUSMALLINT *status; /* cap (owned) */
	SQLULEN processed;
	struct xp_column *tcols; /* the target table as the database describes it (owned) */
	size_t ntcols;
	size_t n, cap;   /* rows filled, rows that fit */
	size_t max_rows; /* rows per execute this driver gets right */
	int rebind;      /* bind again before each execute */
	SQLHSTMT multi;  /* INSERT of mrows rows in one VALUES list, or null */
	size_t mrows;
	uint64_t done; /* rows of this table executed */
};

static int is_text_type(int t)
{
	return t == SQL_CHAR || t == SQL_VARCHAR || t == SQL_LONGVARCHAR || t == SQL_WCHAR ||
	       t == SQL_WVARCHAR || t == SQL_WLONGVARCHAR;
}

static int is_binary_type(int t)
{
	return t == SQL_BINARY || t == SQL_VARBINARY || t == SQL_LONGVARBINARY;
}

static size_t initial_width(const struct xp_column *col)
{
	switch (xp_column_type_class(col->sql_type)) {
	case 'i':
	case 'o': return 24;
	case 'n': return col->size && col->size < 1000 ? (size_t)col->size + 3 : 64;
	case 'f':
	case 'r': return 32;
	case 'd':
	case 'g': return 48;
	default: return col->size && col->size < 256 ? (size_t)col->size * 4 + 1 : 256;
	}
}

static void pcol_setup(struct pcol *p, const struct xp_column *col, enum xp_load_family f,
                       enum xp_load_family src)
{
	int t = xp_load_effective_type(col);

	p->bit = t == SQL_BIT;
	p->ctype = is_binary_type(t) ? SQL_C_BINARY : SQL_C_CHAR;
	/* the value travels as text; the driver converts it for the column (an unsigned
	 * bigint as text: no driver converts 2^63 and above to its bigint) */
	p->sqltype = t == SS_TIMESTAMPOFFSET || t == XP_LOAD_ANY_DECIMAL ||
	                             (t == SQL_BIGINT && xp_load_unsigned(src, col))
	                     ? SQL_VARCHAR
	                     : (SQLSMALLINT)col->sql_type;
	if (p->bit)
		p->sqltype = SQL_BIT;
	/* MariaDB Connector/ODBC reads a time parameter as a time of day (and refuses its
	 * fraction): its server reads text as the whole TIME, -838:59:59.999999 and on */
	if (f == FAM_MYSQL && (t == SQL_TYPE_TIME || t == SQL_TIME))
		p->sqltype = SQL_VARCHAR;
	/* psqlODBC reads a date or timestamp parameter into its own struct, which holds no
	 * year before 1 or past 9999 and no infinity: PostgreSQL reads the text itself */
	if (f == FAM_PG &&
	    (t == SQL_TYPE_DATE || t == SQL_TYPE_TIMESTAMP || t == SQL_DATE || t == SQL_TIMESTAMP))
		p->sqltype = SQL_VARCHAR;
	/* FreeTDS converts a decimal's text itself, to at most 38 digits: SQL Server reads the
	 * text (check_field has made sure the column holds it) */
	if (f == FAM_MSSQL && (t == SQL_NUMERIC || t == SQL_DECIMAL))
		p->sqltype = SQL_VARCHAR;
	/* FreeTDS (1.3) reads the year 0001 of a date's text as 2001: SQL Server reads the
	 * text itself */
	if (f == FAM_MSSQL &&
	    (t == SQL_TYPE_DATE || t == SQL_TYPE_TIME || t == SQL_TYPE_TIMESTAMP || t == SQL_DATE ||
	     t == SQL_TIME || t == SQL_TIMESTAMP || t == SS_TIME2))
		p->sqltype = SQL_VARCHAR;
	/* FreeTDS sends text bound as varchar in the server's code page (a character it lacks
	 * ends the row's parameters) and bytes bound as binary as binary(n), which SQL Server
	 * pads with zeros to n: text goes as nvarchar, bytes as varbinary */
	if (f == FAM_MSSQL && is_text_type(p->sqltype))
		p->sqltype = SQL_WVARCHAR;
	if (f == FAM_MSSQL && is_binary_type(p->sqltype))
		p->sqltype = SQL_VARBINARY;
	p->size = (SQLULEN)col->size;
	p->digits = (SQLSMALLINT)col->digits;
	p->width = initial_width(col);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Bytes field f needs in column p's buffer, or XP_EINTEGRITY for binary that is not \x hex. */
static int field_need(const struct batch *b, size_t i, const struct xp_field *f, size_t *need,
                      struct xp_err *err)
{
	if (f->null || b->pc[i].bitbyte) {
		*need = f->null ? 0 : 1;
		return 0;
	}
	if (b->pc[i].single) {
		*need = f->len + 1 > 32 ? f->len + 1 : 32;
		return 0;
	}
	if (b->pc[i].binary) {
		*need = b->pc[i].width;
		return 0;
	}
	if (b->pc[i].ctype == SQL_C_BINARY) {
		if (f->len < 2 || f->p[0] != '\\' || f->p[1] != 'x' || f->len % 2)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "%s: row %llu: column %s: not \\x hex", b->t->name,
			                  (unsigned long long)(b->done + b->n + 1),
			                  b->t->cols[i].name);
		*need = (f->len - 2) / 2;
		return 0;
	}
	/* room for the ":00" a zone "+HH" gets (see put_field) */
	*need = f->len + 1 + (b->pc[i].check == 'z' ? 3 : 0);
	return 0;
}

/* What column i's target holds, from its description tc (NULL: not described). */
static void set_check(struct pcol *p, enum xp_load_family f, const struct xp_column *tc)
{
	int u;

	p->check = 0;
	p->fdigits = -1;
	if (!tc)
		return;
	p->target = tc->type_name;
	u = xp_load_unsigned(f, tc);
	/* a time into a column of another type (PostgreSQL's interval holds MariaDB's TIME)
	 * goes as text, which the driver does not read as a time of day */
	if ((p->sqltype == SQL_TYPE_TIME || p->sqltype == SQL_TIME) &&
	    tc->sql_type != SQL_TYPE_TIME && tc->sql_type != SQL_TIME)
		p->sqltype = SQL_VARCHAR;
	switch (tc->sql_type) {
	case SQL_TINYINT:
	case SQL_SMALLINT:
	case SQL_INTEGER:
	case SQL_BIGINT:
		p->check = 'i';
		/* FreeTDS converts an integer's text to the bound type (SQL Server's tinyint is
		 * 0 to 255): the target's */
		if (f == FAM_MSSQL)
			p->sqltype = (SQLSMALLINT)tc->sql_type;
		p->lo = u ? 0 : INT64_MIN;
		p->hi = u ? UINT64_MAX : INT64_MAX;
		if (f == FAM_SQLITE) /* 64 bits whatever the declared name */
			break;
		if (tc->sql_type == SQL_TINYINT) {
			p->lo = u ? 0 : -128;
			p->hi = u ? 255 : 127;
		} else if (tc->sql_type == SQL_SMALLINT && strncasecmp(tc->type_name, "year", 4)) {
			p->lo = u ? 0 : -32768;
			p->hi = u ? 65535 : 32767;
		} else if (tc->sql_type == SQL_INTEGER &&
		           strncasecmp(tc->type_name, "mediumint", 9) == 0) {
			p->lo = u ? 0 : -8388608;
			p->hi = u ? 16777215 : 8388607;
		} else if (tc->sql_type == SQL_INTEGER) {
			p->lo = u ? 0 : INT32_MIN;
			p->hi = u ? UINT32_MAX : INT32_MAX;
		} else if (tc->sql_type != SQL_BIGINT) {
			p->check = 0; /* YEAR: the database says */
		}
		break;
	case SS_TIME2: /* SQL Server's time(n) */
	case SQL_TYPE_TIME:
	case SQL_TIME: p->check = f == FAM_MYSQL ? 'm' : f == FAM_SQLITE ? 0 : 't'; break;
	case SS_TIMESTAMPOFFSET: p->check = f == FAM_MSSQL ? 'z' : 0; break;
	case SQL_NUMERIC:
	case SQL_DECIMAL:
		if (f == FAM_MSSQL && tc->size >= 1 && tc->size <= 38 && tc->digits >= 0 &&
		    (uint64_t)tc->digits <= tc->size) {
			p->check = 'n';
			p->lo = (int64_t)tc->size;
			p->hi = (uint64_t)tc->digits;
		}
		break;
	case SQL_REAL:
	case SQL_FLOAT:
	case SQL_DOUBLE: p->check = f == FAM_MSSQL ? 'f' : 0; break;
	case SQL_TYPE_DATE:
	case SQL_TYPE_TIMESTAMP:
	case SQL_DATE:
	case SQL_TIMESTAMP: p->check = f == FAM_MYSQL || f == FAM_MSSQL ? 'y' : 0; break;
	case SQL_BIT:
		/* MariaDB Connector/ODBC 3.1 crashes converting text parameters for a BIT
		 * column in arrays: a BIT(1) gets the bit as a byte */
		if (f == FAM_MYSQL && p->bit && strcasecmp(tc->type_name, "bit") == 0) {
			p->check = 'b';
			p->bitbyte = 1;
			p->ctype = SQL_C_BINARY;
			p->sqltype = SQL_BINARY;
			p->size = 1;
		}
		break;
	}
	/* PostgreSQL's times hold microseconds, MariaDB's and SQL Server's the column's
	 * digits: a finer fraction (SQL Server's 100 ns) would be rounded, even into the next
	 * year */
	if (tc->sql_type == SQL_TYPE_TIME || tc->sql_type == SQL_TIME ||
	    tc->sql_type == SQL_TYPE_TIMESTAMP || tc->sql_type == SQL_TIMESTAMP ||
	    tc->sql_type == SS_TIME2 || tc->sql_type == SS_TIMESTAMPOFFSET)
		p->fdigits = f == FAM_PG ? 6 : f == FAM_MYSQL || f == FAM_MSSQL ? tc->digits : -1;
	/* MariaDB reads a FLOAT's text as a double and refuses one past FLT_MAX: the shortest
	 * text of the largest floats (3.4028235e+38) is such a double */
	p->single = f == FAM_MYSQL && tc->sql_type == SQL_REAL;
	/* FreeTDS converts a float's text itself and refuses what strtod says is out of range
	 * (subnormals, the shortest text of the largest reals): the value goes as its bytes */
	if (p->check == 'f') {
		p->binary = 1;
		p->ctype = tc->sql_type == SQL_REAL ? SQL_C_FLOAT : SQL_C_DOUBLE;
		p->sqltype = tc->sql_type == SQL_REAL ? SQL_REAL : SQL_DOUBLE;
		p->width = tc->sql_type == SQL_REAL ? sizeof(float) : sizeof(double);
	}
	/* the same crash for a boolean into MariaDB's BOOL (a TINYINT): it goes as the
	 * integer text 1 or 0 */
	if (f == FAM_MYSQL && p->bit && !p->bitbyte)
		p->sqltype = SQL_TINYINT;
}

/* Whether integer text s (n bytes) is in [lo, hi]; 1 also when s is not an integer at all
 * (the database judges that). */
static int int_fits(const char *s, size_t n, int64_t lo, uint64_t hi)
{
	uint64_t v = 0;
	size_t i = 0;
	int neg = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return 1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!neg)
		return v <= hi;
	return v == 0 || (lo < 0 && v - 1 <= (uint64_t)(-(lo + 1)));
}

/* Whether time text s ("[-]H...H:MM:SS[.ffffff]") fits: 't' a time of day, 00:00:00 to
 * 24:00:00; 'm' MariaDB's -838:59:59.999999 to 838:59:59.999999. 1 when s is not such text. */
static int time_fits(const char *s, size_t n, char check)
{
	uint64_t h = 0;
	size_t i = 0, digits = 0;
	int neg = 0, rest = 0;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 12; i++, digits++)
		h = h * 10 + (uint64_t)(s[i] - '0');
	if (!digits || i >= n || s[i] != ':')
		return 1;
	for (i++; i < n; i++) /* anything but zeros after the hours */
		rest |= s[i] >= '1' && s[i] <= '9';
	if (check == 'm') /* minutes and seconds are at most 59:59.999999 */
		return h <= 838;
	if (neg && (h || rest))
		return 0;
	return h < 24 || (h == 24 && !rest);
}

/* Bytes of the zone at the end of timestamp text s (n bytes): "+HH:MM", "-HH:MM", "+HH" or
 * "-HH" after the time, else 0; *utc says whether it is zero. */
static size_t zone_len(const char *s, size_t n, int *utc)
{
	size_t z = 0;

	if (n >= 17 && strchr("+-", s[n - 6]) && isdigit((unsigned char)s[n - 5]) &&
	    isdigit((unsigned char)s[n - 4]) && s[n - 3] == ':' &&
	    isdigit((unsigned char)s[n - 2]) && isdigit((unsigned char)s[n - 1]))
		z = 6;
	else if (n >= 14 && strchr("+-", s[n - 3]) && isdigit((unsigned char)s[n - 2]) &&
	         isdigit((unsigned char)s[n - 1]))
		z = 3;
	*utc = 1;
	for (size_t i = n - z + 1; i < n; i++)
		*utc &= s[i] == '0' || s[i] == ':';
	return z;
}

/* Whether date or timestamp text s (n bytes) fits MariaDB's and SQL Server's dates, which
 * have no zone and years of four digits: not PostgreSQL's years before 1 ("... BC"), past
 * 9999 or infinity, which their drivers refuse without naming the column, nor a time at an
 * offset other than UTC (year 0 the database judges). */
static int date_fits(const char *s, size_t n, int any_zone)
{
	int utc;

	for (size_t i = 0; i < 4; i++)
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
	if (n < 5 || s[4] != '-' || (n >= 3 && memcmp(s + n - 3, " BC", 3) == 0))
		return 0;
	zone_len(s, n, &utc);
	return utc || any_zone;
}

/* Whether float text s (n bytes) is a number: not NaN, Infinity or Inf (with a sign). */
static int finite_text(const char *s, size_t n)
{
	if (n && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	return !((n == 3 && (strncasecmp(s, "nan", 3) == 0 || strncasecmp(s, "inf", 3) == 0)) ||
	         (n == 8 && strncasecmp(s, "infinity", 8) == 0));
}

/* Whether decimal text s (n bytes) has at most digits - scale digits before the point and
 * none but zeros after scale digits; 1 when s is not plain decimal text. */
static int decimal_fits(const char *s, size_t n, uint64_t digits, uint64_t scale)
{
	size_t i = 0, lead = 0, k;
	int started = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		started |= s[i] != '0';
		lead += started;
	}
	if (i < n && s[i] == '.')
		for (i++, k = 0; i < n && isdigit((unsigned char)s[i]); i++, k++)
			if (k >= scale && s[i] != '0')
				return 0;
	if (i != n)
		return 1;
	return lead <= digits - scale;
}

/* Whether time text s (n bytes) has no more than digits of a second's fraction but zeros. */
static int fraction_fits(const char *s, size_t n, int digits)
{
	const char *dot = memchr(s, '.', n);

	if (!dot)
		return 1;
	for (size_t i = (size_t)(dot - s) + 1, k = 0; i < n && isdigit((unsigned char)s[i]);
	     i++, k++)
		if (k >= (size_t)digits && s[i] != '0')
			return 0;
	return 1;
}

static int check_field(const struct batch *b, size_t i, const struct xp_field *f,
                       struct xp_err *err)
{
	const struct pcol *p = &b->pc[i];
	int ok = 1;

	if (f->null || (!p->check && p->fdigits < 0))
		return 0;
	if (p->fdigits >= 0 && !fraction_fits(f->p, f->len, p->fdigits))
		ok = 0;
	else if (!p->check)
		ok = 1;
	else if (p->check == 'i')
		ok = int_fits(f->p, f->len, p->lo, p->hi);
	else if (p->check == 'y' || p->check == 'z')
		ok = date_fits(f->p, f->len, p->check == 'z');
	else if (p->check == 'n')
		ok = decimal_fits(f->p, f->len, (uint64_t)p->lo, p->hi);
	else if (p->check == 'f')
		ok = finite_text(f->p, f->len);
	else if (p->check == 'b')
		ok = f->len >= 1 && f->p[0] && strchr("01tTyYfFnN", f->p[0]) &&
		     (f->len == 1 || f->p[0] > '1');
	else
		ok = time_fits(f->p, f->len, p->check);
	if (ok)
		return 0;
	return xp_err_set(err, XP_EFAIL,
	                  "%s: row %llu: column %s: %.*s does not fit the target's %s", b->t->name,
	                  (unsigned long long)(b->done + b->n + 1), b->t->cols[i].name,
	                  f->len > 40 ? 40 : (int)f->len, f->p, p->target);
}

/* Float text f as the bytes of a double or a float in dst; what is not a number, or a float
 * past the largest, is an error naming row and column. */
static int put_float(struct batch *b, size_t i, const struct xp_field *f, char *dst,
                     struct xp_err *err)
{
	struct pcol *p = &b->pc[i];
	char text[64], *end = text;
	int ok = f->len < sizeof text;
	double d = 0;
	float v;

	if (ok) {
		memcpy(text, f->p, f->len);
		text[f->len] = '\0';
		d = strtod(text, &end);
		ok = end != text && !*end;
	}
	if (ok && p->ctype == SQL_C_DOUBLE) {
		memcpy(dst, &d, sizeof d);
	} else if (ok) {
		v = strtof(text, NULL);
		ok = !isinf(v);
		memcpy(dst, &v, sizeof v);
	}
	if (!ok)
		return xp_err_set(
		        err, XP_EFAIL, "%s: row %llu: column %s: %.*s does not fit the target's %s",
		        b->t->name, (unsigned long long)(b->done + b->n + 1), b->t->cols[i].name,
		        f->len > 40 ? 40 : (int)f->len, f->p, p->target);
	p->ind[b->n] = (SQLLEN)p->width;
	return 0;
}

static int put_field(struct batch *b, size_t i, const struct xp_field *f, struct xp_err *err)
{
	struct pcol *p = &b->pc[i];
	char *dst = p->buf + b->n * p->width;

	if (f->null) {
		p->ind[b->n] = SQL_NULL_DATA;
		return 0;
	}
	if (p->bitbyte) { /* check_field let only 1/0 and words for them through */
		dst[0] = (char)(f->p[0] && strchr("1tTyY", f->p[0]) != NULL);
		p->ind[b->n] = 1;
		return 0;
	}
	if (p->binary)
		return put_float(b, i, f, dst, err);
	if (p->ctype == SQL_C_BINARY) {
		size_t n = (f->len - 2) / 2;

		for (size_t k = 0; k < n; k++) {
			int hi = hexval((unsigned char)f->p[2 + 2 * k]);
			int lo = hexval((unsigned char)f->p[3 + 2 * k]);

			if (hi < 0 || lo < 0)
				return xp_err_set(
				        err, XP_EINTEGRITY, "%s: row %llu: column %s: not \\x hex",
				        b->t->name, (unsigned long long)(b->done + b->n + 1),
				        b->t->cols[i].name);
			dst[k] = (char)(hi << 4 | lo);
		}
		p->ind[b->n] = (SQLLEN)n;
		return 0;
	}
	if (p->bit && f->len >= 1 && strchr("tTyY", f->p[0])) {
		memcpy(dst, "1", 2);
		p->ind[b->n] = 1;
		return 0;
	}
	if (p->bit && f->len >= 1 && strchr("fFnN", f->p[0])) {
		memcpy(dst, "0", 2);
		p->ind[b->n] = 1;
		return 0;
	}
	memcpy(dst, f->p, f->len);
	p->ind[b->n] = (SQLLEN)f->len;
	if (p->single) {
		float v;

		dst[f->len] = '\0';
		v = strtof(dst, NULL);
		if (isfinite(v))
			p->ind[b->n] = snprintf(dst, 32, "%.17g", (double)v);
	}
	if (p->check == 'y') { /* a UTC time without its zone: check_field let no other through */
		int utc;

		p->ind[b->n] -= (SQLLEN)zone_len(f->p, f->len, &utc);
	}
	if (p->check == 'z') { /* SQL Server reads a zone as +HH:MM only */
		int utc;

		if (zone_len(f->p, f->len, &utc) == 3) {
			memcpy(dst + f->len, ":00", 3);
			p->ind[b->n] += 3;
		}
	}
	dst[p->ind[b->n]] = '\0';
	return 0;
}

/* Binds column i's value of array row r as parameter number pno of statement st. */
static int bind_one(struct batch *b, SQLHSTMT st, size_t pno, size_t i, size_t r,
                    struct xp_err *err)
{
	struct pcol *p = &b->pc[i];
	SQLULEN size = p->size;
	SQLRETURN rc;

	/* a text parameter declared narrower than its data is cut or refused */
	if ((is_text_type(p->sqltype) || is_binary_type(p->sqltype)) && size < p->width)
		size = p->width;
	rc = SQLBindParameter(st, (SQLUSMALLINT)pno, SQL_PARAM_INPUT, p->ctype, p->sqltype, size,
	                      p->digits, p->buf + r * p->width, (SQLLEN)p->width, p->ind + r);
	if (!SQL_SUCCEEDED(rc))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s: column %s",
		                     b->t->name, b->t->cols[i].name);
	return 0;
}

static int bind_all(struct batch *b, struct xp_err *err)
{
	size_t nc = b->t->ncols;
	int rc = 0;

	for (size_t i = 0; !rc && i < nc; i++)
		rc = bind_one(b, b->st, i + 1, i, 0, err);
	/* the key once more, for NOT EXISTS */
	if (!rc && b->key >= 0)
		rc = bind_one(b, b->st, nc + 1, (size_t)b->key, 0, err);
	/* the many-rows INSERT takes row r's values from the arrays' row r */
	if (b->multi && b->cap >= b->mrows)
		for (size_t r = 0; !rc && r < b->mrows; r++)
			for (size_t i = 0; !rc && i < nc; i++)
				rc = bind_one(b, b->multi, r * nc + i + 1, i, r, err);
	return rc;
}

/* Sizes the arrays for the current widths: as many rows as fit in XP_LOAD_MEM, at least one. */
static int resize(struct batch *b, struct xp_err *err)
{
	size_t row = sizeof *b->status, cap;

	for (size_t i = 0; i < b->t->ncols; i++)
		row += b->pc[i].width + sizeof(SQLLEN);
	cap = XP_LOAD_MEM / row;
	cap = cap < 1 ? 1 : cap > b->max_rows ? b->max_rows : cap;
	for (size_t i = 0; i < b->t->ncols; i++) {
		struct pcol *p = &b->pc[i];
		char *nb = realloc(p->buf, cap * p->width);
		SQLLEN *ni;

		if (!nb)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		p->buf = nb;
		ni = realloc(p->ind, cap * sizeof *ni);
		if (!ni)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		p->ind = ni;
	}
	{
		SQLUSMALLINT *ns = realloc(b->status, cap * sizeof *ns);

		if (!ns)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		b->status = ns;
	}
	b->cap = cap;
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(b->st, SQL_ATTR_PARAM_STATUS_PTR, b->status, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s", b->t->name);
	return bind_all(b, err);
}

/* Executes a full batch as one many-rows INSERT. */
static int flush_multi(struct batch *b, struct xp_err *err)
{
	SQLLEN count = -1;

	if (!SQL_SUCCEEDED(SQLExecute(b->multi)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->multi, "%s: rows %llu-%llu",
		                     b->t->name, (unsigned long long)(b->done + 1),
		                     (unsigned long long)(b->done + b->n));
	if (SQL_SUCCEEDED(SQLRowCount(b->multi, &count)) && count != (SQLLEN)b->n)
		return xp_err_set(err, XP_EFAIL, "%s: the driver inserted %lld of %zu rows",
		                  b->t->name, (long long)count, b->n);
	b->done += b->n;
	b->n = 0;
	return 0;
}

/* Executes the filled rows; names the first row the database refused. */
static int flush(struct batch *b, struct xp_err *err)
{
	SQLRETURN r;
	size_t bad = b->n;

	if (!b->n)
		return 0;
	if (b->multi && b->n == b->mrows && b->cap >= b->mrows)
		return flush_multi(b, err);
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(b->st, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)b->n, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s: parameter arrays",
		                     b->t->name);
	for (size_t k = 0; k < b->n; k++)
		b->status[k] = SQL_PARAM_UNUSED;
	b->processed = 0;
	if (b->rebind) {
		int rc = bind_all(b, err);

		if (rc)
			return rc;
	}
	r = SQLExecute(b->st);
	/* an INSERT ... WHERE NOT EXISTS that inserted nothing has no data, and no error */
	if (r == SQL_NO_DATA && b->key >= 0)
		r = SQL_SUCCESS;
	for (size_t k = 0; k < b->n && k < b->processed; k++)
		if (b->status[k] == SQL_PARAM_ERROR) {
			bad = k;
			break;
		}
	if (!SQL_SUCCEEDED(r) || bad < b->n)
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s: row %llu",
		                     b->t->name,
		                     (unsigned long long)(b->done + (bad < b->n ? bad : 0) + 1));
	if (b->processed != b->n)
		return xp_err_set(err, XP_EFAIL, "%s: the driver inserted %llu of %zu rows",
		                  b->t->name, (unsigned long long)b->processed, b->n);
	b->done += b->n;
	b->n = 0;
	return 0;
}

/* Adds one row, executing first when it is full or a value outgrows its column's width. */
static int add_row(struct batch *b, const struct xp_field *row, struct xp_err *err)
{
	int grow = 0, rc;
	size_t need;

	for (size_t i = 0; i < b->t->ncols; i++) {
		rc = field_need(b, i, &row[i], &need, err);
		if (!rc)
			rc = check_field(b, i, &row[i], err);
		if (rc)
			return rc;
		grow |= need > b->pc[i].width;
	}
	/* the rows already filled go out with the layout they were written in */
	if (grow || b->n == b->cap) {
		rc = flush(b, err);
		if (rc)
			return rc;
	}
	if (grow) {
		for (size_t i = 0; i < b->t->ncols; i++) {
			size_t w = b->pc[i].width * 2;

			field_need(b, i, &row[i], &need, err);
			if (need > b->pc[i].width)
				b->pc[i].width = w > need ? w : need;
		}
		rc = resize(b, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < b->t->ncols; i++) {
		rc = put_field(b, i, &row[i], err);
		if (rc)
			return rc;
	}
	b->n++;
	return 0;
}

static void batch_free(struct batch *b)
{
	if (b->pc)
		for (size_t i = 0; i < b->t->ncols; i++) {
			free(b->pc[i].buf);
			free(b->pc[i].ind);
		}
	free(b->pc);
	free(b->status);
	xp_columns_free(b->tcols, b->ntcols);
	if (b->st)
		SQLFreeHandle(SQL_HANDLE_STMT, b->st);
	if (b->multi)
		SQLFreeHandle(SQL_HANDLE_STMT, b->multi);
	memset(b, 0, sizeof *b);
}

/* A malloc'd identifier in the driver's quotes (no schema splitting: a column name is one
 * part). */
static char *quote_one(const struct xp_odbc *c, const char *name)
{
	char q = c->quote[0];
	size_t n = strlen(name);
	char *out = malloc(2 * n + 3), *o = out;

	if (!out)
		return NULL;
	if (q)
		*o++ = q;
	for (const char *p = name; *p; p++) {
		if (q && *p == q)
			*o++ = q;
		*o++ = *p;
	}
	if (q)
		*o++ = q;
	*o = '\0';
	return out;
}

/* Appends s to the malloc'd string *sql; frees s. */
static int append(char **sql, size_t *len, char *s, struct xp_err *err)
{
	size_t n;
	char *ns;

	if (!s)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	n = strlen(s);
	ns = realloc(*sql, *len + n + 1);
	if (!ns) {
		free(s);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	memcpy(ns + *len, s, n + 1);
	*len += n;
	*sql = ns;
	free(s);
	return 0;
}

static int exec_direct(struct xp_odbc *c, const char *sql, const char *what, struct xp_err *err)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLRETURN r;
	int rc = 0;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", what);
	r = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA)
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s", what);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return rc;
}

/* The malloc'd name table t is loaded into (see xp_load_opts.prefix), unquoted. */
static char *plain_name(const struct xp_dump_table *t, const char *prefix)
{
	char *name;

	if (!prefix)
		return strdup(t->name);
	name = xp_asprintf("%s%s", prefix, t->name);
	for (char *p = name; p && *p; p++)
		if (*p == '.')
			*p = '_';
	return name;
}

/* The malloc'd, quoted name table t is loaded into. */
static char *target_name(const struct xp_odbc *c, const struct xp_dump_table *t, const char *prefix)
{
	char *name = plain_name(t, prefix), *q;

	q = name ? xp_odbc_quote(c, name) : NULL;
	free(name);
	return q;
}

/* Describes the target table and sets what each column's target holds. */
static int describe_target(struct batch *b, struct xp_err *err)
{
	char *name = plain_name(b->t, b->prefix);
	int rc;

	if (!name)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_odbc_describe(b->c, name, &b->tcols, &b->ntcols, err);
	free(name);
	/* "table T: why" becomes "T: why", as every other error of the load names it */
	if (rc && err && strncmp(err->msg, "table ", 6) == 0)
		memmove(err->msg, err->msg + 6, strlen(err->msg + 6) + 1);
	if (rc)
		return rc;
	for (size_t i = 0; i < b->t->ncols; i++) {
		const struct xp_column *tc = NULL;

		for (size_t k = 0; !tc && k < b->ntcols; k++)
			if (strcasecmp(b->tcols[k].name, b->t->cols[i].name) == 0)
				tc = &b->tcols[k];
		set_check(&b->pc[i], xp_load_family(b->c->dbms), tc);
	}
	return 0;
}

/* Creates table t of a dump from the database named source (the MANIFEST's dbms). */
static int create_table(struct xp_odbc *c, const char *source, const struct xp_dump_table *t,
                        const char *prefix, struct xp_err *err)
{
	char *sql = NULL;
	size_t len = 0;
	int rc;

	rc = append(&sql, &len, xp_asprintf("CREATE TABLE "), err);
	if (!rc)
		rc = append(&sql, &len, target_name(c, t, prefix), err);
	for (size_t i = 0; !rc && i < t->ncols; i++) {
		char type[64];

		xp_load_column_type(c->dbms, source, &t->cols[i], type, sizeof type);
		rc = append(&sql, &len, xp_asprintf("%s", i ? ", " : " ("), err);
		if (!rc)
			rc = append(&sql, &len, quote_one(c, t->cols[i].name), err);
		if (!rc)
			rc = append(&sql, &len,
			            xp_asprintf(" %s%s", type,
			                        t->cols[i].nullable == 0 ? " NOT NULL" : ""),
			            err);
	}
	if (!rc)
		rc = append(&sql, &len, xp_asprintf(")"), err);
	if (!rc)
		rc = exec_direct(c, sql, t->name, err);
	free(sql);
	return rc;
}

/* INSERT INTO t (cols) VALUES (?, ...)[, (?, ...)...]; with a key column (rows is then 1),
 * INSERT INTO t (cols) SELECT ?, ... WHERE NOT EXISTS (SELECT 1 FROM t WHERE key = ?). */
static int insert_sql(struct xp_odbc *c, const struct xp_dump_table *t, const char *prefix,
                      size_t rows, int key, char **out, struct xp_err *err)
{
	char *sql = NULL;
	size_t len = 0;
	int rc;

	rc = append(&sql, &len, xp_asprintf("INSERT INTO "), err);
	if (!rc)
		rc = append(&sql, &len, target_name(c, t, prefix), err);
	for (size_t i = 0; !rc && i < t->ncols; i++) {
		rc = append(&sql, &len, xp_asprintf("%s", i ? ", " : " ("), err);
		if (!rc)
			rc = append(&sql, &len, quote_one(c, t->cols[i].name), err);
	}
	if (!rc && key >= 0) {
		rc = append(&sql, &len, xp_asprintf(") SELECT "), err);
		for (size_t i = 0; !rc && i < t->ncols; i++)
			rc = append(&sql, &len, xp_asprintf("%s?", i ? ", " : ""), err);
		/* MySQL and MariaDB take a WHERE only after a FROM */
		if (!rc && xp_load_family(c->dbms) == FAM_MYSQL)
			rc = append(&sql, &len, xp_asprintf(" FROM DUAL"), err);
		if (!rc)
			rc = append(&sql, &len, xp_asprintf(" WHERE NOT EXISTS (SELECT 1 FROM "),
			            err);
		if (!rc)
			rc = append(&sql, &len, target_name(c, t, prefix), err);
		if (!rc)
			rc = append(&sql, &len, xp_asprintf(" WHERE "), err);
		if (!rc)
			rc = append(&sql, &len, quote_one(c, t->cols[key].name), err);
		if (!rc)
			rc = append(&sql, &len, xp_asprintf(" = ?)"), err);
		rows = 0;
	} else if (!rc) {
		rc = append(&sql, &len, xp_asprintf(") VALUES "), err);
	}
	for (size_t r = 0; !rc && r < rows; r++) {
		rc = append(&sql, &len, xp_asprintf("%s(", r ? ", " : ""), err);
		for (size_t i = 0; !rc && i < t->ncols; i++)
			rc = append(&sql, &len, xp_asprintf("%s?", i ? ", " : ""), err);
		if (!rc)
			rc = append(&sql, &len, xp_asprintf(")"), err);
	}
	if (rc)
		free(sql);
	else
		*out = sql;
	return rc;
}

static int prepare_multi(struct batch *b, struct xp_odbc *c, const struct xp_dump_table *t,
                         struct xp_err *err)
{
	char *sql = NULL;
	int rc;

	rc = insert_sql(c, t, b->prefix, XP_LOAD_VALUES_ROWS, -1, &sql, err);
	if (rc)
		return rc;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &b->multi))) {
		b->multi = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", t->name);
	} else if (!SQL_SUCCEEDED(SQLPrepare(b->multi, (SQLCHAR *)sql, SQL_NTS))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->multi, "%s", t->name);
	} else {
		b->mrows = XP_LOAD_VALUES_ROWS;
		b->max_rows = XP_LOAD_VALUES_ROWS;
	}
	free(sql);
	return rc;
}

static int batch_open(struct batch *b, struct xp_odbc *c, const char *source,
                      const struct xp_dump_table *t, const char *prefix, const char *skip_key,
                      struct xp_err *err)
{
	char *sql = NULL;
	int rc;

	memset(b, 0, sizeof *b);
	b->c = c;
	b->t = t;
	b->prefix = prefix;
	b->key = -1;
	if (!t->ncols)
		return xp_err_set(err, XP_EINTEGRITY, "%s: no columns in MANIFEST", t->name);
	for (size_t i = 0; skip_key && i < t->ncols; i++)
		if (strcmp(t->cols[i].name, skip_key) == 0)
			b->key = (int)i;
	if (skip_key && b->key < 0)
		return xp_err_set(err, XP_EFAIL, "%s: no column %s to skip existing rows by",
		                  t->name, skip_key);
	b->pc = calloc(t->ncols, sizeof *b->pc);
	if (!b->pc)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	b->max_rows = XP_LOAD_ROWS;
	for (size_t i = 0; i < t->ncols; i++) {
		pcol_setup(&b->pc[i], &t->cols[i], xp_load_family(c->dbms), xp_load_family(source));
		/* the SQLite ODBC driver (0.9998) keeps the SQL_C_BINARY length it saw first,
		 * for every row of an array and every later execute, until the parameter is
		 * bound again: such tables go one row per execute there, bound each time */
		if (b->pc[i].ctype == SQL_C_BINARY && xp_load_family(c->dbms) == FAM_SQLITE) {
			b->max_rows = 1;
			b->rebind = 1;
		}
	}
	/* MariaDB Connector/ODBC sends a parameter array in its bulk protocol, which takes no
	 * INSERT ... SELECT: one row per execute there */
	if (b->key >= 0 && xp_load_family(c->dbms) == FAM_MYSQL)
		b->max_rows = 1;
	rc = insert_sql(c, t, b->prefix, 1, b->key, &sql, err);
	if (rc)
		goto out;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &b->st))) {
		b->st = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", t->name);
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(b->st, SQL_ATTR_PARAM_BIND_TYPE,
	                                  (SQLPOINTER)SQL_PARAM_BIND_BY_COLUMN, 0)) ||
	    !SQL_SUCCEEDED(
	            SQLSetStmtAttr(b->st, SQL_ATTR_PARAMS_PROCESSED_PTR, &b->processed, 0))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s: parameter arrays",
		                   t->name);
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLPrepare(b->st, (SQLCHAR *)sql, SQL_NTS))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s", t->name);
		goto out;
	}
	rc = describe_target(b, err);
	if (rc)
		goto out;
	/* psqlODBC runs a parameter array one row per round trip: full batches go to the
	 * server as one INSERT of many rows instead (partial ones use the array) */
	if (xp_load_family(c->dbms) == FAM_PG && b->key < 0 &&
	    XP_LOAD_VALUES_ROWS * t->ncols <= XP_LOAD_VALUES_PARAMS) {
		rc = prepare_multi(b, c, t, err);
		if (rc)
			goto out;
	}
	rc = resize(b, err);
out:
	free(sql);
	return rc;
}

/* The rows in table t's target, in *n. */
static int count_rows(struct xp_odbc *c, const struct xp_dump_table *t, const char *prefix,
                      uint64_t *n, struct xp_err *err)
{
	char *q = target_name(c, t, prefix),
	     *sql = q ? xp_asprintf("SELECT COUNT(*) FROM %s", q) : NULL;
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLBIGINT v = 0;
	int rc = 0;

	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", t->name);
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SBIGINT, &v, 0, NULL)) || v < 0) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s: counting rows",
		                   t->name);
		goto out;
	}
	*n = (uint64_t)v;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(sql);
	free(q);
	return rc;
}

/* Loads the rows of the reader's current table t. */
static int load_table(struct xp_odbc *c, struct xp_dump_reader *r, const struct xp_dump_table *t,
                      const struct xp_load_opts *o, struct xp_load_stats *st, struct xp_err *err)
{
	struct batch b;
	const struct xp_field *row;
	uint64_t shown = 0, before = 0, after = 0;
	int rc;

	/* what NOT EXISTS left out: the rows given less the rows the table gained */
	rc = o->skip_key ? count_rows(c, t, o->prefix, &before, err) : 0;
	if (!rc)
		rc = batch_open(&b, c, xp_dump_reader_manifest(r)->dbms, t, o->prefix, o->skip_key,
		                err);
	else
		memset(&b, 0, sizeof b);
	while (!rc && (rc = xp_dump_reader_next_row(r, &row, err)) == 1) {
		rc = add_row(&b, row, err);
		if (!rc && b.done - shown >= XP_LOAD_ROWS && o->progress) {
			o->progress(o->progress_arg, t->name, st->rows + b.done);
			shown = b.done;
		}
	}
	if (!rc)
		rc = flush(&b, err);
	if (!rc && o->skip_key) {
		rc = count_rows(c, t, o->prefix, &after, err);
		if (!rc && (after < before || after - before > b.done))
			rc = xp_err_set(err, XP_EFAIL, "%s: the table changed during the load",
			                t->name);
		if (!rc) {
			st->skipped += b.done - (after - before);
			b.done = after - before;
		}
	}
	if (!rc) {
		st->rows += b.done;
		st->tables++;
		if (o->progress)
			o->progress(o->progress_arg, t->name, st->rows);
	}
	batch_free(&b);
	return rc;
}

/* Drops the first n tables of m that a failed load created (errors ignored: the load's
 * own error is the one to report). */
static void drop_created(struct xp_odbc *c, const struct xp_manifest *m, const char *prefix,
                         size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *q = target_name(c, &m->tables[i], prefix);
		char *sql = q ? xp_asprintf("DROP TABLE %s", q) : NULL;

		if (sql)
			exec_direct(c, sql, m->tables[i].name, NULL);
		free(sql);
		free(q);
	}
	if (n)
		SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_COMMIT);
}

int xp_load_run(const struct xp_load_opts *o, int fd, struct xp_load_stats *st, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	const struct xp_manifest *m = NULL;
	struct xp_odbc c;
	SQLUSMALLINT tc = 0;
	int rc, txn = 0;
	size_t t, created = 0;

	memset(&c, 0, sizeof c);
	memset(st, 0, sizeof *st);
	rc = xp_dump_reader_open(&r, fd, err);
	if (rc)
		goto out;
	m = xp_dump_reader_manifest(r);
	rc = xp_odbc_connect(&c, o->connstr, err);
	if (rc)
		goto out;
	/* without transactions a failed load could not be taken back */
	if (SQL_SUCCEEDED(SQLGetInfo(c.dbc, SQL_TXN_CAPABLE, &tc, sizeof tc, NULL)) &&
	    tc == SQL_TC_NONE) {
		rc = xp_err_set(err, XP_EFAIL, "%s: the database has no transactions", c.source);
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLSetConnectAttr(c.dbc, SQL_ATTR_AUTOCOMMIT,
	                                     (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c.dbc, "%s: autocommit off",
		                   c.source);
		goto out;
	}
	txn = 1;
	for (size_t i = 0; o->create && i < m->ntables; i++) {
		rc = create_table(&c, m->dbms, &m->tables[i], o->prefix, err);
		if (rc)
			goto out;
		created++;
	}
	while ((rc = xp_dump_reader_next_table(r, &t, err)) == 1) {
		rc = load_table(&c, r, &m->tables[t], o, st, err);
		if (rc)
			goto out;
	}
	if (rc)
		goto out;
	/* the reader has checked SUMMARY: only now may the rows become visible */
	if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, c.dbc, SQL_COMMIT))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c.dbc, "%s: commit", c.source);
		goto out;
	}
	txn = 0;
out:
	if (txn)
		SQLEndTran(SQL_HANDLE_DBC, c.dbc, SQL_ROLLBACK);
	/* where DDL commits (MariaDB, MySQL) the rollback leaves the tables made */
	if (txn && tc != SQL_TC_ALL)
		drop_created(&c, m, o->prefix, created);
	xp_odbc_close(&c);
	xp_dump_reader_free(r);
	return rc;
}
