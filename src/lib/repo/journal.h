/* The journal's low-level reader and writer (format in xpseal(5)): a hash chain of signed
 * records. It knows nothing of the catalog; the catalog module takes the lock around it, and
 * tools go through catalog.h (xp_journal_append, xp_journal_read, xp_journal_verify). */
#ifndef XP_JOURNAL_H
#define XP_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct xp_signkey;
struct xp_sign_pub;

/* The longest reason or policy text of an event (and of the catalog's text fields). */
#define XP_JOURNAL_TEXT_MAX 4096

/* One journal event as read back (strings unescaped, owned by the reader). */
struct xp_journal_event {
	size_t line; /* 1-based line number in the file */
	int64_t time;
	const char *id; /* "" for none */
	const char *event;
	const char *reason; /* "" for none */
	const char *policy; /* "" for none */
	int is_signed;      /* the line carries a record signature (checked or not) */
	int authentic;      /* covered by the catalog's verified signature, or signed by the
	                     * host's key (journal.h, struct xp_jtrust) */
};
typedef int xp_journal_fn(void *ctx, const struct xp_journal_event *ev);

/* The journal's first line; the first event chains the hash of this line. Journals begun
 * before records were signed keep their version 1 header (same fields, no signatures). */
#define XP_JOURNAL_HEADER                                                                          \
	"# xpbackup journal 2: time id event reason policy prev-blake2b256 signature"
#define XP_JOURNAL_HEADER_1 "# xpbackup journal 1: time id event reason policy prev-blake2b256"

/* The journal as found by a scan, and where the next line chains. */
struct xp_jstate {
	size_t lines;                 /* events */
	uint8_t head[32];             /* BLAKE2b-256 of the last line (header if no events) */
	int empty;                    /* no journal yet: the next append writes the header */
	size_t cut;                   /* bytes of a torn last line cut off (repair) */
	uint8_t mark_hash[32];        /* see xp_journal_scan */
	size_t broken_line;           /* first line that breaks the chain, or 0 */
	char broken_msg[160];         /* why */
	const struct xp_signkey *key; /* set by the caller: signs every line it appends */
};

/* What a scan may take as authentic (xpseal(5) "Journal"): the records signed by pub, and the
 * unsigned ones an older xpbackup wrote before the catalog's verified signature recorded them
 * (the first legacy events, when the journal at mark still hashes to head and chains
 * unbroken). An unsigned record after those is never authentic, whatever a later catalog
 * signature covers. */
struct xp_jtrust {
	const struct xp_sign_pub *pub; /* the host's signing key; NULL: no signature is checked */
	size_t mark;                   /* events the catalog's signature recorded (0: none) */
	char head[65];                 /* hex hash of the last of them */
	int verified;                  /* the catalog's signature verified with pub */
	size_t legacy; /* of those, the first legacy ones may be unsigned: written by an older
	                * xpbackup (the catalog's "signed-after"); never more than mark */
};

/* Reads the whole journal, checking the chain and calling fn (may be NULL) for every event
 * that parses, with ev->authentic set as trust (may be NULL: nothing is) allows. A break in
 * the chain is recorded in st, not returned, so the repository keeps working (xpverify
 * reports it). With repair (caller holds the lock) a torn last line, which a crash mid-append
 * can leave, is cut off; without, it counts as a break. st->mark_hash gets the hash of event
 * number trust->mark (1-based; 0 for none). */
int xp_journal_scan(const char *repo, int repair, const struct xp_jtrust *trust, xp_journal_fn *fn,
                    void *ctx, struct xp_jstate *st, struct xp_err *err);
/* The same over the journal's text buf (len bytes, whole lines, modified in place): what
 * xp_journal_scan does once the file is read and its torn tail cut. */
int xp_journal_parse(char *buf, size_t len, const struct xp_jtrust *trust, xp_journal_fn *fn,
                     void *ctx, struct xp_jstate *st);
/* Appends one event after st's head (caller holds the lock) and advances st; signed by
 * st->key when set (xpseal(5)). */
int xp_journal_put(const char *repo, struct xp_jstate *st, const char *id, const char *event,
                   const char *reason, const char *policy, struct xp_err *err);
/* One event for xp_journal_put_lines (strings lent by the caller). */
struct xp_jline {
	const char *id, *event, *reason, *policy;
};
/* Appends n events, chained in order, with one write(2) and one fsync; st advances only when
 * all are durable. A crash leaves a prefix of them, perhaps with a torn tail; a failed write or
 * fsync (a full disk) is cut back to where the append began. */
int xp_journal_put_lines(const char *repo, struct xp_jstate *st, const struct xp_jline *v, size_t n,
                         struct xp_err *err);

/* After a repairing scan cut a torn line off: journals "repaired" with the byte count, so the
 * cut is on record. 0 when there was nothing to cut. */
int xp_journal_repaired(const char *repo, struct xp_jstate *st, struct xp_err *err);

#endif
