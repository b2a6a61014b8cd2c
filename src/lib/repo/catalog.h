/* The repository's catalog and journal (formats in xpseal(5)).
 *
 *   REPO/catalog          one tab-separated line per backup; rewritten atomically, under the lock
 *   REPO/catalog.minisig  its signature by the host's signing key (checked with the signer trusted)
 *   REPO/journal          append-only event record; each line carries the BLAKE2b-256 of the line
 *                         before it, so an edited, removed or reordered line breaks the chain,
 *                         and the host's signature, so no one else adds a change it acts on
 *   REPO/lock             flock(2) target: every change holds it exclusively, checks share it
 *
 * Every changing call takes the lock, first finishes any half-done seal, deletion, shredding
 * or erasure rewrite left by a crash or a failed write and removes the temp files of interrupted
 * seals (xp_catalog_recover), then does its work in an order that is safe to interrupt at any step.
 * A repository gets its signed, empty catalog before its first journal event, so a journal
 * with events and no catalog only ever means the catalog was removed. A deleted backup leaves
 * the catalog; the journal keeps its record. A shredded backup stays listed in state
 * "shredded" (its file is unreadable everywhere) until retention deletes it. Backups on legal
 * hold are neither deleted nor shredded. */
#ifndef XP_CATALOG_H
#define XP_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "repo/journal.h"
#include "repo/repo.h"
#include "base/err.h"

struct xp_signkey;
struct xp_sign_pub;
struct xp_seal_info;
struct xp_dump_brief;

#define XP_CATALOG_VERSION  1
#define XP_CATALOG_HASH_LEN 32 /* BLAKE2b-256 of the .xps file */
#define XP_CATALOG_TEXT_MAX                                                                        \
	XP_JOURNAL_TEXT_MAX /* longest source, hold reason, rule or policy text */

/* What a backup holds: every row its dump asked for (a full backup), or exactly the rows of one
 * time window [since, until) of its source, which the windows of the source's other partitions
 * continue (xpbackup(7), "Partitions"). */
enum xp_catalog_kind { XP_CATALOG_FULL = 0, XP_CATALOG_PARTITION = 1 };

enum xp_catalog_state {
	XP_CATALOG_SEALED = 0,  /* complete, readable with the password */
	XP_CATALOG_SHREDDED = 1 /* its shred key is destroyed: no copy can be opened */
};

/* One backup. Strings are owned by the entry (freed by xp_catalog_free). */
struct xp_catalog_entry {
	char id[XP_REPO_ID_HEX]; /* 32 lower-case hex digits */
	int state;               /* enum xp_catalog_state */
	int64_t created;         /* seconds since the epoch, UTC */
	int has_window;          /* oldest/newest are known (from the dump's SUMMARY) */
	int64_t oldest, newest;  /* data window: oldest and newest row time */
	char *source;            /* NULL when unknown */
	uint64_t size;           /* bytes of the .xps file */
	uint8_t hash[XP_CATALOG_HASH_LEN];
	char *path;     /* relative to REPO: data/XX/ID.xps; NULL in xp_catalog_add means that */
	int shreddable; /* the data key is a key file in the vault (vault.h) */
	char *hold;     /* legal-hold reason, NULL when not held */
	int kind;       /* enum xp_catalog_kind */
	int64_t since, until; /* a partition's window [since, until) (UTC seconds), as the dump
	                       * asked for it; 0 for a full backup */
};

/* A loaded catalog, sorted by creation time then id. */
struct xp_catalog {
	struct xp_catalog_entry *entries;
	size_t n;
	/* From catalog.minisig's trusted comment, unverified (xp_catalog_check verifies): */
	size_t journal_lines;  /* journal length when the catalog was written (0: unknown) */
	char journal_head[65]; /* hex BLAKE2b-256 of the journal's last line then, or "" */
	int has_signed_after;  /* the signature says from where records are signed: */
	size_t signed_after;   /* events up to this one may be unsigned (older xpbackup) */
};

/* The lock on REPO/lock. */
struct xp_catalog_lock {
	int fd;
};

/* Takes the exclusive lock, waiting for another holder to let go (creates REPO/lock). */
int xp_catalog_lock(const char *repo, struct xp_catalog_lock *lock, struct xp_err *err);
/* The same without waiting: XP_EFAIL "REPO: catalog is locked by another process" if held. */
int xp_catalog_trylock(const char *repo, struct xp_catalog_lock *lock, struct xp_err *err);
/* A shared lock (readers that want a stable picture: xp_catalog_check, xp_journal_verify).
 * Needs no write access; without a REPO/lock file yet it succeeds holding nothing. */
int xp_catalog_lock_shared(const char *repo, struct xp_catalog_lock *lock, struct xp_err *err);
/* Releases the lock; safe on a lock that was never taken (fd -1) or twice. */
void xp_catalog_unlock(struct xp_catalog_lock *lock);

/* Reads REPO/catalog (no lock needed: it only ever changes by rename). A repository without a
 * catalog yet loads as empty. Does not check the signature (xp_catalog_check does). */
int xp_catalog_load(const char *repo, struct xp_catalog *cat, struct xp_err *err);
/* Frees what xp_catalog_load allocated and empties cat. */
void xp_catalog_free(struct xp_catalog *cat);
/* The entry with this id, or NULL. */
const struct xp_catalog_entry *xp_catalog_find(const struct xp_catalog *cat, const char *id);
/* "sealed" or "shredded". */
const char *xp_catalog_state_name(int state);
/* "full" or "partition". */
const char *xp_catalog_kind_name(int kind);

/* Reads REPO/catalog as xp_catalog_load does and checks its signature with signer (the key this
 * host trusts: trust.h), so that only what the host signed counts: XP_EINTEGRITY when it does
 * not verify or is missing while the catalog is there. A repository without a catalog yet
 * loads as empty. */
int xp_catalog_load_signed(const char *repo, const struct xp_sign_pub *signer,
                           struct xp_catalog *cat, struct xp_err *err);

/* Names a complete backup in the catalog: journal "sealed", rewrite and sign the catalog.
 * data/XX/ID.xps must already exist with e->size bytes (XP_ENOENT if missing, XP_EINTEGRITY if
 * the size differs), its .minisig beside it; an id already listed, one the journal says was
 * deleted, or a partition whose window meets one listed of its source (a window is sealed
 * once: xp_catalog_partition_overlap), is refused (XP_EFAIL). e->hold is ignored: holds go through
 * xp_catalog_hold. The caller keeps ownership of e. */
int xp_catalog_add(const char *repo, const struct xp_signkey *key, const struct xp_catalog_entry *e,
                   struct xp_err *err);

/* Partitions (xpbackup(7), "Partitions"): backups that each hold the rows of one time window
 * [since, until) of a source, so that consecutive ones tile its time line. */
/* The journal's reason for a partition's "sealed" record: "partition SINCE UNTIL SOURCE"
 * (SOURCE is the rest of the text; "-" when the backup has none). malloc'd, NULL when out of
 * memory. */
char *xp_catalog_partition_record(const struct xp_catalog_entry *e);
/* Reads such a reason back: 0, with *source pointing into reason ("" for none); -1 when
 * reason is not one. */
int xp_catalog_partition_parse(const char *reason, int64_t *since, int64_t *until,
                               const char **source);

/* The indexes into cat->entries of its partitions, sorted by source, then window, then id,
 * into *idx (malloc'd, caller frees; may be NULL when none), their count in *n. */
int xp_catalog_partitions(const struct xp_catalog *cat, size_t **idx, size_t *n,
                          struct xp_err *err);
/* A hole or an overlap between two partitions of one source. */
enum xp_catalog_flaw_kind { XP_CATALOG_GAP, XP_CATALOG_OVERLAP };
struct xp_catalog_flaw {
	int kind;           /* enum xp_catalog_flaw_kind */
	const char *source; /* "" for none */
	int64_t from, to;   /* the missing or doubly covered interval [from, to) */
	const char *before; /* id of the partition whose window ends at from (a gap) or
	                     * the one that covers [from, to) first (an overlap) */
	const char *after;  /* id of the next partition */
};
typedef void xp_catalog_flaw_fn(void *ctx, const struct xp_catalog_flaw *f);

/* A window that retention ended (a partition the journal says was deleted by max-age), for
 * xp_catalog_partition_check: a gap wholly inside such windows is retention's, not a flaw. */
struct xp_catalog_span {
	const char *source; /* borrowed */
	int64_t since, until;
};

/* Walks the partitions of every source in cat in window order and calls fn for each gap and
 * each overlap between consecutive windows. What lies before a source's first partition is
 * retention's (the old end), never a gap; a gap covered wholly by the windows in expired
 * (n of them) is retention's too (behind a partition kept by a hold). Returns the number of
 * flaws reported, or XP_ENOMEM. */
int xp_catalog_partition_check(const struct xp_catalog *cat, const struct xp_catalog_span *expired,
                               size_t n, xp_catalog_flaw_fn *fn, void *ctx, struct xp_err *err);

/* The partition of e's source in cat whose window meets e's (a window is sealed once), or
 * NULL. */
const struct xp_catalog_entry *xp_catalog_partition_overlap(const struct xp_catalog *cat,
                                                            const struct xp_catalog_entry *e);

/* Whether [from, to) lies wholly inside the union of the windows of source in v (n of them). */
int xp_catalog_partition_covered(const struct xp_catalog_span *v, size_t n, const char *source,
                                 int64_t from, int64_t to);

/* Deletes a backup: journal "deleting" (rule, policy), destroy its key if any, as
 * xp_catalog_shred does (journal "shredded"), remove ID.xps and ID.xps.minisig, rewrite the
 * catalog, journal "deleted". rule says why ("max-age 90d"); policy is the whole policy text
 * (either may be NULL).
 * A held backup is refused (XP_EFAIL); an unknown id is XP_ENOENT, unless the
 * journal says it was deleted: then nothing is left to do and the call succeeds. */
int xp_catalog_delete(const char *repo, const struct xp_signkey *key, const char *id,
                      const char *rule, const char *policy, struct xp_err *err);

/* One backup of a batch deletion: id and rule in, the outcome out. */
struct xp_catalog_deletion {
	const char *id;
	const char *rule;  /* why ("max-age 90d"); may be NULL */
	int rc;            /* out: 0 deleted (or the journal says it already was), else XP_E* */
	struct xp_err err; /* out: why, when rc is not 0 */
};
/* Backups a batch deletion finishes per catalog rewrite: a crash loses at most one group's
 * progress (the next run finishes what is journaled), and memory stays bounded. */
#define XP_CATALOG_DELETE_GROUP 1000

/* xp_catalog_delete for n backups under one lock: per group of XP_CATALOG_DELETE_GROUP,
 * journal "deleting" for each (one write, one fsync), shred their key files (journal
 * "shredded"), remove their files, rewrite and sign the catalog once, journal "deleted".
 * policy is the whole policy text (may be NULL). A backup refused (held, unknown, listed
 * twice), or whose file cannot be removed (its err names that file; it stays in the catalog,
 * journaled "deleting", and a later run finishes it), gets its own rc and err and does not
 * stop the others; the call then still returns 0. A failure of the batch itself (lock, I/O)
 * is returned, and every backup of the failed group and after it that was not refused
 * carries it too. */
int xp_catalog_delete_many(const char *repo, const struct xp_signkey *key,
                           struct xp_catalog_deletion *v, size_t n, const char *policy,
                           struct xp_err *err);

/* Puts a backup on legal hold (reason required, one line after escaping) / takes it off. A
 * backup already held keeps its hold: a second one is refused (XP_EFAIL, "ID: already held
 * since T: REASON; release it first") and nothing is journaled. */
int xp_catalog_hold(const char *repo, const struct xp_signkey *key, const char *id,
                    const char *reason, struct xp_err *err);
int xp_catalog_release(const char *repo, const struct xp_signkey *key, const char *id,
                       struct xp_err *err);

/* Erasure request for a shreddable backup: journal "shredding" (reason), destroy its key in
 * the host's vault, REPO/keys/shred and every registered vault copy (vault.h; journal
 * "key-destroyed" for each place that held it), mark the entry "shredded", journal "shredded".
 * A vault copy not reached is told to the tool's notice function (XP_FIND_VAULT) and keeps the
 * shredding pending ("shredded" is not journaled) until a later change reaches it. The .xps
 * stays until retention deletes it; no copy of it can be opened any more. A backup that is not
 * shreddable is refused (XP_EUSAGE), as is a held one (XP_EFAIL); one already shredded succeeds at
 * once. */
int xp_catalog_shred(const char *repo, const struct xp_signkey *key, const char *id,
                     const char *reason, struct xp_err *err);

/* After a key rotation re-sealed data/XX/ID.xps to the new repository key (xpseal rekey):
 * journal "rekeyed" (reason: the key ids, may be NULL), then the entry's new size and hash,
 * rewrite and sign the catalog. XP_ENOENT for an id not listed. */
int xp_catalog_rekeyed(const char *repo, const struct xp_signkey *key, const char *id,
                       uint64_t size, const uint8_t hash[XP_CATALOG_HASH_LEN], const char *reason,
                       struct xp_err *err);

/* An erasure rewrite (xperase --rewrite) replaces backup id by new_id, a backup of the same
 * rows less those the erasure ledger covers, crash-safe in this order:
 *   1. new_id is sealed into its temp file (flock(2)ed, as every seal's);
 *   2. xp_catalog_erasing journals "erasing" (id, reason: the requests and counts, policy:
 *      new_id), refused for a backup not listed, held (XP_EFAIL), shredded or already being
 *      rewritten;
 *   3. the seal renames new_id's files into place;
 *   4. xp_catalog_erased (or any later change's recovery): one catalog write lists new_id in
 *      place of id; then id is deleted as xp_catalog_delete does (its key destroyed in every
 *      vault place, journal "shredded", files removed, journal "deleted" with rule "erasure:
 *      replaced by NEW", which takes it off every copy, as an expired backup); journal
 *      "erased" (id, the same reason, policy new_id).
 * A crash before 3 leaves new_id incomplete: the recovery removes its remnants and journals
 * "erase-undone", as it does when id went on legal hold or was deleted meanwhile. So the catalog
 * lists exactly one of the two at every point. */
int xp_catalog_erasing(const char *repo, const struct xp_signkey *key, const char *id,
                       const char *new_id, const char *reason, struct xp_err *err);
/* Step 4 above: 0 once new_id is listed in place of id; XP_EFAIL when the rewrite was undone. */
int xp_catalog_erased(const char *repo, const struct xp_signkey *key, const char *id,
                      const char *new_id, struct xp_err *err);

/* Finishes what a crash or a failed write (a full disk) interrupted: a deletion or shredding
 * journaled but not completed; an erasure rewrite (above); a seal or adoption journaled after the
 * catalog was last written but not in it, taken in from the backup's own signed files (as
 * xp_catalog_adopt would, with no new event); a catalog signature not yet in place; a torn last
 * journal line; the temp file of a seal (see xp_catalog_set_notice); an erasure request not yet
 * journaled (xp_erase_recover). Takes the lock. Every changing call above does this first. */
int xp_catalog_recover(const char *repo, const struct xp_signkey *key, struct xp_err *err);

/* Keys left behind: destroys every key the vault holds (the host's vault, keys/shred, each
 * registered vault copy reached) of a backup that is gone: one the catalog no longer lists and
 * the signed journal records as deleted, or one listed as shredded. Such a key came back (a
 * vault restored from a host backup, a vault copy registered again) or was out of reach when
 * its backup went; it would open any copy of the backup made meanwhile. Each place is
 * journaled "key-destroyed". Takes the lock; *dropped (may be NULL) gets the number of
 * backups whose keys went. */
int xp_catalog_drop_keys(const char *repo, const struct xp_signkey *key, size_t *dropped,
                         struct xp_err *err);

/* Appends one event to the journal under the lock (for events outside the catalog: "verified",
 * "drill"). id may be NULL ("-"); reason and policy may be NULL. */
int xp_journal_append(const char *repo, const char *id, const char *event, const char *reason,
                      const char *policy, struct xp_err *err);

/* Checks the whole hash chain under the shared lock: 0, or XP_EINTEGRITY naming the first
 * bad line. lines (may be
 * NULL) gets the number of events. A missing journal is an empty one. */
int xp_journal_verify(const char *repo, size_t *lines, struct xp_err *err);
/* Verifies the chain while calling fn for each event in order; fn returning non-zero stops
 * the walk and is returned. */
int xp_journal_read(const char *repo, xp_journal_fn *fn, void *ctx, struct xp_err *err);

/* What xp_catalog_check and xp_catalog_adopt report, one finding per problem. */
enum xp_catalog_finding_kind {
	XP_FIND_MISSING,     /* the catalog names a file that is not there */
	XP_FIND_ORPHAN,      /* a file under data/ or keys/shred/ the catalog does not name */
	XP_FIND_SIZE,        /* size differs from the catalog */
	XP_FIND_HASH,        /* BLAKE2b differs from the catalog */
	XP_FIND_SIGNATURE,   /* a backup's .minisig is missing or does not verify */
	XP_FIND_CATALOG,     /* catalog damaged, unsigned or its signature does not verify */
	XP_FIND_JOURNAL,     /* journal chain broken, or shorter than the catalog says, or a
	                      * record a change would act on is not authentic (ignored) */
	XP_FIND_PENDING,     /* a seal, deletion, shredding or catalog write was interrupted (the
	                      * next change ends it) */
	XP_FIND_SHRED_KEY,   /* a shreddable backup lacks its key, or a shredded one still has it */
	XP_FIND_ADOPTED,     /* xp_catalog_adopt: taken back into the catalog */
	XP_FIND_NOT_ADOPTED, /* xp_catalog_adopt: an orphan left alone, and why */
	XP_FIND_CONTINUITY,  /* a gap or an overlap between the windows of a source's partitions */
	XP_FIND_UNREADABLE,  /* a backup, the catalog, its signature or signer.pub could not be
	                      * read (I/O, permissions): a failure, never an integrity finding */
	XP_FIND_SEAL_TEMP,   /* a warning, not counted: the temp file of a seal in progress or
	                      * interrupted (the next change removes it once no seal holds it) */
	XP_FIND_DISCARDED,   /* a change removed such a temp file (see xp_catalog_set_notice) */
	XP_FIND_VAULT        /* a change could not reach a registered vault copy to destroy a key
	                      * there: the shredding stays pending (see xp_catalog_set_notice);
	                      * or (xp_catalog_check) a vault copy lacks a sealed backup's key */
};

struct xp_catalog_finding {
	int kind;         /* enum xp_catalog_finding_kind */
	const char *id;   /* backup id, or "" */
	const char *path; /* relative to REPO, or "" */
	const char *msg;  /* one human sentence: "data/ab/ab...xps: size 10, catalog says 12" */
};
typedef void xp_catalog_report_fn(void *ctx, const struct xp_catalog_finding *f);
/* Short lower-case name of a finding kind ("missing", "orphan", ...). */
const char *xp_catalog_finding_name(int kind);

/* Checks the repository against its catalog: missing files, orphans, sizes, hashes, each
 * backup's signature, the catalog's signature, the journal chain. Catalog and journal are read
 * under the shared lock; the files are read without it, so backups and retention go on during
 * a long check, and what a change may have made untrue meanwhile (a missing file, an orphan) is
 * confirmed under the lock at the end. Calls report once per finding and once per warning
 * (XP_FIND_SEAL_TEMP); returns the number of findings, warnings not counted (>= 0), or a
 * negative code when the check itself could not run. */
int xp_catalog_check(const char *repo, xp_catalog_report_fn *report, void *ctx, struct xp_err *err);
/* The same with signer, the key trusted for this repository (trust.h; NULL: keys/signer.pub,
 * as xp_catalog_check), checking the catalog's, the journal's and the backups' signatures; with
 * XP_CHECK_NO_SIGNATURES, backups' .minisig files are left to the caller (a tool that verifies
 * them itself: each file is then read once here, for its hash). */
#define XP_CHECK_NO_SIGNATURES 0x1u
int xp_catalog_check_flags(const char *repo, const struct xp_sign_pub *signer, unsigned flags,
                           xp_catalog_report_fn *report, void *ctx, struct xp_err *err);

/* Takes orphaned complete backups (a good signature by the host's key, binding to the id in the
 * file name and to the repository key: xp_seal_check) back into the catalog from their own
 * headers and signatures; a catalog that was removed is rebuilt so (XP_OP_REBUILD), one whose
 * signature does not verify is refused (XP_EINTEGRITY), as by every change:
 * journal "adopted". Source and data window come from the signature's trusted comment
 * (xp_seal_sig_fields); a backup signed without them gets "-". A backup the journal says
 * was deleted is never taken back, nor is a seal's temp file (never a complete backup: the
 * change removes it if its seal was interrupted). Reports each adopted or refused file;
 * adopted (may be NULL) gets the count. */
int xp_catalog_adopt(const char *repo, const struct xp_signkey *key, xp_catalog_report_fn *report,
                     void *ctx, size_t *adopted, struct xp_err *err);

/* Every change, once it holds the lock, removes the temp files (data/XX/.ID.xps.tmp.*) of
 * seals that were interrupted: those on which it can take the flock(2) that a running seal
 * holds from creating its temp file until renaming it (xp_seal_backup); with each, when no
 * backup has that id, the signature, its temp files and the vault key file the seal wrote. Each one
 * removed is journaled "discarded" (reason: the sentence below) and, when a tool set fn, reported
 * to it as XP_FIND_DISCARDED, msg "removed data/XX/.ID.xps.tmp.XXXXXX left by an interrupted seal".
 * A journal record the change ignores because it is not authentic is reported to fn too, as
 * XP_FIND_JOURNAL. Process-wide: set once in main, like xp_progname. fn NULL (the default):
 * journaled only. */
void xp_catalog_set_notice(xp_catalog_report_fn *fn, void *ctx);

#endif
