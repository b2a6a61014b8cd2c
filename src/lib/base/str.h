/* Strings: printf into malloc'd memory, a growable buffer, and the tab-separated text
 * fields (escaped) that the catalog and journal are written in. */
#ifndef XP_BASE_STR_H
#define XP_BASE_STR_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/err.h"

/* printf into a fresh malloc'd string; NULL on failure. */
char *xp_asprintf(const char *fmt, ...) __attribute__((format(XP_PRINTF, 1, 2)));

/* strndup(3), which Windows lacks: at most n bytes of s in a fresh malloc'd string (NULL
 * when out of memory). */
char *xp_strndup(const char *s, size_t n);
/* strcasestr(3): the first place where needle occurs in hay, ASCII letters of either case
 * alike; NULL when it does not. */
char *xp_strcasestr(const char *hay, const char *needle);
/* memrchr(3): the last byte c in the n bytes at s, or NULL. */
void *xp_memrchr(const void *s, int c, size_t n);
/* getline(3), which Windows lacks: reads a line and its '\n' into *line, grown with realloc
 * (the caller frees it, also after a failure); returns its length, or -1 at end of file or on
 * a read error (ferror) or out of memory (errno ENOMEM). A NUL byte is kept in the line. */
ssize_t xp_getline(char **line, size_t *cap, FILE *f);

/* A growable byte buffer; after an allocation failure it stays failed and drops writes. */
struct xp_sbuf {
	char *p;
	size_t len, cap;
	int failed;
};
void xp_sbuf_add(struct xp_sbuf *b, const void *s, size_t n);
void xp_sbuf_puts(struct xp_sbuf *b, const char *s);
void xp_sbuf_printf(struct xp_sbuf *b, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 2, 3)));
/* Appends s escaped as one field: "\\" "\t" "\n" "\r", other control bytes as "\xHH"; NULL or
 * "" is written "-", and a value that is exactly "-" as "\-". UTF-8 passes through. */
void xp_sbuf_escape(struct xp_sbuf *b, const char *s);
void xp_sbuf_free(struct xp_sbuf *b);

/* Undoes xp_sbuf_escape in place: "-" becomes "" (none). 0, or -1 on a bad escape. */
int xp_field_unescape(char *s);
/* Splits a line at tabs into at most max fields (in place); returns the number of fields. */
size_t xp_field_split(char *line, char **fields, size_t max);

#endif
