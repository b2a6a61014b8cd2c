#include "config.h"

#include "base/str.h"
#include "base/encode.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *xp_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

char *xp_strcasestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (;; hay++) {
		size_t i = 0;

		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return (char *)hay;
		if (!*hay)
			return NULL;
	}
}

void *xp_memrchr(const void *s, int c, size_t n)
{
	const unsigned char *p = (const unsigned char *)s + n;

	while (n--)
		if (*--p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

ssize_t xp_getline(char **line, size_t *cap, FILE *f)
{
	size_t len = 0;
	int c;

	if (!*line)
		*cap = 0;
	while ((c = getc(f)) != EOF) {
		if (len + 2 > *cap) {
			size_t n = *cap ? *cap * 2 : 128;
			char *p = realloc(*line, n);

			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			*line = p;
			*cap = n;
		}
		(*line)[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (len == 0)
		return -1;
	(*line)[len] = '\0';
	return (ssize_t)len;
}

char *xp_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}
static int grow(struct xp_sbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void xp_sbuf_add(struct xp_sbuf *b, const void *s, size_t n)
{
	if (grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void xp_sbuf_puts(struct xp_sbuf *b, const char *s)
{
	xp_sbuf_add(b, s, strlen(s));
}

void xp_sbuf_printf(struct xp_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void xp_sbuf_escape(struct xp_sbuf *b, const char *s)
{
	if (!s || !*s) {
		xp_sbuf_add(b, "-", 1);
		return;
	}
	if (strcmp(s, "-") == 0) {
		xp_sbuf_add(b, "\\-", 2);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\\': xp_sbuf_add(b, "\\\\", 2); break;
		case '\t': xp_sbuf_add(b, "\\t", 2); break;
		case '\n': xp_sbuf_add(b, "\\n", 2); break;
		case '\r': xp_sbuf_add(b, "\\r", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				xp_sbuf_printf(b, "\\x%02x", *p);
			else
				xp_sbuf_add(b, p, 1);
		}
	}
}

void xp_sbuf_free(struct xp_sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

int xp_field_unescape(char *s)
{
	char *w = s;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return 0;
	}
	if (strcmp(s, "\\-") == 0) {
		strcpy(s, "-");
		return 0;
	}
	for (const char *r = s; *r; r++) {
		char two[3] = "";
		uint8_t b;

		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case '\\': *w++ = '\\'; break;
		case 't': *w++ = '\t'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 'x':
			two[0] = r[1];
			two[1] = r[1] ? r[2] : '\0';
			if (xp_unhex(two, &b, 1) != 0 || b == 0)
				return -1;
			*w++ = (char)b;
			r += 2;
			break;
		default: return -1;
		}
	}
	*w = '\0';
	return 0;
}

size_t xp_field_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		fields[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			return n;
		*p++ = '\0';
	}
	return n + 1; /* more fields than max: the caller treats it as malformed */
}
