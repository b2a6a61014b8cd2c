/* What a target column holds: a value the target cannot hold (an integer out of its range, a
 * time past a day, a year it has no room for, a finer fraction) is an error naming row and
 * column, never a different value. */
#include "config.h"

#include "db/load-int.h"
#include "base/err.h"

#include <ctype.h>
#include <string.h>

/* What column i's target holds, from its description tc (NULL: not described). */
void xp_load_set_check(struct pcol *p, enum xp_dbms f, const struct xp_column *tc)
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
		if (f == XP_DBMS_MSSQL)
			p->sqltype = (SQLSMALLINT)tc->sql_type;
		p->lo = u ? 0 : INT64_MIN;
		p->hi = u ? UINT64_MAX : INT64_MAX;
		if (f == XP_DBMS_SQLITE) /* 64 bits whatever the declared name */
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
	case SQL_TIME: p->check = f == XP_DBMS_MYSQL ? 'm' : f == XP_DBMS_SQLITE ? 0 : 't'; break;
	case SS_TIMESTAMPOFFSET: p->check = f == XP_DBMS_MSSQL ? 'z' : 0; break;
	case SQL_NUMERIC:
	case SQL_DECIMAL:
		if (f == XP_DBMS_MSSQL && tc->size >= 1 && tc->size <= 38 && tc->digits >= 0 &&
		    (uint64_t)tc->digits <= tc->size) {
			p->check = 'n';
			p->lo = (int64_t)tc->size;
			p->hi = (uint64_t)tc->digits;
		}
		break;
	case SQL_REAL:
	case SQL_FLOAT:
	case SQL_DOUBLE: p->check = f == XP_DBMS_MSSQL ? 'f' : 0; break;
	case SQL_TYPE_DATE:
	case SQL_TYPE_TIMESTAMP:
	case SQL_DATE:
	case SQL_TIMESTAMP: p->check = f == XP_DBMS_MYSQL || f == XP_DBMS_MSSQL ? 'y' : 0; break;
	case SQL_BIT:
		/* MariaDB Connector/ODBC 3.1 crashes converting text parameters for a BIT
		 * column in arrays: a BIT(1) gets the bit as a byte */
		if (f == XP_DBMS_MYSQL && p->bit && strcasecmp(tc->type_name, "bit") == 0) {
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
		p->fdigits = f == XP_DBMS_POSTGRESQL                    ? 6
		             : f == XP_DBMS_MYSQL || f == XP_DBMS_MSSQL ? tc->digits
		                                                        : -1;
	/* MariaDB reads a FLOAT's text as a double and refuses one past FLT_MAX: the shortest
	 * text of the largest floats (3.4028235e+38) is such a double */
	p->single = f == XP_DBMS_MYSQL && tc->sql_type == SQL_REAL;
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
	if (f == XP_DBMS_MYSQL && p->bit && !p->bitbyte)
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
size_t xp_load_zone_len(const char *s, size_t n, int *utc)
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
	xp_load_zone_len(s, n, &utc);
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

int xp_load_check_field(const struct batch *b, size_t i, const struct xp_field *f,
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
