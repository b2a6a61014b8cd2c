/* A range of partitions opened as one dump stream (xpseal open --since/--until, the drill):
 * the partitions of one source whose windows meet the range, decrypted one after another
 * (each in a child process writing into a pipe, so no clear text touches the disk) and
 * concatenated (xp_dump_concat), so that one xprestore loads them in one transaction. */
#ifndef XP_RANGE_H
#define XP_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/sign.h"
#include "repo/catalog.h"

/* What to open: the partitions of source (NULL or "": those without one) in cat whose windows
 * meet [since, until) (has_since/has_until 0: open at that end). */
struct xp_range {
	const char *repo;
	const struct xp_catalog *cat; /* verified by the caller (xp_catalog_load_signed) */
	const char *source;
	int has_since, has_until;
	int64_t since, until;
	int partial; /* 1: a given end that no partition covers is accepted (see xp_range_cover) */
};

/* What the selected partitions leave of the range at its ends: head, [since, first) before
 * the first partition; tail, [last, until) after the last one. Rows of those times are in no
 * backup, which a stream that simply lacks them would pass off as "no rows then". */
struct xp_range_cover {
	int head, tail;
	int64_t first, last; /* the first partition's since, the last one's until */
};

/* Selects the range's partitions and checks that their windows tile (a gap or an overlap is
 * XP_EFAIL naming it; none at all is XP_ENOENT) and cover the range's given ends (an
 * uncovered end is XP_EFAIL naming it, unless r->partial); *idx (malloc'd, caller frees) gets
 * their indexes into cat in window order, *n their count, *c what is left uncovered. A
 * partition without rows covers its window: it is not a gap. */
int xp_range_select(const struct xp_range *r, size_t **idx, size_t *n, struct xp_range_cover *c,
                    struct xp_err *err);

/* The uncovered ends of c as "A to B" (and " and C to D"), for messages (96 bytes hold both). */
void xp_range_cover_describe(const struct xp_range *r, const struct xp_range_cover *c, char *buf,
                             size_t len);

/* Writes the n partitions idx (from xp_range_select) as one dump stream on out (named outname
 * in messages; NULL: standard output), each backup checked against signer (xp_seal_fetch) and
 * opened with the repository secret key sk (32 bytes). A shredded partition cannot be opened
 * (XP_EFAIL). The stream's window is the first's since to the last's until. */
int xp_range_write(const struct xp_range *r, const size_t *idx, size_t n,
                   const struct xp_sign_pub *signer, const uint8_t *sk, int out,
                   const char *outname, struct xp_err *err);

/* One backup of the catalog opened as a stream to read: checked against signer
 * (xp_seal_fetch), decrypted by a child (a worker, base/worker.h: a process, or a thread on
 * Windows) into a pipe whose read end is *fd. */
struct xp_worker;
struct xp_range_job;
struct xp_range_proc {
	struct xp_worker *worker; /* the child, NULL when none runs */
	int errfd;                /* brings back its error */
	struct xp_range_job *job; /* what it was given */
};
int xp_range_open_backup(const char *repo, const struct xp_catalog_entry *e,
                         const struct xp_sign_pub *signer, const uint8_t *sk, int *fd,
                         struct xp_range_proc *p, struct xp_err *err);
/* Closes fd (a child still writing ends on EPIPE), waits for the child and returns its
 * failure, if any (its own code: XP_EINTEGRITY for a damaged backup). */
int xp_range_close_backup(struct xp_range_proc *p, int fd, const char *id, struct xp_err *err);

#endif
