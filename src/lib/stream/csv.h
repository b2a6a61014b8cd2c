/* CSV (RFC 4180 quoting, LF row ends) encoding and incremental decoding; pure, no I/O.
 * NULL is an unquoted empty field; the empty string is "" (PostgreSQL's CSV COPY convention). */
#ifndef XP_CSV_H
#define XP_CSV_H

#include <stddef.h>

#include "base/err.h"

/* One field of a row: len bytes at p (not NUL-terminated), or SQL NULL when null is set. */
struct xp_field {
	const char *p;
	size_t len;
	int null;
};

/* The most bytes xp_csv_encode_row can write for these fields (quotes doubled, commas, LF). */
size_t xp_csv_row_bound(const struct xp_field *f, size_t n);
/* Writes one row (fields, commas, final LF) to out, which holds xp_csv_row_bound bytes;
 * returns the bytes written. A field is quoted when it is empty (and not NULL) or holds
 * , " CR LF, or starts or ends with a space or tab. */
size_t xp_csv_encode_row(char *out, const struct xp_field *f, size_t n);

/* Incremental decoder: feed it buffers of any size, get whole rows back. */
struct xp_csv_dec {
	char *buf; /* text of the row being decoded (owned) */
	size_t len, cap;
	size_t *start;      /* per field: offset in buf (owned) */
	size_t *flen;       /* per field: length (owned) */
	unsigned char *nul; /* per field: NULL flag (owned) */
	size_t nfields, fcap;
	struct xp_field *row; /* the last complete row, valid until the next feed (owned) */
	size_t max_row;       /* refuse rows longer than this (bytes) */
	int state;
	int quoted; /* the current field was quoted */
	unsigned long long line;
};
/* Prepares d; max_row bounds the memory one row may take (0: 1 GiB). */
void xp_csv_dec_init(struct xp_csv_dec *d, size_t max_row);
/* Consumes bytes from buf[0..n) until a row is complete or the input is used up; *used says
 * how many were consumed. Returns 1 with the row in *row / *nfields (valid until the next
 * call), 0 when more input is needed, or XP_EINTEGRITY on malformed input. */
int xp_csv_dec_feed(struct xp_csv_dec *d, const char *buf, size_t n, size_t *used,
                    const struct xp_field **row, size_t *nfields, struct xp_err *err);
/* At end of input: returns 1 with a last row that lacked its line end, 0 when the input ended
 * on a row boundary, XP_EINTEGRITY inside a quoted field. */
int xp_csv_dec_end(struct xp_csv_dec *d, const struct xp_field **row, size_t *nfields,
                   struct xp_err *err);
/* Forgets any partial row (e.g. at the start of a new chunk). */
void xp_csv_dec_reset(struct xp_csv_dec *d);
void xp_csv_dec_free(struct xp_csv_dec *d);

#endif
