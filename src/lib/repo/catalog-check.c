#include "config.h"

#include "repo/catalog-int.h"
#include "repo/keys.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/os.h"
#include "base/time.h"
#include "base/io.h"
#include "base/os.h"
#include "base/encode.h"
#include "base/str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

const char *xp_catalog_finding_name(int kind)
{
	static const char *const names[] = {
	        [XP_FIND_MISSING] = "missing",
	        [XP_FIND_ORPHAN] = "orphan",
	        [XP_FIND_SIZE] = "size",
	        [XP_FIND_HASH] = "hash",
	        [XP_FIND_SIGNATURE] = "signature",
	        [XP_FIND_CATALOG] = "catalog",
	        [XP_FIND_JOURNAL] = "journal",
	        [XP_FIND_PENDING] = "pending",
	        [XP_FIND_SHRED_KEY] = "shred-key",
	        [XP_FIND_ADOPTED] = "adopted",
	        [XP_FIND_NOT_ADOPTED] = "not-adopted",
	        [XP_FIND_CONTINUITY] = "continuity",
	        [XP_FIND_UNREADABLE] = "unreadable",
	        [XP_FIND_SEAL_TEMP] = "seal-temp",
	        [XP_FIND_DISCARDED] = "discarded",
	        [XP_FIND_VAULT] = "vault",
	};

	if (kind < 0 || (size_t)kind >= sizeof names / sizeof *names || !names[kind])
		return "unknown";
	return names[kind];
}

/* Reporting state shared by check and adopt. */
struct rep {
	xp_catalog_report_fn *fn;
	void *ctx;
	int count;
};

static void __attribute__((format(XP_PRINTF, 5, 6)))
report(struct rep *r, int kind, const char *id, const char *path, const char *fmt, ...)
{
	struct xp_catalog_finding f;
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	f.kind = kind;
	f.id = id ? id : "";
	f.path = path ? path : "";
	f.msg = msg;
	if (kind != XP_FIND_SEAL_TEMP) /* a warning: what it names is not wrong */
		r->count++;
	if (r->fn)
		r->fn(r->ctx, &f);
}

/* BLAKE2b-256 and size of a file, read in one pass. */
static int hash_file(const char *path, uint8_t hash[XP_CATALOG_HASH_LEN], uint64_t *size,
                     struct xp_err *err)
{
	crypto_generichash_state st;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	ssize_t n;
	int fd, rc = 0;

	rc = xp_open_regular(path, O_RDONLY, &fd, err);
	if (rc)
		return rc;
	buf = malloc(1 << 16);
	if (!buf || crypto_generichash_init(&st, NULL, 0, XP_CATALOG_HASH_LEN) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	while ((n = xp_read_full(fd, buf, 1 << 16)) > 0) {
		crypto_generichash_update(&st, buf, (unsigned long long)n);
		total += (uint64_t)n;
	}
	if (n < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	crypto_generichash_final(&st, hash, XP_CATALOG_HASH_LEN);
	*size = total;
out:
	free(buf);
	close(fd);
	return rc;
}

static int exists(const char *path)
{
	struct stat st;

	return xp_os_lstat(path, &st) == 0;
}

static int filter_visible(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Calls fn(ctx, dir name, file name) for every file under REPO/data/XX/ in sorted order. */
typedef int walk_fn(void *ctx, const char *sub, const char *name);
static int walk_data(const char *repo, walk_fn *fn, void *ctx, struct xp_err *err)
{
	struct dirent **subs = NULL, **files = NULL;
	int nsub = -1, nfiles = -1, rc = 0;
	char *data = xp_repo_file(repo, XP_REPO_DATA), *dir = NULL;

	if (!data)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	nsub = scandir(data, &subs, filter_visible, alphasort);
	if (nsub < 0) {
		if (errno != ENOENT)
			rc = xp_err_sys(err, XP_EFAIL, "%s", data);
		goto out;
	}
	for (int i = 0; i < nsub && rc == 0; i++) {
		free(dir);
		dir = xp_repo_data_sub(repo, subs[i]->d_name);
		if (!dir) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		nfiles = scandir(dir, &files, filter_visible, alphasort);
		if (nfiles < 0) {
			if (errno == ENOTDIR)
				rc = fn(ctx, NULL, subs[i]->d_name);
			else
				rc = xp_err_sys(err, XP_EFAIL, "%s", dir);
			continue;
		}
		for (int j = 0; j < nfiles; j++) {
			if (rc == 0)
				rc = fn(ctx, subs[i]->d_name, files[j]->d_name);
			free(files[j]);
		}
		free(files);
		files = NULL;
	}
out:
	for (int i = 0; i < nsub; i++)
		free(subs[i]);
	free(subs);
	free(dir);
	free(data);
	return rc;
}

/* The id of a file name "ID.xps" (kind 1) or "ID.xps.minisig" (kind 2) under data/XX/. */
static int data_name(const char *sub, const char *name, char id[XP_REPO_ID_HEX])
{
	size_t n = strlen(name);
	int kind;

	if (n == 36 && strcmp(name + 32, ".xps") == 0)
		kind = 1;
	else if (n == 44 && strcmp(name + 32, ".xps.minisig") == 0)
		kind = 2;
	else
		return 0;
	memcpy(id, name, 32);
	id[32] = '\0';
	if (!xp_repo_id_in_sub(sub, id))
		return 0;
	return kind;
}

/* A finding about a file's presence or absence, made without the lock: a change may have
 * happened meanwhile, so it is confirmed against the catalog and journal of the end. */
struct later {
	int kind;
	char id[XP_REPO_ID_HEX];
	char rel[512]; /* relative to REPO, or an absolute path (a key in a vault) */
	char *msg;
};

struct check {
	const char *repo;
	unsigned flags;
	const char *pub;        /* keys/signer.pub, when no signer is given */
	struct xp_sign_pub key; /* the signer trusted */
	int has_key;
	int given;      /* key is the caller's, not read from pub */
	uint8_t kid[8]; /* the repository key's id */
	int has_kid;
	struct xp_jtrust trust;
	struct xp_catalog cat;
	struct xp_jstate js;
	struct xp_jids j;
	struct xp_idset listed; /* cat's ids */
	struct rep r;
	struct later *later; /* findings to confirm under the lock at the end */
	size_t nlater;
	int oom;
	struct xp_vault vault; /* where the keys of shreddable backups are (vault.h) */
	int has_vault;
	int keys_here; /* this host keeps the repository's keys (xp_vault_here) */
};

static const struct xp_jid *jid(const struct check *c, const char *id)
{
	return xp_jids_find(&c->j, id);
}

static int listed(const struct check *c, const char *id)
{
	return xp_idset_has(&c->listed, id);
}
static void __attribute__((format(XP_PRINTF, 5, 6)))
defer(struct check *c, int kind, const char *id, const char *rel, const char *fmt, ...)
{
	struct later *grown = realloc(c->later, (c->nlater + 1) * sizeof *grown);
	struct later *l;
	va_list ap;
	int n;

	if (!grown) {
		c->oom = 1;
		return;
	}
	c->later = grown;
	l = &c->later[c->nlater];
	memset(l, 0, sizeof *l);
	l->kind = kind;
	snprintf(l->id, sizeof l->id, "%s", id ? id : "");
	snprintf(l->rel, sizeof l->rel, "%s", rel);
	va_start(ap, fmt);
	n = vasprintf(&l->msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->oom = 1;
		return;
	}
	c->nlater++;
}

static int xps_beside(const char *repo, const char *sub, const char *id)
{
	char *path = xp_repo_backup(repo, id, "");
	int there = path && exists(path);

	free(path);
	return there;
}

static int orphan(void *ctx, const char *sub, const char *name)
{
	struct check *c = ctx;
	char id[XP_REPO_ID_HEX], rel[128];
	const struct xp_jid *j;
	int kind = data_name(sub, name, id);

	snprintf(rel, sizeof rel, "data/%s%s%s", sub ? sub : "", sub ? "/" : "", name);
	if (kind && listed(c, id))
		return 0;
	j = kind ? jid(c, id) : NULL;
	if (j && (j->flags & (XP_J_DELETING | XP_J_REPLACEMENT)))
		return 0; /* reported as pending */
	if (kind == 1 && j && (j->flags & XP_J_SEALED) && !(j->flags & XP_J_DELETED))
		defer(c, XP_FIND_PENDING, id, rel,
		      "%s: sealed, but the catalog write was interrupted; the next catalog change "
		      "finishes it",
		      rel);
	else if (kind == 1)
		defer(c, XP_FIND_ORPHAN, id, rel, "%s: not in the catalog%s", rel,
		      j && (j->flags & XP_J_DELETED) ? " (the journal says it was deleted)"
		                                     : " (xpverify --adopt takes it back)");
	else if (kind == 2 && xps_beside(c->repo, sub, id))
		return 0; /* its .xps is the finding */
	else if (kind == 2)
		defer(c, XP_FIND_ORPHAN, id, rel, "%s: signature of a backup not in the catalog",
		      rel);
	else if (xp_seal_temp_name(sub, name, id))
		defer(c, XP_FIND_SEAL_TEMP, id, rel,
		      "%s: temporary file of a seal in progress or interrupted (the next xpseal or "
		      "xpexpire removes it once no seal holds it)",
		      rel);
	else if (strstr(name, ".tmp."))
		defer(c, XP_FIND_ORPHAN, NULL, rel,
		      "%s: temporary file of a seal in progress or interrupted", rel);
	else
		defer(c, XP_FIND_ORPHAN, NULL, rel, "%s: not a backup file", rel);
	return 0;
}

static int orphan_keys(struct check *c, struct xp_err *err)
{
	char *dir = xp_repo_file(c->repo, XP_REPO_SHRED_DIR);
	struct dirent **ents = NULL;
	int n, rc = 0;

	if (!dir)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	n = scandir(dir, &ents, filter_visible, alphasort);
	if (n < 0 && errno != ENOENT)
		rc = xp_err_sys(err, XP_EFAIL, "%s", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char id[XP_REPO_ID_HEX] = "";

		if (strlen(name) == 36 && strcmp(name + 32, ".key") == 0) {
			memcpy(id, name, 32);
			id[32] = '\0';
		}
		if (!xp_repo_valid_id(id) || !listed(c, id)) {
			const struct xp_jid *j = xp_repo_valid_id(id) ? jid(c, id) : NULL;

			if (!j || !(j->flags & (XP_J_DELETING | XP_J_SHREDDING))) {
				char rel[sizeof "keys/shred/" + 256];

				snprintf(rel, sizeof rel, "keys/shred/%s", name);
				defer(c, XP_FIND_ORPHAN, id, rel,
				      "%s: shred key of no backup in the catalog", rel);
			}
		}
		free(ents[i]);
	}
	free(ents);
	free(dir);
	return rc;
}

/* A key in the host's vault or a vault copy whose backup is gone: the catalog lists it
 * shredded, or no more and the journal records it deleted; no deletion or shredding of it is
 * pending. (A key of an id the journal never had is a seal's that was killed before the
 * catalog: it has no backup to open.) */
static int vault_orphan(void *ctx, const char *id, const char *place, const char *path)
{
	struct check *c = ctx;
	const struct xp_catalog_entry *e = xp_catalog_find(&c->cat, id);
	const struct xp_jid *j = jid(c, id);

	if ((e && e->state != XP_CATALOG_SHREDDED) || (!e && !(j && (j->flags & XP_J_DELETED))) ||
	    (j && (j->flags & (XP_J_DELETING | XP_J_SHREDDING))))
		return 0;
	if (e && strcmp(place, "host vault") == 0)
		return 0; /* check_entry reports it */
	defer(c, XP_FIND_ORPHAN, id, path,
	      "%s: key of %s backup %s (xpexpire destroys it): it would open a copy of the backup",
	      path, e ? "shredded" : "no", id);
	return 0;
}

/* Each vault copy that can be reached holds the key of every sealed shreddable backup whose
 * key the host's vault holds (one out of reach is vault list's and sync's to report). */
static void vault_copies(struct check *c)
{
	for (size_t i = 0; i < c->vault.ncopies; i++) {
		struct xp_err ignored;

		if (xp_vault_reach_copy(&c->vault, i, &ignored) != 0)
			continue;
		for (size_t k = 0; k < c->cat.n; k++) {
			const struct xp_catalog_entry *e = &c->cat.entries[k];
			const struct xp_jid *j = jid(c, e->id);
			char *path;

			if (!e->shreddable || e->state != XP_CATALOG_SEALED ||
			    (j && (j->flags & (XP_J_DELETING | XP_J_SHREDDING))) ||
			    !xp_vault_holds(&c->vault, e->id))
				continue;
			path = xp_asprintf("%s/%s/%s.key", c->vault.copies[i], c->vault.repo_id,
			                   e->id);
			if (!path) {
				c->oom = 1;
				return;
			}
			if (!exists(path))
				defer(c, XP_FIND_VAULT, e->id, path,
				      "%s: missing: vault copy %s lacks the key of backup %s "
				      "(xpseal "
				      "vault sync copies it)",
				      path, c->vault.copies[i], e->id);
			free(path);
		}
	}
}

/* A message of sign.c's without its leading "PATH: " (the finding names the file already). */
static const char *after_path(const char *msg, const char *path)
{
	size_t n = strlen(path);

	return strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0 ? msg + n + 2 : msg;
}

static void check_entry(struct check *c, const struct xp_catalog_entry *e)
{
	char rel[XP_REPO_REL_MAX], *xps = NULL, *sig = NULL;
	uint8_t hash[XP_CATALOG_HASH_LEN];
	const struct xp_jid *j = jid(c, e->id);
	struct xp_seal_checked chk = {0};
	struct xp_err err = {0};
	uint64_t size = 0;
	int rc;

	if (j && (j->flags & (XP_J_DELETING | XP_J_SHREDDING)))
		return; /* reported as pending */
	xp_repo_backup_rel(e->id, rel);
	xps = xp_repo_backup(c->repo, e->id, "");
	sig = xp_repo_backup(c->repo, e->id, ".minisig");
	if (!xps || !sig) {
		report(&c->r, XP_FIND_UNREADABLE, e->id, rel, "%s: out of memory", rel);
		goto out;
	}
	if ((c->flags & XP_CHECK_NO_SIGNATURES) || !c->has_key || !exists(sig)) {
		rc = hash_file(xps, hash, &size, &err);
		if (rc == 0 && !(c->flags & XP_CHECK_NO_SIGNATURES) && !c->has_key)
			defer(c, XP_FIND_SIGNATURE, e->id, rel,
			      "%s: keys/signer.pub cannot be read", rel);
		else if (rc == 0 && !(c->flags & XP_CHECK_NO_SIGNATURES))
			defer(c, XP_FIND_SIGNATURE, e->id, rel, "%s.minisig: missing", rel);
	} else {
		/* One read: the hash the catalog records and the signature, of the same bytes. */
		rc = xp_seal_check(xps, sig, &c->key, e->id, c->has_kid ? c->kid : NULL, -1, &chk,
		                   &err);
		size = chk.size;
		memcpy(hash, chk.hash, sizeof hash);
		if (rc == XP_EINTEGRITY) {
			defer(c, XP_FIND_SIGNATURE, e->id, rel, "%s: %s", rel,
			      after_path(err.msg, xps));
			rc = hash_file(xps, hash, &size,
			               &err); /* the check may have stopped early */
		}
		xp_seal_checked_free(&chk);
	}
	if (rc == XP_ENOENT)
		defer(c, XP_FIND_MISSING, e->id, rel, "%s: missing", rel);
	else if (rc)
		report(&c->r, XP_FIND_UNREADABLE, e->id, rel, "%s", err.msg);
	else if (size != e->size)
		defer(c, XP_FIND_SIZE, e->id, rel, "%s: %" PRIu64 " bytes, catalog says %" PRIu64,
		      rel, size, e->size);
	else if (sodium_memcmp(hash, e->hash, sizeof hash) != 0)
		defer(c, XP_FIND_HASH, e->id, rel, "%s: BLAKE2b differs from the catalog", rel);
	if (!c->has_vault)
		goto out;
	if (e->shreddable && e->state == XP_CATALOG_SEALED && c->keys_here &&
	    !xp_vault_holds(&c->vault, e->id))
		defer(c, XP_FIND_SHRED_KEY, e->id, rel,
		      "%s: its key %s.key is in neither %s nor keys/shred: the backup cannot be "
		      "opened",
		      rel, e->id, c->vault.dir);
	else if (e->state == XP_CATALOG_SHREDDED && xp_vault_holds(&c->vault, e->id))
		defer(c, XP_FIND_SHRED_KEY, e->id, rel,
		      "%s: shredded, but its key %s.key is still there", rel, e->id);
out:
	free(xps);
	free(sig);
}

/* A signature of text by the signer trusted (the repository's when none could be had, to name
 * why it cannot be checked). */
static int verify_text(struct check *c, const char *text, size_t len, const char *sig,
                       struct xp_err *err)
{
	if (c->has_key)
		return xp_sign_verify_buffer_pub(text, len, sig, &c->key, err);
	return xp_sign_verify_buffer(text, len, sig, c->pub, err);
}

/* A write of the catalog interrupted before its new signature was renamed into place leaves
 * catalog.minisig.new signing the catalog: signed by the host's key and recording at least the
 * journal that the old signature does, it is an interrupted change, not tampering. */
static int new_signature(struct check *c, const char *text, size_t len)
{
	char *npath = xp_repo_file(c->repo, XP_REPO_CATALOG_SIG_NEW), *sig = NULL, head[65];
	struct xp_err ignored;
	size_t lines;
	int is = 0;

	if (npath && xp_repo_read_optional(c->repo, npath, 1 << 16, &sig, NULL, NULL) == 0 && sig &&
	    verify_text(c, text, len, sig, &ignored) == 0) {
		xp_catalog_sig_mark(sig, &lines, head);
		is = lines >= c->cat.journal_lines;
	}
	free(sig);
	free(npath);
	return is;
}

/* Signatures are checked with the signer given, not the repository's copy of it; a copy that
 * cannot be read is still a finding. */
static void check_signer_file(struct check *c)
{
	char *text = NULL;
	struct xp_err err = {0};

	if (xp_repo_read(c->repo, c->pub, 1 << 12, &text, NULL, &err) != 0)
		report(&c->r, XP_FIND_UNREADABLE, NULL, xp_repo_name(XP_REPO_SIGNER_PUB), "%s",
		       err.msg);
	free(text);
}

/* A symbolic link where the catalog, its signature or the journal must be was planted: the
 * tools never make one and never follow one, so it is reported as tampering (kind), not as a
 * file that could not be read, nor as what reading around it suggests (a rollback). */
static int planted(struct check *c, enum xp_repo_file f, int kind)
{
	char *path = xp_repo_file(c->repo, f);
	struct stat st;
	int is = path && xp_os_lstat(path, &st) == 0 && S_ISLNK(st.st_mode);

	if (is)
		report(&c->r, kind, NULL, xp_repo_name(f),
		       "%s: a symbolic link where a file must be (never followed)", path);
	free(path);
	return is;
}

static void check_catalog_signature(struct check *c, const char *text, size_t len)
{
	char *spath = xp_repo_file(c->repo, XP_REPO_CATALOG_SIG), *sig = NULL;
	struct xp_err err = {0};
	int rc, bad;

	if (!spath) {
		report(&c->r, XP_FIND_CATALOG, NULL, "catalog", "catalog: out of memory");
		return;
	}
	if (c->given)
		check_signer_file(c);
	rc = xp_repo_read(c->repo, spath, 1 << 16, &sig, NULL, &err);
	bad = rc == 0 ? verify_text(c, text, len, sig, &err) : 0;
	if ((bad || rc == XP_ENOENT) && new_signature(c, text, len))
		report(&c->r, XP_FIND_PENDING, NULL, "catalog.minisig.new",
		       "catalog: its new signature is not in place yet (a write was interrupted); "
		       "the next catalog change installs it");
	else if (rc == XP_ENOENT)
		report(&c->r, XP_FIND_CATALOG, NULL, "catalog.minisig", "catalog: not signed");
	else if (rc)
		report(&c->r, XP_FIND_UNREADABLE, NULL, "catalog.minisig", "%s", err.msg);
	else if (bad)
		report(&c->r, bad == XP_EINTEGRITY ? XP_FIND_CATALOG : XP_FIND_UNREADABLE, NULL,
		       "catalog.minisig", "catalog: %s", err.msg);
	free(sig);
	free(spath);
}

static void check_journal(struct check *c)
{
	char hex[65];

	if (c->js.broken_line)
		report(&c->r, XP_FIND_JOURNAL, NULL, "journal", "journal: line %zu: %s",
		       c->js.broken_line, c->js.broken_msg);
	if (c->cat.journal_lines > c->js.lines) {
		report(&c->r, XP_FIND_JOURNAL, NULL, "journal",
		       "journal: %zu events, but the catalog was written after %zu: lines were "
		       "removed",
		       c->js.lines, c->cat.journal_lines);
	} else if (c->cat.journal_lines) {
		xp_hex(c->js.mark_hash, 32, hex);
		if (strcmp(hex, c->cat.journal_head) != 0)
			report(&c->r, XP_FIND_JOURNAL, NULL, "journal",
			       "journal: event %zu is not the one the catalog recorded",
			       c->cat.journal_lines);
	}
	for (size_t i = 0; c->has_key && i < c->j.nforged; i++) {
		char msg[256];

		xp_jforged_msg(&c->j.forged[i], msg, sizeof msg);
		report(&c->r, XP_FIND_JOURNAL, c->j.forged[i].id, "journal", "%s", msg);
	}
	for (size_t i = 0; i < c->j.n; i++) {
		const struct xp_jid *j = &c->j.v[i];

		if (j->flags & XP_J_DELETING)
			report(&c->r, XP_FIND_PENDING, j->id, "",
			       "%s: deletion interrupted; the next catalog change finishes it",
			       j->id);
		else if (j->flags & XP_J_SHREDDING)
			report(&c->r, XP_FIND_PENDING, j->id, "",
			       "%s: shredding interrupted; the next catalog change finishes it",
			       j->id);
		else if (j->flags & XP_J_ERASING)
			report(&c->r, XP_FIND_PENDING, j->id, "",
			       "%s: erasure rewrite into %s in progress or interrupted; the next "
			       "catalog change finishes or undoes it",
			       j->id, j->repl);
	}
}

/* Whether a finding made without the lock still holds in the repository as it is now (cat, j
 * read under the lock). */
static int still_true(const struct check *c, const struct later *l, const struct xp_catalog *cat,
                      const struct xp_idset *now, const struct xp_jids *j)
{
	const struct xp_jid *r = l->id[0] ? xp_jids_find(j, l->id) : NULL;
	const struct xp_catalog_entry *e;
	char *path = l->rel[0] == '/' ? strdup(l->rel) : xp_repo_join(c->repo, l->rel);
	int there = path && exists(path), is = 0;

	free(path);
	if (r && (r->flags & (XP_J_DELETING | XP_J_SHREDDING | XP_J_ERASING | XP_J_REPLACEMENT)))
		return 0; /* reported as pending */
	switch (l->kind) {
	case XP_FIND_MISSING: return xp_idset_has(now, l->id) && !there;
	case XP_FIND_ORPHAN:
		if (l->rel[0] == '/') { /* a key in a vault */
			e = xp_catalog_find(cat, l->id);
			return there && (!e || e->state == XP_CATALOG_SHREDDED);
		}
		return there && !(l->id[0] && xp_idset_has(now, l->id));
	case XP_FIND_PENDING: return there && !(l->id[0] && xp_idset_has(now, l->id));
	case XP_FIND_SEAL_TEMP: return there;
	case XP_FIND_VAULT: /* a key missing from a vault copy */
		e = xp_catalog_find(cat, l->id);
		return !there && e && e->shreddable && e->state == XP_CATALOG_SEALED &&
		       xp_vault_holds(&c->vault, l->id);
	case XP_FIND_SHRED_KEY:
		e = xp_catalog_find(cat, l->id);
		if (e)
			is = e->state == XP_CATALOG_SHREDDED
			             ? xp_vault_holds(&c->vault, l->id)
			             : e->shreddable && c->keys_here &&
			                       !xp_vault_holds(&c->vault, l->id);
		return is;
	default: return xp_idset_has(now, l->id) && there; /* the content findings */
	}
}

/* The trust that the catalog cat (its bytes text, NULL when there is none) gives the journal,
 * its signature checked with the signer trusted. */
static int trust_text(struct check *c, const struct xp_catalog *cat, const char *text, size_t len,
                      struct xp_jtrust *t, struct xp_err *err)
{
	char *spath = xp_repo_file(c->repo, XP_REPO_CATALOG_SIG), *sig = NULL;
	struct xp_err ignored;

	if (!spath)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (text)
		(void)xp_repo_read_optional(c->repo, spath, 1 << 16, &sig, NULL, &ignored);
	xp_jtrust_make(t, c->has_key ? &c->key : NULL, cat, text, len, sig);
	free(sig);
	free(spath);
	return 0;
}

/* Reports the deferred findings that still hold, reading catalog and journal again under the
 * shared lock. */
static int confirm(struct check *c, struct xp_err *err)
{
	struct xp_catalog_lock lock = {-1};
	struct xp_catalog cat = {0};
	struct xp_idset now = {0};
	struct xp_jtrust trust;
	struct xp_jstate js;
	struct xp_jids j = {0};
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (c->oom)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (!c->nlater)
		return 0;
	rc = xp_catalog_lock_shared(c->repo, &lock, err);
	if (rc == 0)
		rc = xp_catalog_read(c->repo, &cat, &text, &len, err);
	if (rc == 0 && xp_idset_make(&now, &cat, NULL))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0)
		rc = trust_text(c, &cat, text, len, &trust, err);
	if (rc == 0)
		rc = xp_jids_load(c->repo, 0, &trust, &js, &j, err);
	for (size_t i = 0; rc == 0 && i < c->nlater; i++) {
		const struct later *l = &c->later[i];

		if (still_true(c, l, &cat, &now, &j))
			report(&c->r, l->kind, l->id, l->rel, "%s", l->msg);
	}
	free(text);
	xp_catalog_unlock(&lock);
	xp_jids_free(&j);
	xp_idset_free(&now);
	xp_catalog_free(&cat);
	return rc;
}

int xp_catalog_check(const char *repo, xp_catalog_report_fn *fn, void *ctx, struct xp_err *err)
{
	return xp_catalog_check_flags(repo, NULL, 0, fn, ctx, err);
}

int xp_catalog_check_flags(const char *repo, const struct xp_sign_pub *signer, unsigned flags,
                           xp_catalog_report_fn *fn, void *ctx, struct xp_err *err)
{
	struct check c = {.repo = repo, .flags = flags, .r = {fn, ctx, 0}};
	struct xp_catalog_lock lock = {-1};
	struct xp_err cerr = {0};
	char *text = NULL, *pub = NULL;
	size_t len = 0;
	int rc;

	pub = xp_repo_file(repo, XP_REPO_SIGNER_PUB);
	if (!pub)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	c.pub = pub;
	if (signer)
		c.key = *signer;
	c.given = signer != NULL;
	c.has_key = signer || xp_sign_pub_read(pub, &c.key, &cerr) == 0;
	c.has_kid = xp_keys_load_public(repo, (uint8_t[32]){0}, c.kid, &cerr) == 0;
	c.has_vault = xp_vault_open(repo, &c.vault, &cerr) == 0;
	c.keys_here = c.has_vault && xp_vault_here(&c.vault);
	rc = xp_catalog_lock_shared(repo, &lock, err);
	if (rc)
		goto out;
	rc = xp_catalog_read(repo, &c.cat, &text, &len, &cerr);
	if (rc == XP_ENOMEM) {
		*err = cerr;
		goto out;
	}
	if (rc) {
		int links = planted(&c, XP_REPO_CATALOG, XP_FIND_CATALOG);

		links |= planted(&c, XP_REPO_CATALOG_SIG, XP_FIND_CATALOG);
		links |= planted(&c, XP_REPO_JOURNAL, XP_FIND_JOURNAL);
		if (!links)
			report(&c.r, rc == XP_EINTEGRITY ? XP_FIND_CATALOG : XP_FIND_UNREADABLE,
			       NULL, "catalog", "%s", cerr.msg);
		rc = 0;
		goto out; /* without a catalog, every file would be an orphan: say it once */
	}
	if (xp_idset_make(&c.listed, &c.cat, NULL)) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = trust_text(&c, &c.cat, text, len, &c.trust, err);
	if (rc == 0 && planted(&c, XP_REPO_JOURNAL, XP_FIND_JOURNAL))
		goto out; /* rc 0: the finding says it */
	if (rc == 0)
		rc = xp_jids_load(repo, 0, &c.trust, &c.js, &c.j, err);
	if (rc)
		goto out;
	if (text)
		check_catalog_signature(&c, text, len);
	else if (c.js.lines)
		report(&c.r, XP_FIND_CATALOG, NULL, "catalog",
		       "catalog: missing, but the journal has %zu events", c.js.lines);
	check_journal(&c);
	rc = xp_catalog_check_partitions(repo, &c.cat, &c.trust, fn, ctx, err);
	if (rc < 0)
		goto out;
	c.r.count += rc;
	rc = 0;
	/* Hashing every file may take long: do it without the lock, so that backups and
	 * retention go on meanwhile, and confirm what depends on the files' presence after. */
	xp_catalog_unlock(&lock);
	for (size_t i = 0; i < c.cat.n; i++)
		check_entry(&c, &c.cat.entries[i]);
	rc = walk_data(repo, orphan, &c, err);
	if (rc == 0)
		rc = orphan_keys(&c, err);
	if (rc == 0 && c.has_vault)
		rc = xp_vault_list(&c.vault, 0, vault_orphan, &c, err);
	if (rc == 0 && c.keys_here)
		vault_copies(&c);
	if (rc == 0)
		rc = confirm(&c, err);
out:
	xp_catalog_unlock(&lock);
	xp_vault_free(&c.vault);
	xp_catalog_free(&c.cat);
	xp_jids_free(&c.j);
	xp_idset_free(&c.listed);
	for (size_t i = 0; i < c.nlater; i++)
		free(c.later[i].msg);
	free(c.later);
	free(text);
	free(pub);
	return rc ? rc : c.r.count;
}

struct adopt {
	struct xp_op *op;
	struct xp_idset listed; /* the catalog's ids before adopting */
	uint8_t kid[8];         /* the repository key's id */
	struct rep r;
	size_t adopted;
	struct xp_err *err;
};

/* Source, data window and kind from a backup's trusted comment (xp_seal_sig_fields); fields it
 * lacks, or that do not parse, stay unknown. 0, or -1 when out of memory. */
static int sig_fields(char *comment, struct xp_catalog_entry *e)
{
	char *f[16];
	size_t n = xp_field_split(comment, f, 16);
	int64_t oldest = 0, newest = 0, since = 0, until = 0;
	int has_oldest = 0, has_newest = 0, has_since = 0, has_until = 0, partition = 0;

	for (size_t i = 0; i < n && i < 16; i++) {
		if (strncmp(f[i], "source:", 7) == 0 && xp_field_unescape(f[i] + 7) == 0 &&
		    f[i][7] && strlen(f[i] + 7) <= XP_CATALOG_TEXT_MAX) {
			free(e->source);
			e->source = strdup(f[i] + 7);
			if (!e->source)
				return -1;
		} else if (strncmp(f[i], "oldest:", 7) == 0) {
			has_oldest = xp_time_parse(f[i] + 7, &oldest, NULL) == 0;
		} else if (strncmp(f[i], "newest:", 7) == 0) {
			has_newest = xp_time_parse(f[i] + 7, &newest, NULL) == 0;
		} else if (strcmp(f[i], "kind:partition") == 0) {
			partition = 1;
		} else if (strncmp(f[i], "since:", 6) == 0) {
			has_since = xp_time_parse(f[i] + 6, &since, NULL) == 0;
		} else if (strncmp(f[i], "until:", 6) == 0) {
			has_until = xp_time_parse(f[i] + 6, &until, NULL) == 0;
		}
	}
	/* A partition keeps its window, signed with it; one without a whole window is not one. */
	if (partition && has_since && has_until && since < until) {
		e->kind = XP_CATALOG_PARTITION;
		e->since = since;
		e->until = until;
	}
	if (has_oldest && has_newest) {
		e->has_window = 1;
		e->oldest = oldest;
		e->newest = newest;
	}
	return 0;
}

int xp_catalog_describe(const char *repo, const struct xp_sign_pub *pub, const uint8_t *repo_kid,
                        const char *id, struct xp_catalog_entry *e, struct xp_err *why)
{
	struct xp_seal_checked chk = {0};
	char *xps = xp_repo_backup(repo, id, "");
	char *sig = xp_repo_backup(repo, id, ".minisig");
	struct xp_vault v = {0};
	int rc;

	memset(e, 0, sizeof *e);
	if (!xps || !sig) {
		rc = xp_err_set(why, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_seal_check(xps, sig, pub, id, repo_kid, -1, &chk, why);
	if (rc)
		goto out;
	memcpy(e->id, id, XP_REPO_ID_HEX);
	memcpy(e->hash, chk.hash, sizeof e->hash);
	e->size = chk.size;
	e->created = chk.h.created;
	e->shreddable = (chk.h.flags & XP_SEAL_SHREDDABLE) != 0;
	e->path = malloc(XP_REPO_REL_MAX);
	if (!e->path || sig_fields(chk.comment, e)) {
		rc = xp_err_set(why, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (e->shreddable && (rc = xp_vault_open(repo, &v, why)) != 0)
		goto out;
	e->state =
	        e->shreddable && !xp_vault_holds(&v, id) ? XP_CATALOG_SHREDDED : XP_CATALOG_SEALED;
	xp_repo_backup_rel(id, e->path);
out:
	if (rc) {
		free(e->path);
		free(e->source);
		e->path = e->source = NULL;
	}
	xp_seal_checked_free(&chk);
	free(xps);
	free(sig);
	xp_vault_free(&v);
	return rc;
}

static int adopt_one(void *ctx, const char *sub, const char *name)
{
	struct adopt *a = ctx;
	struct xp_catalog_entry e, *grown;
	char id[XP_REPO_ID_HEX], rel[128];
	const struct xp_jid *j;
	struct xp_err why = {0};
	int rc;

	if (data_name(sub, name, id) != 1 || xp_idset_has(&a->listed, id))
		return 0;
	snprintf(rel, sizeof rel, "data/%s/%s", sub, name);
	j = xp_jids_find(&a->op->j, id);
	if (j && (j->flags & XP_J_DELETED)) {
		report(&a->r, XP_FIND_NOT_ADOPTED, id, rel,
		       "%s: not adopted: the journal says it was deleted", rel);
		return 0;
	}
	rc = xp_catalog_describe(a->op->repo, &a->op->pub, a->kid, id, &e, &why);
	if (rc == XP_ENOMEM) {
		*a->err = why;
		return rc;
	}
	if (rc) {
		report(&a->r, XP_FIND_NOT_ADOPTED, id, rel, "%s: not adopted: %s", rel, why.msg);
		return 0;
	}
	grown = realloc(a->op->cat.entries, (a->op->cat.n + 1) * sizeof *grown);
	if (!grown) {
		free(e.path);
		free(e.source);
		return xp_err_set(a->err, XP_ENOMEM, "out of memory");
	}
	a->op->cat.entries = grown;
	rc = xp_journal_put(a->op->repo, &a->op->js, id, "adopted", NULL, NULL, a->err);
	if (rc) {
		free(e.path);
		free(e.source);
		return rc;
	}
	a->op->cat.entries[a->op->cat.n++] = e;
	a->adopted++;
	report(&a->r, XP_FIND_ADOPTED, id, rel, "%s: adopted (%s)", rel,
	       xp_catalog_state_name(e.state));
	return 0;
}

int xp_catalog_adopt(const char *repo, const struct xp_signkey *key, xp_catalog_report_fn *fn,
                     void *ctx, size_t *adopted, struct xp_err *err)
{
	struct adopt a = {.r = {fn, ctx, 0}, .err = err};
	uint8_t pk[32];
	struct xp_op op;
	int rc;

	if (adopted)
		*adopted = 0;
	rc = xp_keys_load_public(repo, pk, a.kid, err);
	if (rc == 0)
		rc = xp_op_begin(&op, repo, key, XP_OP_REBUILD, err);
	if (rc)
		return rc;
	a.op = &op;
	if (xp_idset_make(&a.listed, &op.cat, NULL))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0)
		rc = walk_data(repo, adopt_one, &a, err);
	xp_idset_free(&a.listed);
	if (rc == 0 && a.adopted)
		rc = xp_catalog_write(&op, err);
	xp_op_end(&op);
	if (rc == 0 && adopted)
		*adopted = a.adopted;
	return rc;
}
