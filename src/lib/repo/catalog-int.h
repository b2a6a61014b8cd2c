/* Internal to the catalog module: one changing operation's state and the helpers the catalog's
 * source files share. Tools use catalog.h only. */
#ifndef XP_CATALOG_INT_H
#define XP_CATALOG_INT_H

#include "repo/catalog.h"
#include "repo/journal.h"
#include "crypto/sign.h"
#include "repo/vault.h"
#include "base/err.h"
#include "base/str.h"

/* What the journal says about one backup id. */
enum {
	XP_J_DELETING = 1u << 0,     /* "deleting" with no "deleted" after it */
	XP_J_DELETED = 1u << 1,      /* "deleted" at some point */
	XP_J_SHREDDING = 1u << 2,    /* "shredding" with no "shredded" after it */
	XP_J_DEL_SHREDDED = 1u << 3, /* "shredded" after the pending "deleting" */
	XP_J_HELD = 1u << 4,         /* "held" with no "released" after it */
	XP_J_SEALED = 1u << 5,       /* "sealed" or "adopted" after the catalog's journal mark */
	XP_J_ERASING = 1u << 6,      /* "erasing" with no "erased" or "erase-undone" after it */
	XP_J_REPLACEMENT = 1u << 7,  /* the new backup of such a pending erasure rewrite */
};
struct xp_jid {
	char id[XP_REPO_ID_HEX];
	unsigned flags;
	char *reason;              /* the pending deletion's rule or shredding's reason */
	char *hold;                /* the last "held" reason */
	int64_t held_at;           /* and its time */
	char repl[XP_REPO_ID_HEX]; /* XP_J_ERASING: the backup that replaces this one */
};

/* A record the host would act on (sealed, adopted, held, released, deleting, shredding) that
 * is not authentic (struct xp_jtrust): forged, or written unsigned by an older xpbackup after
 * the catalog's last signature. It is ignored, and reported. */
struct xp_jforged {
	size_t line; /* 1-based line number in the journal */
	char id[XP_REPO_ID_HEX];
	char event[12];
	int is_signed; /* it carries a signature that does not verify */
};

/* The sentence that reports f: "journal: line N: ... ignored, never carried out". */
void xp_jforged_msg(const struct xp_jforged *f, char *buf, size_t n);
/* Passes f to the tool's notice function (xp_catalog_set_notice), if any. */
void xp_catalog_notify(const struct xp_catalog_finding *f);

/* The journal's records by backup id: an array, and an open-addressing table over it (slot
 * holds index + 1, 0 is empty; nslot is a power of two) so that a journal of any length is
 * read in linear time. Only authentic records count; "deleted" and "shredded" that are not
 * are ignored without a report (finishing a change twice does nothing). */
struct xp_jids {
	struct xp_jid *v;
	size_t n, cap;
	size_t *slot;
	size_t nslot;
	struct xp_jforged *forged;
	size_t nforged;
};

/* A changing operation: the exclusive lock, the journal's head, the catalog as loaded (its
 * signature verified with the host's key). */
struct xp_op {
	const char *repo;
	const struct xp_signkey *key;
	struct xp_sign_pub pub; /* key's public half */
	size_t signed_after;    /* journal events that may be unsigned (xp_jtrust's legacy) */
	int rebuild;            /* XP_OP_REBUILD of a missing catalog: the caller adopts all */
	struct xp_catalog_lock lock;
	struct xp_vault vault; /* where shreddable backups' keys are destroyed */
	struct xp_jstate js;
	struct xp_catalog cat;
	struct xp_jids j;
};

/* Locks, reads the catalog and checks its signature with the host's key (XP_EINTEGRITY if it
 * does not verify, or if the catalog is missing while the journal has events, unless
 * XP_OP_REBUILD), repairs the journal's tail, reads the journal, finishes what a crash left
 * half done. On failure everything is released. */
#define XP_OP_REBUILD 0x1u /* a missing catalog is rebuilt by the caller (xp_catalog_adopt) */
int xp_op_begin(struct xp_op *op, const char *repo, const struct xp_signkey *key, unsigned flags,
                struct xp_err *err);
void xp_op_end(struct xp_op *op);
/* The catalog entry of id in op, or NULL. */
struct xp_catalog_entry *xp_op_find(struct xp_op *op, const char *id);
/* A deletion whose "deleting" record is in the journal (strings lent by the caller). */
struct xp_pending_delete {
	const char *id;
	unsigned jflags;  /* XP_J_DEL_SHREDDED: its "shredded" is journaled already */
	const char *rule; /* may be NULL */
};
/* Everything after the "deleting" records of n distinct backups: destroy their keys (vault.h;
 * "key-destroyed" per place), journal "shredded" (one write; "shredding" for one a vault copy
 * not reached still holds), remove their .xps and .minisig, fsync the directories,
 * rewrite the catalog once without them, journal "deleted" (one write). Safe to run again
 * from any point. each NULL: a file that cannot be removed stops the batch (err names it);
 * else each[i] (n of them, zeroed by the caller) gets the error of a backup whose file could
 * not be removed, naming that file, and that backup stays listed and "deleting" (a later run
 * finishes it) while the others are finished. */
int xp_op_finish_deletes(struct xp_op *op, const struct xp_pending_delete *v, size_t n,
                         struct xp_err *each, struct xp_err *err);
/* Everything after a "shredding" record: destroy the key in every place (vault.h; journal
 * "key-destroyed" per place), state "shredded", journal "shredded" unless a vault copy was not
 * reached (told to the tool as XP_FIND_VAULT): then "shredding" stays pending, and every later
 * change tries again. */
int xp_op_finish_shred(struct xp_op *op, const char *id, const char *reason, struct xp_err *err);
/* Destroys id's key in every place the vault knows, journaling "key-destroyed" per place that
 * held it (*destroyed: some did); a vault copy not reached is told to the tool (XP_FIND_VAULT)
 * and counted in *unreached. */
int xp_op_destroy_key(struct xp_op *op, const char *id, int *destroyed, size_t *unreached,
                      struct xp_err *err);
/* Everything after each "erasing" record (an erasure rewrite, catalog.h) whose new backup is
 * no longer being sealed: the new backup in the catalog in place of the old one (taken in
 * from its own signed files if the rewrite died before), the old one's key destroyed and its
 * files removed as a deletion's ("deleted"), journal "erased"; or, when the new backup never
 * became complete or the old one is on legal hold or gone, the new one's remnants removed and
 * journal "erase-undone". Safe to run again from any point. */
int xp_op_finish_erasures(struct xp_op *op, struct xp_err *err);
/* The journal's record of id, or NULL. */
const struct xp_jid *xp_jids_find(const struct xp_jids *j, const char *id);
/* Reads the journal into per-id records (no lock needed); free with xp_jids_free. trust->mark
 * is the journal length the catalog's signature records (0: unknown): only "sealed" and
 * "adopted" events after it make records (XP_J_SEALED), those the catalog may not show yet.
 * Records that trust does not make authentic go to j->forged instead. */
int xp_jids_load(const char *repo, int repair, const struct xp_jtrust *trust, struct xp_jstate *js,
                 struct xp_jids *j, struct xp_err *err);
/* The trust a catalog gives the journal: cat's mark, verified when the signature text sig
 * (may be NULL) signs text (the catalog's bytes, NULL when there is none) by pub. */
void xp_jtrust_make(struct xp_jtrust *t, const struct xp_sign_pub *pub,
                    const struct xp_catalog *cat, const char *text, size_t len, const char *sig);
void xp_jids_free(struct xp_jids *j);

/* The catalog's ids, sorted, for many lookups (a copy: the catalog may change meanwhile). */
struct xp_idset {
	char (*v)[XP_REPO_ID_HEX];
	size_t n;
};
/* 0, or -1 when out of memory. dup (may be NULL) gets an id listed twice, or "". */
int xp_idset_make(struct xp_idset *s, const struct xp_catalog *cat, char dup[XP_REPO_ID_HEX]);
int xp_idset_has(const struct xp_idset *s, const char *id);
void xp_idset_free(struct xp_idset *s);

/* Sorts, formats, signs and installs op->cat; the signature's trusted comment records the
 * journal's length and head ("journal:N:HEX"), so lines cut from its end are detected, and
 * how many of its first events may be unsigned ("signed-after:K", op->signed_after). */
int xp_catalog_write(struct xp_op *op, struct xp_err *err);
/* The journal length and head ("journal:N:HEX") from a catalog signature's trusted comment
 * (unverified), or 0 and "" when absent. */
void xp_catalog_sig_mark(const char *sigtext, size_t *lines, char head[65]);
/* Formats cat as the catalog file's text. */
void xp_catalog_format(const struct xp_catalog *cat, struct xp_sbuf *b);
/* Parses catalog text (modified in place); name is for messages. */
int xp_catalog_parse(const char *name, char *buf, size_t len, struct xp_catalog *cat,
                     struct xp_err *err);
/* Loads the catalog and, when text is not NULL, its exact bytes (for the signature). */
int xp_catalog_read(const char *repo, struct xp_catalog *cat, char **text, size_t *textlen,
                    struct xp_err *err);
/* Deep copy of src into dst (dst empty); -1 when out of memory. */
int xp_catalog_entry_copy(struct xp_catalog_entry *dst, const struct xp_catalog_entry *src);
/* What a backup's own files say about it, all of it signed by the host's key, from one read
 * of data/XX/ID.xps (xp_seal_check): its signature must verify with pub, and signature,
 * header and name agree on this id and the repository key id repo_kid; created and shreddable
 * from the header, size and hash from the file, source and data window from the signature's
 * trusted comment (unknown when absent), state "shredded" if a shreddable one's key file is
 * gone. Strings in e are malloc'd (free them); why says why not otherwise. */
int xp_catalog_describe(const char *repo, const struct xp_sign_pub *pub, const uint8_t *repo_kid,
                        const char *id, struct xp_catalog_entry *e, struct xp_err *why);
/* Removes the temp files of seals that no live process holds (their flock(2) can be taken),
 * then journals "discarded" for each (a crash between loses only the record of a file no backup
 * ever named) and reports it to the tool's notice function (xp_catalog_set_notice). */
int xp_op_discard_seal_temps(struct xp_op *op, struct xp_err *err);
/* Whether name, in data/sub/, is a seal's temp file ".ID.xps.tmp.XXXXXX" (xp_afile_open's
 * name for data/sub/ID.xps); id gets ID. */
int xp_seal_temp_name(const char *sub, const char *name, char id[XP_REPO_ID_HEX]);

/* Reports (XP_FIND_CONTINUITY) each gap and overlap between the windows of a source's
 * partitions in cat, with what the journal (read as trust allows) says of the partitions that
 * covered a gap; a gap that only partitions expired by max-age covered is retention's, and no
 * finding. Returns the number of findings, or a negative code. */
int xp_catalog_check_partitions(const char *repo, const struct xp_catalog *cat,
                                const struct xp_jtrust *trust, xp_catalog_report_fn *fn, void *ctx,
                                struct xp_err *err);

#endif
