/* Crash recovery of the catalog: the journal read into per-backup records, the ends of
 * interrupted deletions and shreddings, and the start and end of every change (xp_op). */
#include "config.h"

#include "repo/catalog-int.h"
#include "repo/erase-ledger.h"
#include "repo/keys.h"
#include "repo/vault.h"
#include "base/err.h"
#include "base/io.h"
#include "base/fault.h"
#include "base/os.h"
#include "base/str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static size_t id_hash(const char *id)
{
	uint64_t h = 0;

	/* Ids are random: their first 16 hex digits are as good as any hash. */
	for (int i = 0; i < 16; i++)
		h = h << 4 | (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return (size_t)h;
}

const struct xp_jid *xp_jids_find(const struct xp_jids *j, const char *id)
{
	if (!j->nslot)
		return NULL;
	for (size_t i = id_hash(id) & (j->nslot - 1);; i = (i + 1) & (j->nslot - 1)) {
		size_t k = j->slot[i];

		if (!k)
			return NULL;
		if (strcmp(j->v[k - 1].id, id) == 0)
			return &j->v[k - 1];
	}
}

/* Doubles the table and re-inserts every record. */
static int rehash(struct xp_jids *j)
{
	size_t nslot = j->nslot ? 2 * j->nslot : 64, *slot = calloc(nslot, sizeof *slot);

	if (!slot)
		return -1;
	for (size_t k = 0; k < j->n; k++) {
		size_t i = id_hash(j->v[k].id) & (nslot - 1);

		while (slot[i])
			i = (i + 1) & (nslot - 1);
		slot[i] = k + 1;
	}
	free(j->slot);
	j->slot = slot;
	j->nslot = nslot;
	return 0;
}

static struct xp_jid *jid_get(struct xp_jids *j, const char *id)
{
	struct xp_jid *found = (struct xp_jid *)xp_jids_find(j, id);
	size_t i;

	if (found)
		return found;
	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 64;
		struct xp_jid *grown = realloc(j->v, cap * sizeof *grown);

		if (!grown)
			return NULL;
		j->v = grown;
		j->cap = cap;
	}
	if (2 * (j->n + 1) > j->nslot && rehash(j))
		return NULL;
	memset(&j->v[j->n], 0, sizeof *j->v);
	memcpy(j->v[j->n].id, id, XP_REPO_ID_HEX);
	for (i = id_hash(id) & (j->nslot - 1); j->slot[i]; i = (i + 1) & (j->nslot - 1))
		;
	j->slot[i] = ++j->n;
	return &j->v[j->n - 1];
}

struct jids_ctx {
	struct xp_jids *j;
	size_t mark;
	int oom;
};

static int is_event(const char *e, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(e, *names) == 0)
			return 1;
	return 0;
}

static int add_forged(struct xp_jids *j, const struct xp_journal_event *ev)
{
	struct xp_jforged *grown = realloc(j->forged, (j->nforged + 1) * sizeof *grown);

	if (!grown)
		return -1;
	j->forged = grown;
	grown += j->nforged++;
	memset(grown, 0, sizeof *grown);
	grown->line = ev->line;
	memcpy(grown->id, ev->id, XP_REPO_ID_HEX);
	snprintf(grown->event, sizeof grown->event, "%s", ev->event);
	grown->is_signed = ev->is_signed;
	return 0;
}

static int set_reason(struct xp_jid *j, const char *reason)
{
	free(j->reason);
	j->reason = *reason ? strdup(reason) : NULL;
	return *reason && !j->reason ? -1 : 0;
}

/* "erasing" (policy: the new backup's id) opens an erasure rewrite of ev->id; "erased" and
 * "erase-undone" close it. -1 when out of memory. */
static int on_erasure(struct jids_ctx *c, const struct xp_journal_event *ev)
{
	struct xp_jid *j = jid_get(c->j, ev->id), *n;
	char repl[XP_REPO_ID_HEX];

	if (!j)
		goto oom;
	if (strcmp(ev->event, "erasing") == 0) {
		if (!xp_repo_valid_id(ev->policy))
			return 0; /* never ours: nothing to finish */
		j->flags |= XP_J_ERASING;
		memcpy(j->repl, ev->policy, XP_REPO_ID_HEX);
		if (set_reason(j, ev->reason))
			goto oom;
		n = jid_get(c->j, ev->policy);
		if (!n)
			goto oom;
		n->flags |= XP_J_REPLACEMENT;
		return 0;
	}
	j->flags &= ~XP_J_ERASING;
	memcpy(repl, j->repl, XP_REPO_ID_HEX);
	if (xp_repo_valid_id(repl) && (n = jid_get(c->j, repl)) != NULL)
		n->flags &= ~XP_J_REPLACEMENT;
	return 0;
oom:
	c->oom = 1;
	return -1;
}

static int on_event(void *ctx, const struct xp_journal_event *ev)
{
	struct jids_ctx *c = ctx;
	const char *e = ev->event;
	struct xp_jid *j;

	static const char *const acted[] = {"sealed",   "adopted",   "held",    "released",
	                                    "deleting", "shredding", "erasing", NULL};
	static const char *const closing[] = {"deleted", "shredded", "erased", "erase-undone",
	                                      NULL};

	if (!xp_repo_valid_id(ev->id))
		return 0;
	if (is_event(e, closing) && !ev->authentic)
		return 0;
	if (is_event(e, acted) && !ev->authentic &&
	    !((strcmp(e, "sealed") == 0 || strcmp(e, "adopted") == 0) && c->mark &&
	      ev->line - 1 <= c->mark)) {
		if (add_forged(c->j, ev))
			goto oom;
		return 0;
	}
	if (strcmp(e, "sealed") == 0 || strcmp(e, "adopted") == 0) {
		/* Up to the mark, the signed catalog was written after it: nothing to finish. */
		if (c->mark && ev->line - 1 <= c->mark)
			return 0;
		j = jid_get(c->j, ev->id);
		if (!j)
			goto oom;
		j->flags |= XP_J_SEALED;
		return 0;
	}
	if (strcmp(e, "erasing") == 0 || strcmp(e, "erased") == 0 || strcmp(e, "erase-undone") == 0)
		return on_erasure(c, ev) ? XP_ENOMEM : 0;
	if (strcmp(e, "deleting") && strcmp(e, "deleted") && strcmp(e, "shredding") &&
	    strcmp(e, "shredded") && strcmp(e, "held") && strcmp(e, "released"))
		return 0;
	j = jid_get(c->j, ev->id);
	if (!j)
		goto oom;
	if (strcmp(e, "deleting") == 0) {
		j->flags = (j->flags | XP_J_DELETING) & ~XP_J_DEL_SHREDDED;
		if (set_reason(j, ev->reason))
			goto oom;
	} else if (strcmp(e, "deleted") == 0) {
		j->flags = (j->flags & ~(XP_J_DELETING | XP_J_DEL_SHREDDED)) | XP_J_DELETED;
	} else if (strcmp(e, "shredding") == 0) {
		j->flags |= XP_J_SHREDDING;
		if (set_reason(j, ev->reason))
			goto oom;
	} else if (strcmp(e, "shredded") == 0) {
		if (j->flags & XP_J_DELETING)
			j->flags |= XP_J_DEL_SHREDDED;
		j->flags &= ~XP_J_SHREDDING;
	} else if (strcmp(e, "held") == 0) {
		j->flags |= XP_J_HELD;
		j->held_at = ev->time;
		free(j->hold);
		j->hold = strdup(ev->reason);
		if (!j->hold)
			goto oom;
	} else {
		j->flags &= ~XP_J_HELD;
	}
	return 0;
oom:
	c->oom = 1;
	return XP_ENOMEM;
}

void xp_jids_free(struct xp_jids *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].reason);
		free(j->v[i].hold);
	}
	free(j->v);
	free(j->slot);
	free(j->forged);
	memset(j, 0, sizeof *j);
}

void xp_jforged_msg(const struct xp_jforged *f, char *buf, size_t n)
{
	snprintf(buf, n, "journal: line %zu: \"%s\" of %s %s: ignored, never carried out", f->line,
	         f->event, f->id,
	         f->is_signed ? "has a signature that does not verify with the host's key"
	                      : "is not signed by the host's key");
}

int xp_jids_load(const char *repo, int repair, const struct xp_jtrust *trust, struct xp_jstate *js,
                 struct xp_jids *j, struct xp_err *err)
{
	struct jids_ctx c = {j, trust ? trust->mark : 0, 0};
	int rc;

	memset(j, 0, sizeof *j);
	rc = xp_journal_scan(repo, repair, trust, on_event, &c, js, err);
	if (c.oom)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc)
		xp_jids_free(j);
	return rc;
}

struct xp_catalog_entry *xp_op_find(struct xp_op *op, const char *id)
{
	return (struct xp_catalog_entry *)xp_catalog_find(&op->cat, id);
}

static char *xps_path(const struct xp_op *op, const char *id, const char *suffix)
{
	return xp_repo_backup(op->repo, id, suffix);
}

/* One key being destroyed: each place that held it is journaled, each vault copy not reached
 * is told to the tool (XP_FIND_VAULT). */
struct destroying {
	struct xp_op *op;
	const char *id;
	int destroyed; /* some place held it */
	struct xp_err *err;
};

static int on_place(void *ctx, const struct xp_vault_place *p)
{
	struct destroying *d = ctx;
	char msg[sizeof d->err->msg + 256];
	struct xp_catalog_finding f = {XP_FIND_VAULT, d->id, "", msg};

	if (p->destroyed) {
		d->destroyed = 1;
		return xp_journal_put(d->op->repo, &d->op->js, d->id, "key-destroyed", p->name,
		                      NULL, d->err);
	}
	snprintf(msg, sizeof msg,
	         "%s: %s not reached (%s): the key of backup %s stays there until a later run "
	         "destroys it",
	         d->op->repo, p->name, p->why, d->id);
	xp_catalog_notify(&f);
	return 0;
}

/* Destroys id's key in every place the vault knows; *unreached counts the copies not reached,
 * where the shredding stays pending. */
static int destroy_key(struct xp_op *op, const char *id, int *destroyed, size_t *unreached,
                       struct xp_err *err)
{
	struct destroying d = {op, id, 0, err};
	int rc;

	rc = xp_vault_destroy(&op->vault, id, on_place, &d, unreached, err);
	*destroyed = d.destroyed;
	return rc;
}

int xp_op_destroy_key(struct xp_op *op, const char *id, int *destroyed, size_t *unreached,
                      struct xp_err *err)
{
	return destroy_key(op, id, destroyed, unreached, err);
}

/* fsyncs the directory holding path, if that directory exists. */
static int fsync_parent(const char *path, struct xp_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = xp_strndup(path, slash ? (size_t)(slash - path) : 0);
	struct stat st;
	int rc = 0;

	if (!dir)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (stat(dir, &st) == 0)
		rc = xp_fsync_dir(dir, err);
	free(dir);
	return rc;
}

/* A link planted as a directory on the way (data/XX) makes this fail, never removes a file
 * where the link points. */
static int remove_file(const char *repo, const char *path, struct xp_err *err)
{
	return xp_repo_unlink(repo, path, err);
}

/* A batch being finished: its ids sorted for lookups, and each one's catalog entry. */
struct fin_key {
	const char *id;
	size_t i; /* index in the batch */
};
struct fin {
	const struct xp_pending_delete *v;
	size_t n;
	struct fin_key *order; /* sorted by id */
	size_t *entry;         /* per v[i]: index in op->cat, SIZE_MAX if not listed */
	struct xp_err *each;   /* per v[i]: why its files stay (code 0: gone); NULL: stop */
};

static int cmp_fin_key(const void *a, const void *b)
{
	return strcmp(((const struct fin_key *)a)->id, ((const struct fin_key *)b)->id);
}

/* The position in f->v of id, or SIZE_MAX. */
static size_t fin_lookup(const struct fin *f, const char *id)
{
	struct fin_key k = {id, 0};
	const struct fin_key *hit = bsearch(&k, f->order, f->n, sizeof k, cmp_fin_key);

	return hit ? hit->i : SIZE_MAX;
}

static int fin_init(struct fin *f, struct xp_op *op, const struct xp_pending_delete *v, size_t n)
{
	size_t i;

	f->v = v;
	f->n = n;
	f->order = calloc(n, sizeof *f->order);
	f->entry = calloc(n, sizeof *f->entry);
	if (!f->order || !f->entry)
		return -1;
	for (i = 0; i < n; i++) {
		f->order[i] = (struct fin_key){v[i].id, i};
		f->entry[i] = SIZE_MAX;
	}
	qsort(f->order, n, sizeof *f->order, cmp_fin_key);
	for (i = 0; i < op->cat.n; i++) {
		size_t k = fin_lookup(f, op->cat.entries[i].id);

		if (k != SIZE_MAX)
			f->entry[k] = i;
	}
	return 0;
}

static void fin_free(struct fin *f)
{
	free(f->order);
	free(f->entry);
}

/* Destroys every key of the batch, then journals "shredded" for those that had one, or should
 * have had one (a crash may have removed it before its line was written); one a vault copy
 * still holds stays "shredding", which the deletion does not end. */
static int shred_keys(struct xp_op *op, const struct fin *f, struct xp_err *err)
{
	struct xp_jline *lines = calloc(f->n ? f->n : 1, sizeof *lines);
	size_t i, nl = 0;
	int rc = 0;

	if (!lines)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (i = 0; i < f->n && rc == 0; i++) {
		const struct xp_catalog_entry *e =
		        f->entry[i] == SIZE_MAX ? NULL : &op->cat.entries[f->entry[i]];
		size_t unreached = 0;
		int existed = 0;

		if (e && !e->shreddable)
			continue; /* its data key is in its header: nothing to destroy */
		rc = destroy_key(op, f->v[i].id, &existed, &unreached, err);
		if (rc == 0 && unreached)
			lines[nl++] =
			        (struct xp_jline){f->v[i].id, "shredding",
			                          "deleted; a vault copy was not reached", NULL};
		else if (rc == 0 && !(f->v[i].jflags & XP_J_DEL_SHREDDED) &&
		         (existed || (e && e->shreddable && e->state == XP_CATALOG_SEALED)))
			lines[nl++] = (struct xp_jline){f->v[i].id, "shredded", f->v[i].rule, NULL};
	}
	if (rc == 0)
		rc = xp_journal_put_lines(op->repo, &op->js, lines, nl, err);
	free(lines);
	return rc;
}

/* The data/XX directory of an id (32 lower-case hex digits: XX are its first two) as 0..255. */
static unsigned dir_index(const char *id)
{
	unsigned hi = (unsigned)(id[0] <= '9' ? id[0] - '0' : id[0] - 'a' + 10);
	unsigned lo = (unsigned)(id[1] <= '9' ? id[1] - '0' : id[1] - 'a' + 10);

	return (hi << 4 | lo) & 0xffu;
}

/* Removes the .xps and .minisig of id; a failure names the file that stayed. */
static int remove_backup(struct xp_op *op, const char *id, struct xp_err *err)
{
	char *xps = xps_path(op, id, "");
	char *sig = xps_path(op, id, ".minisig");
	int rc;

	if (!xps || !sig) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	} else {
		xp_fault_point("delete: unlink xps");
		rc = remove_file(op->repo, xps, err);
		if (rc == 0) {
			xp_fault_point("delete: unlink minisig");
			rc = remove_file(op->repo, sig, err);
		}
	}
	free(xps);
	free(sig);
	return rc;
}

/* Whether v[i]'s files are gone (all of them when f->each is NULL: a failure stopped all). */
static int gone(const struct fin *f, size_t i)
{
	return !f->each || f->each[i].code == 0;
}

/* Removes the batch's .xps and .minisig files, then fsyncs each data/XX directory once. With
 * f->each, a backup whose file cannot be removed gets that error there and the others go on;
 * without, the first failure stops the batch. */
static int remove_files(struct xp_op *op, const struct fin *f, struct xp_err *err)
{
	uint8_t dirty[256] = {0};
	int rc = 0;

	for (size_t i = 0; i < f->n && rc == 0; i++) {
		rc = remove_backup(op, f->v[i].id, f->each ? &f->each[i] : err);
		if (rc && rc != XP_ENOMEM && f->each)
			rc = 0; /* this one stays "deleting": a later run finishes it */
		else if (rc && f->each)
			*err = f->each[i];
		dirty[dir_index(f->v[i].id)] = 1;
	}
	for (unsigned d = 0; d < 256 && rc == 0; d++) {
		char sub[3], *any;

		if (!dirty[d])
			continue;
		snprintf(sub, sizeof sub, "%02x", d);
		any = xp_repo_data_sub(op->repo, sub);
		rc = any ? fsync_parent(any, err) : xp_err_set(err, XP_ENOMEM, "out of memory");
		free(any);
	}
	return rc;
}

/* Drops the batch's entries from the catalog in one pass, keeping the others in order. */
static void drop_entries(struct xp_op *op, const struct fin *f)
{
	size_t w = 0;

	for (size_t i = 0; i < op->cat.n; i++) {
		struct xp_catalog_entry *e = &op->cat.entries[i];
		size_t k = fin_lookup(f, e->id);

		if (k != SIZE_MAX && gone(f, k)) {
			free(e->source);
			free(e->path);
			free(e->hold);
			continue;
		}
		if (w != i)
			op->cat.entries[w] = *e;
		w++;
	}
	op->cat.n = w;
}

int xp_op_finish_deletes(struct xp_op *op, const struct xp_pending_delete *v, size_t n,
                         struct xp_err *each, struct xp_err *err)
{
	struct xp_jline *lines = NULL;
	struct fin f = {.each = each};
	size_t nl = 0;
	int listed = 0, rc;

	if (n == 0)
		return 0;
	lines = calloc(n, sizeof *lines);
	if (!lines || fin_init(&f, op, v, n)) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = shred_keys(op, &f, err);
	if (rc == 0)
		rc = remove_files(op, &f, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!gone(&f, i))
			continue;
		listed |= f.entry[i] != SIZE_MAX;
		lines[nl++] = (struct xp_jline){v[i].id, "deleted", v[i].rule, NULL};
	}
	if (listed) {
		drop_entries(op, &f);
		rc = xp_catalog_write(op, err);
		if (rc)
			goto out;
	}
	rc = xp_journal_put_lines(op->repo, &op->js, lines, nl, err);
out:
	fin_free(&f);
	free(lines);
	return rc;
}

int xp_op_finish_shred(struct xp_op *op, const char *id, const char *reason, struct xp_err *err)
{
	struct xp_catalog_entry *e = xp_op_find(op, id);
	size_t unreached = 0;
	int rc, existed;

	rc = destroy_key(op, id, &existed, &unreached, err);
	if (rc)
		return rc;
	/* Gone from this host: shredded here; a copy not reached keeps it pending. */
	if (e && e->state != XP_CATALOG_SHREDDED) {
		e->state = XP_CATALOG_SHREDDED;
		rc = xp_catalog_write(op, err);
		if (rc)
			return rc;
	}
	if (unreached)
		return 0;
	return xp_journal_put(op->repo, &op->js, id, "shredded", reason, NULL, err);
}

/* A crash inside xp_catalog_write can leave catalog.minisig.new: install it if it signs the
 * catalog now in place, else it belongs to a catalog that never got there. */
static int fix_signature(struct xp_op *op, struct xp_err *err)
{
	char *npath = xp_repo_file(op->repo, XP_REPO_CATALOG_SIG_NEW);
	char *spath = xp_repo_file(op->repo, XP_REPO_CATALOG_SIG);
	char *cpath = xp_repo_file(op->repo, XP_REPO_CATALOG);
	char *sig = NULL, *text = NULL;
	size_t len = 0;
	struct xp_err ignored;
	int rc;

	if (!npath || !spath || !cpath) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_repo_read_optional(op->repo, npath, 1 << 16, &sig, NULL, err);
	if (rc || !sig)
		goto out;
	rc = xp_repo_read_optional(op->repo, cpath, (size_t)256 << 20, &text, &len, err);
	if (rc)
		goto out;
	if (text && xp_sign_verify_buffer_pub(text, len, sig, &op->pub, &ignored) == 0) {
		xp_fault_point("recover: install signature");
		if (xp_os_replace(npath, spath) < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "%s", spath);
			goto out;
		}
	} else {
		xp_fault_point("recover: drop signature");
		rc = remove_file(op->repo, npath, err);
		if (rc)
			goto out;
	}
	rc = xp_fsync_dir(spath, err);
out:
	free(npath);
	free(spath);
	free(cpath);
	free(sig);
	free(text);
	return rc;
}

/* The journal records a hold or release before the catalog shows it: make the catalog agree. */
static int reconcile_holds(struct xp_op *op, struct xp_err *err)
{
	int dirty = 0;

	for (size_t i = 0; i < op->cat.n; i++) {
		struct xp_catalog_entry *e = &op->cat.entries[i];
		const struct xp_jid *j = xp_jids_find(&op->j, e->id);
		int held = j && (j->flags & XP_J_HELD);

		/* No record at all leaves the catalog alone: a damaged journal must not lift a
		 * legal hold. */
		if (!j || (!held && !e->hold) ||
		    (held && e->hold && strcmp(e->hold, j->hold ? j->hold : "") == 0))
			continue;
		free(e->hold);
		e->hold = held && j->hold && *j->hold ? strdup(j->hold) : NULL;
		if (held && !e->hold)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		dirty = 1;
	}
	return dirty ? xp_catalog_write(op, err) : 0;
}

/* Temp files of the catalog's own atomic writes: only a holder of the exclusive lock makes
 * them, so under the lock any that exist were left by a crash. */
static int remove_stale_temps(struct xp_op *op, struct xp_err *err)
{
	static const char *const prefixes[] = {".catalog.tmp.", ".catalog.minisig.new.tmp."};
	DIR *d = opendir(op->repo);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return xp_err_sys(err, XP_EFAIL, "%s", op->repo);
	while (rc == 0 && (e = readdir(d))) {
		for (size_t i = 0; i < 2; i++) {
			char *path;

			if (strncmp(e->d_name, prefixes[i], strlen(prefixes[i])) != 0)
				continue;
			path = xp_repo_join(op->repo, e->d_name);
			rc = path ? remove_file(op->repo, path, err)
			          : xp_err_set(err, XP_ENOMEM, "out of memory");
			free(path);
		}
	}
	closedir(d);
	return rc;
}

/* Whether a pending change of j must wait: the backup is on legal hold (in the verified
 * catalog, or by the journal), which no recovery overrides. It stays pending, and reported. */
static int held_back(struct xp_op *op, const struct xp_jid *j)
{
	const struct xp_catalog_entry *e = xp_op_find(op, j->id);

	return (j->flags & XP_J_HELD) || (e && e->hold);
}

/* Every deletion the journal shows pending is finished in one batch: one catalog rewrite
 * however many a crash left. */
static int finish_pending(struct xp_op *op, struct xp_err *err)
{
	struct xp_pending_delete *v = NULL;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < op->j.n; i++)
		n += (op->j.v[i].flags & XP_J_DELETING) && !held_back(op, &op->j.v[i]);
	if (n) {
		v = calloc(n, sizeof *v);
		if (!v)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		for (n = 0, i = 0; i < op->j.n; i++)
			if ((op->j.v[i].flags & XP_J_DELETING) && !held_back(op, &op->j.v[i]))
				v[n++] = (struct xp_pending_delete){op->j.v[i].id, op->j.v[i].flags,
				                                    op->j.v[i].reason};
		rc = xp_op_finish_deletes(op, v, n, NULL, err);
		free(v);
	}
	for (i = 0; rc == 0 && i < op->j.n; i++) {
		struct xp_jid *j = &op->j.v[i];

		if ((j->flags & (XP_J_DELETING | XP_J_SHREDDING)) && held_back(op, j))
			continue;
		if (j->flags & XP_J_DELETING) {
			j->flags = (j->flags & ~(XP_J_DELETING | XP_J_DEL_SHREDDED)) | XP_J_DELETED;
		} else if (j->flags & XP_J_SHREDDING) {
			rc = xp_op_finish_shred(op, j->id, j->reason, err);
			if (rc == 0)
				j->flags &= ~XP_J_SHREDDING;
		}
	}
	return rc;
}

/* A seal or adoption journaled after the catalog was last written, but not in it: its catalog
 * write failed (a full disk, a crash). The backup is taken in from its own files, all of them
 * signed by the host's key; one whose files are missing or not ours stays out, for xpverify to
 * report. The journal has its event already. */
static int finish_seals(struct xp_op *op, struct xp_err *err)
{
	uint8_t pk[32], kid[8];
	struct xp_idset listed = {0};
	int dirty = 0, rc = 0, need = 0;

	for (size_t i = 0; i < op->j.n; i++)
		need |= (op->j.v[i].flags & XP_J_SEALED) != 0;
	if (!need)
		return 0;
	rc = xp_keys_load_public(op->repo, pk, kid, err);
	if (rc)
		return rc;
	if (xp_idset_make(&listed, &op->cat, NULL)) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < op->j.n && rc == 0; i++) {
		const struct xp_jid *j = &op->j.v[i];
		struct xp_catalog_entry e, *grown;
		struct xp_err why = {0};

		if (!(j->flags & XP_J_SEALED) || (j->flags & (XP_J_DELETED | XP_J_DELETING)) ||
		    xp_idset_has(&listed, j->id))
			continue;
		rc = xp_catalog_describe(op->repo, &op->pub, kid, j->id, &e, &why);
		if (rc == XP_ENOMEM) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		if (rc) {
			rc = 0;
			continue;
		}
		grown = realloc(op->cat.entries, (op->cat.n + 1) * sizeof *grown);
		if (!grown) {
			free(e.path);
			free(e.source);
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		op->cat.entries = grown;
		op->cat.entries[op->cat.n++] = e;
		dirty = 1;
	}
	if (rc == 0 && dirty)
		rc = xp_catalog_write(op, err);
out:
	xp_idset_free(&listed);
	return rc;
}

static int recover_locked(struct xp_op *op, struct xp_err *err)
{
	int rc;

	rc = remove_stale_temps(op, err);
	if (rc == 0)
		rc = xp_op_discard_seal_temps(op, err);
	if (rc == 0)
		rc = finish_pending(op, err);
	if (rc == 0 && !op->rebuild)
		rc = xp_op_finish_erasures(op, err);
	if (rc == 0 && !op->rebuild)
		rc = finish_seals(op, err);
	if (rc == 0)
		rc = reconcile_holds(op, err);
	if (rc)
		xp_err_prefix(err, "%s: finishing an interrupted change", op->repo);
	return rc;
}

/* A journal with events and no catalog is what removing the catalog leaves: xpverify reports
 * it as tampering. So that a failure can never leave that state, a repository gets its
 * (empty, signed) catalog before the first event is journaled. */
static int first_catalog(struct xp_op *op, struct xp_err *err)
{
	char *path = xp_repo_file(op->repo, XP_REPO_CATALOG);
	struct stat st;
	int rc = 0;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (op->js.lines == 0 && stat(path, &st) < 0) {
		if (errno == ENOENT)
			rc = xp_catalog_write(op, err);
		else
			rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	}
	free(path);
	return rc;
}

void xp_jtrust_make(struct xp_jtrust *t, const struct xp_sign_pub *pub,
                    const struct xp_catalog *cat, const char *text, size_t len, const char *sig)
{
	struct xp_err ignored;

	memset(t, 0, sizeof *t);
	t->pub = pub;
	t->mark = cat->journal_lines;
	memcpy(t->head, cat->journal_head, sizeof t->head);
	t->verified =
	        text && sig && pub && xp_sign_verify_buffer_pub(text, len, sig, pub, &ignored) == 0;
	/* A catalog signed before records were: every event it recorded was written unsigned. */
	t->legacy =
	        cat->has_signed_after && cat->signed_after < t->mark ? cat->signed_after : t->mark;
}

/* Reads the catalog and its signature; the signature must verify with the host's key, so
 * that a change never signs what someone else edited. */
static int load_verified(struct xp_op *op, struct xp_jtrust *trust, struct xp_err *err)
{
	char *text = NULL, *sig = NULL, *spath = xp_repo_file(op->repo, XP_REPO_CATALOG_SIG);
	size_t len = 0;
	int rc;

	if (!spath)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_catalog_read(op->repo, &op->cat, &text, &len, err);
	if (rc == 0 && text)
		rc = xp_repo_read_optional(op->repo, spath, 1 << 16, &sig, NULL, err);
	if (rc)
		goto out;
	xp_jtrust_make(trust, &op->pub, &op->cat, text, len, sig);
	op->signed_after = trust->verified ? trust->legacy : 0;
	if (text && !trust->verified)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s/catalog: %s with this host's signing key: it was edited, or "
		                "signed by another key; nothing changed (xpverify -r %s)",
		                op->repo, sig ? "its signature does not verify" : "not signed",
		                op->repo);
out:
	free(text);
	free(sig);
	free(spath);
	return rc;
}

/* A catalog that is gone while the journal has events was removed: a change would otherwise
 * sign a catalog without every backup it listed. Only a rebuild (xp_catalog_adopt) goes on. */
static int catalog_gone(struct xp_op *op, unsigned flags, struct xp_err *err)
{
	char *path = xp_repo_file(op->repo, XP_REPO_CATALOG);
	struct stat st;
	int rc = 0;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (op->js.lines && (flags & XP_OP_REBUILD) && stat(path, &st) < 0 && errno == ENOENT)
		op->rebuild = 1; /* every backup comes back through the caller, reported */
	else if (op->js.lines && stat(path, &st) < 0 && errno == ENOENT)
		rc = xp_err_set(
		        err, XP_EINTEGRITY,
		        "%s: the catalog is missing, but the journal has %zu events; nothing "
		        "changed (xpverify --adopt rebuilds it)",
		        op->repo, op->js.lines);
	free(path);
	return rc;
}

int xp_op_begin(struct xp_op *op, const char *repo, const struct xp_signkey *key, unsigned flags,
                struct xp_err *err)
{
	struct xp_jtrust trust;
	int rc;

	memset(op, 0, sizeof *op);
	op->repo = repo;
	op->key = key;
	op->lock.fd = -1;
	if (!key)
		return xp_err_set(err, XP_EUSAGE, "%s: changing the catalog needs the signing key",
		                  repo);
	xp_sign_pub_of(key, &op->pub);
	rc = xp_catalog_lock(repo, &op->lock, err);
	if (rc == 0)
		rc = xp_vault_open(repo, &op->vault, err);
	if (rc == 0)
		rc = fix_signature(op, err);
	if (rc == 0)
		rc = load_verified(op, &trust, err);
	if (rc == 0)
		rc = xp_jids_load(repo, 1, &trust, &op->js, &op->j, err);
	op->js.key = key;
	for (size_t i = 0; rc == 0 && i < op->j.nforged; i++) {
		char msg[256];
		struct xp_catalog_finding f = {XP_FIND_JOURNAL, op->j.forged[i].id, "journal", msg};

		xp_jforged_msg(&op->j.forged[i], msg, sizeof msg);
		xp_catalog_notify(&f);
	}
	if (rc == 0)
		rc = catalog_gone(op, flags, err);
	if (rc == 0)
		rc = xp_journal_repaired(repo, &op->js, err);
	/* an erasure request a crash left unjournaled (erase.h) */
	if (rc == 0)
		rc = xp_erase_recover(repo, &op->pub, &op->js, err);
	if (rc == 0)
		rc = recover_locked(op, err);
	if (rc == 0)
		rc = first_catalog(op, err);
	if (rc)
		xp_op_end(op);
	return rc;
}

void xp_op_end(struct xp_op *op)
{
	xp_vault_free(&op->vault);
	xp_catalog_free(&op->cat);
	xp_jids_free(&op->j);
	xp_catalog_unlock(&op->lock);
}

int xp_catalog_recover(const char *repo, const struct xp_signkey *key, struct xp_err *err)
{
	struct xp_op op;
	int rc;

	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc == 0)
		xp_op_end(&op);
	return rc;
}
