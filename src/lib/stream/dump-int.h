/* Internals shared by the dump's formats (dump.c), writer (dump-write.c) and reader
 * (dump-read.c). */
#ifndef XP_DUMP_INT_H
#define XP_DUMP_INT_H

#include "stream/dump.h"

/* Copies buf into a NUL-terminated string; NULL if it holds a NUL byte or no memory. */
char *xp_dump_text_copy(const char *buf, size_t len);
/* Notes the time column of a row in t's window; 0, or -1 when it is no time. */
int xp_dump_row_time(struct xp_dump_table *t, const struct xp_field *f);

#endif
