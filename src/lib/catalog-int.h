/* Internal to the catalog module: one changing operation's state and the helpers the catalog's
 * source files share. Tools use catalog.h only. */
#ifndef XP_CATALOG_INT_H
#define XP_CATALOG_INT_H

#include "catalog.h"
#include "journal.h"

/* What the journal says about one backup id. */
enum {
	XP_J_DELETING = 1u << 0,     /* "deleting" with no "deleted" after it */
	XP_J_DELETED = 1u << 1,      /* "deleted" at some point */
	XP_J_SHREDDING = 1u << 2,    /* "shredding" with no "shredded" after it */
	XP_J_DEL_SHREDDED = 1u << 3, /* "shredded" after the pending "deleting" */
	XP_J_HELD = 1u << 4,         /* "held" with no "released" after it */
	XP_J_SEALED = 1u << 5,       /* "sealed" or "adopted" after the catalog's journal mark */
};
struct xp_jid {
	char id[XP_REPO_ID_HEX];
	unsigned flags;
	char *reason;    /* the pending deletion's rule or shredding's reason */
	char *hold;      /* the last "held" reason */
	int64_t held_at; /* and its time */
};

/* The journal's records by backup id: an array, and an open-addressing table over it (slot
 * holds index + 1, 0 is empty; nslot is a power of two) so that a journal of any length is
 * read in linear time. */
struct xp_jids {
	struct xp_jid *v;
	size_t n, cap;
	size_t *slot;
	size_t nslot;
};

/* A changing operation: the exclusive lock, the journal's head, the catalog as loaded. */
struct xp_op {
	const char *repo;
	const struct xp_signkey *key;
	struct xp_catalog_lock lock;
	struct xp_jstate js;
	struct xp_catalog cat;
	struct xp_jids j;
};

/* Locks, repairs the journal's tail, reads the journal and the catalog, finishes what a crash
 * left half done. On failure everything is released. */
int xp_op_begin(struct xp_op *op, const char *repo, const struct xp_signkey *key,
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
/* Everything after the "deleting" records of n distinct backups: shred their key files,
 * journal "shredded" (one write), remove their .xps and .minisig, fsync the directories,
 * rewrite the catalog once without them, journal "deleted" (one write). Safe to run again
 * from any point. */
int xp_op_finish_deletes(struct xp_op *op, const struct xp_pending_delete *v, size_t n,
                         struct xp_err *err);
/* Everything after a "shredding" record: shred key, state "shredded", journal "shredded". */
int xp_op_finish_shred(struct xp_op *op, const char *id, const char *reason, struct xp_err *err);
/* The journal's record of id, or NULL. */
const struct xp_jid *xp_jids_find(const struct xp_jids *j, const char *id);
/* Reads the journal into per-id records (no lock needed); free with xp_jids_free. mark is the
 * journal length the catalog's signature records (0: unknown): only "sealed" and "adopted"
 * events after it make records (XP_J_SEALED), those the catalog may not show yet. */
int xp_jids_load(const char *repo, int repair, size_t mark, struct xp_jstate *js, struct xp_jids *j,
                 struct xp_err *err);
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
 * journal's length and head ("journal:N:HEX"), so lines cut from its end are detected. */
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
/* What a backup's own files say about it, all of it signed by the host's key: the signature
 * of data/XX/ID.xps must verify with pub, its header name this id; created and shreddable from
 * the header, size and hash from the file, source and data window from the signature's trusted
 * comment (unknown when absent), state "shredded" if a shreddable one's key file is gone.
 * Strings in e are malloc'd (free them); why says why not otherwise. */
int xp_catalog_describe(const char *repo, const char *pub, const char *id,
                        struct xp_catalog_entry *e, struct xp_err *why);
/* Removes the temp files of seals that no live process holds (their flock(2) can be taken),
 * then journals "discarded" for each (a crash between loses only the record of a file no backup
 * ever named) and reports it to the tool's notice function (xp_catalog_set_notice). */
int xp_op_discard_seal_temps(struct xp_op *op, struct xp_err *err);
/* Whether name, in data/sub/, is a seal's temp file ".ID.xps.tmp.XXXXXX" (xp_afile_open's
 * name for data/sub/ID.xps); id gets ID. */
int xp_seal_temp_name(const char *sub, const char *name, char id[XP_REPO_ID_HEX]);

#endif
