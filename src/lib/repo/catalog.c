#include "config.h"

#include "repo/catalog.h"
#include "repo/catalog-int.h"
#include "repo/journal.h"
#include "repo/repo.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/os.h"
#include "base/time.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/fault.h"
#include "base/encode.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define CATALOG_MAX ((size_t)256 << 20)
#define CATALOG_NF  11
#define CATALOG2_NF 14
#define CATALOG_FIELDS                                                                             \
	"id\tstate\tcreated\toldest\tnewest\tsource\tsize\tblake2b\tpath\tshreddable\thold"
#define CATALOG_HEADER  "#xpbackup-catalog-1 " CATALOG_FIELDS
#define CATALOG2_HEADER "#xpbackup-catalog-2 " CATALOG_FIELDS "\tkind\tsince\tuntil"

static int lock_mode(const char *repo, int how, struct xp_catalog_lock *lock, struct xp_err *err)
{
	char *path = xp_repo_file(repo, XP_REPO_LOCK);
	int rc = 0;

	lock->fd = -1;
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	/* A reader needs no write access: it opens without creating, and where no writer has
	 * ever made the lock file there is nothing to wait for. */
	if (how & XP_LOCK_SH)
		rc = xp_repo_open(repo, path, O_RDONLY, 0, &lock->fd, err);
	else
		rc = xp_repo_open(repo, path, O_RDWR | O_CREAT, 0600, &lock->fd, err);
	if (rc == XP_ENOENT && (how & XP_LOCK_SH))
		rc = 0;
	if (rc)
		goto out;
	if (lock->fd < 0)
		goto out;
	while (xp_os_lock(lock->fd, how) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			rc = xp_err_set(err, XP_EFAIL, "%s: catalog is locked by another process",
			                repo);
		else
			rc = xp_err_sys(err, XP_EFAIL, "%s: lock", path);
		close(lock->fd);
		lock->fd = -1;
		break;
	}
out:
	free(path);
	return rc;
}

int xp_catalog_lock(const char *repo, struct xp_catalog_lock *lock, struct xp_err *err)
{
	return lock_mode(repo, XP_LOCK_EX, lock, err);
}

int xp_catalog_trylock(const char *repo, struct xp_catalog_lock *lock, struct xp_err *err)
{
	return lock_mode(repo, XP_LOCK_EX | XP_LOCK_NB, lock, err);
}

int xp_catalog_lock_shared(const char *repo, struct xp_catalog_lock *lock, struct xp_err *err)
{
	return lock_mode(repo, XP_LOCK_SH, lock, err);
}

void xp_catalog_unlock(struct xp_catalog_lock *lock)
{
	if (lock->fd >= 0)
		close(lock->fd); /* closing the only descriptor releases the flock */
	lock->fd = -1;
}

const char *xp_catalog_state_name(int state)
{
	return state == XP_CATALOG_SHREDDED ? "shredded" : "sealed";
}

const char *xp_catalog_kind_name(int kind)
{
	return kind == XP_CATALOG_PARTITION ? "partition" : "full";
}

static void entry_clear(struct xp_catalog_entry *e)
{
	free(e->source);
	free(e->path);
	free(e->hold);
	memset(e, 0, sizeof *e);
}

void xp_catalog_free(struct xp_catalog *cat)
{
	for (size_t i = 0; i < cat->n; i++)
		entry_clear(&cat->entries[i]);
	free(cat->entries);
	memset(cat, 0, sizeof *cat);
}

const struct xp_catalog_entry *xp_catalog_find(const struct xp_catalog *cat, const char *id)
{
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->entries[i].id, id) == 0)
			return &cat->entries[i];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

int xp_catalog_entry_copy(struct xp_catalog_entry *dst, const struct xp_catalog_entry *src)
{
	*dst = *src;
	dst->source = dup_or_null(src->source);
	dst->path = dup_or_null(src->path);
	dst->hold = dup_or_null(src->hold);
	if ((src->source && *src->source && !dst->source) || (src->path && !dst->path) ||
	    (src->hold && *src->hold && !dst->hold)) {
		entry_clear(dst);
		return -1;
	}
	return 0;
}

static int opt_time(const char *s, int64_t *t)
{
	return xp_time_parse(s, t, NULL);
}

/* Version 2's last fields: kind, and a partition's window (both ends, since before until). */
static const char *parse_kind(char *const *f, struct xp_catalog_entry *e)
{
	if (strcmp(f[0], "full") == 0) {
		if (strcmp(f[1], "-") != 0 || strcmp(f[2], "-") != 0)
			return "a full backup has no partition window";
		return NULL;
	}
	if (strcmp(f[0], "partition") != 0)
		return "unknown kind";
	e->kind = XP_CATALOG_PARTITION;
	if (opt_time(f[1], &e->since) || opt_time(f[2], &e->until) || e->since >= e->until)
		return "bad partition window";
	return NULL;
}

/* Parses one entry line (modified in place) of a catalog of version v into e; a static
 * reason on failure. */
static const char *parse_entry(char *line, int v, struct xp_catalog_entry *e)
{
	char *f[CATALOG2_NF], want[XP_REPO_REL_MAX];
	size_t nf = v == 2 ? CATALOG2_NF : CATALOG_NF;
	const char *why;
	char *end;

	memset(e, 0, sizeof *e);
	if (xp_field_split(line, f, nf) != nf)
		return v == 2 ? "expected 14 tab-separated fields"
		              : "expected 11 tab-separated fields";
	if (v == 2 && (why = parse_kind(f + CATALOG_NF, e)) != NULL)
		return why;
	if (!xp_repo_valid_id(f[0]))
		return "bad backup id";
	memcpy(e->id, f[0], 33);
	if (strcmp(f[1], "sealed") == 0)
		e->state = XP_CATALOG_SEALED;
	else if (strcmp(f[1], "shredded") == 0)
		e->state = XP_CATALOG_SHREDDED;
	else
		return "unknown state";
	if (opt_time(f[2], &e->created))
		return "bad creation time";
	e->has_window = strcmp(f[3], "-") != 0;
	if (e->has_window != (strcmp(f[4], "-") != 0))
		return "data window has only one end";
	if (e->has_window && (opt_time(f[3], &e->oldest) || opt_time(f[4], &e->newest)))
		return "bad data window";
	if (f[6][0] < '0' || f[6][0] > '9')
		return "bad size";
	errno = 0;
	e->size = strtoull(f[6], &end, 10);
	if (errno || *end)
		return "bad size";
	if (xp_unhex(f[7], e->hash, XP_CATALOG_HASH_LEN))
		return "bad BLAKE2b";
	xp_repo_backup_rel(e->id, want);
	if (strcmp(f[8], want) != 0)
		return "path does not match the id";
	if (strcmp(f[9], "yes") == 0)
		e->shreddable = 1;
	else if (strcmp(f[9], "no") != 0)
		return "shreddable is neither yes nor no";
	if (xp_field_unescape(f[5]) || xp_field_unescape(f[10]))
		return "bad escape";
	e->source = dup_or_null(f[5]);
	e->path = strdup(f[8]);
	e->hold = dup_or_null(f[10]);
	if ((f[5][0] && !e->source) || !e->path || (f[10][0] && !e->hold))
		return "out of memory";
	return NULL;
}

void xp_catalog_sig_mark(const char *sigtext, size_t *lines, char head[65])
{
	const char *p = strstr(sigtext, "\ntrusted comment: ");
	const char *nl = p ? strchr(p + 1, '\n') : NULL;
	const char *j = p ? strstr(p, "\tjournal:") : NULL;
	char hex[65];
	size_t n;

	*lines = 0;
	head[0] = '\0';
	if (j && (!nl || j < nl) && sscanf(j, "\tjournal:%zu:%64[0-9a-f]", &n, hex) == 2 &&
	    strlen(hex) == 64) {
		*lines = n;
		memcpy(head, hex, sizeof hex);
	}
}

/* The journal's length and last line when the catalog was written, from the trusted comment
 * of catalog.minisig; left empty when absent. Trusted only once the signature verifies
 * (xp_catalog_check). A signature that is there but cannot be read (a symbolic link, which is
 * never followed) is an error: an empty mark would pass for a catalog rolled back. */
static int read_journal_mark(const char *repo, struct xp_catalog *cat, struct xp_err *err)
{
	char *path = xp_repo_file(repo, XP_REPO_CATALOG_SIG), *sig = NULL;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read_optional(repo, path, 1 << 16, &sig, NULL, err);
	if (rc == 0 && sig) {
		const char *p = strstr(sig, "\ntrusted comment: ");
		const char *nl = p ? strchr(p + 1, '\n') : NULL;
		const char *k = p ? strstr(p, "\tsigned-after:") : NULL;

		xp_catalog_sig_mark(sig, &cat->journal_lines, cat->journal_head);
		cat->has_signed_after = k && (!nl || k < nl) &&
		                        sscanf(k, "\tsigned-after:%zu", &cat->signed_after) == 1;
	}
	free(sig);
	free(path);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

int xp_idset_make(struct xp_idset *s, const struct xp_catalog *cat, char dup[XP_REPO_ID_HEX])
{
	s->n = 0;
	s->v = cat->n ? malloc(cat->n * sizeof *s->v) : NULL;
	if (dup)
		dup[0] = '\0';
	if (cat->n && !s->v)
		return -1;
	for (size_t i = 0; i < cat->n; i++)
		memcpy(s->v[i], cat->entries[i].id, XP_REPO_ID_HEX);
	s->n = cat->n;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, cmp_id);
	for (size_t i = 1; dup && !dup[0] && i < s->n; i++)
		if (strcmp(s->v[i - 1], s->v[i]) == 0)
			memcpy(dup, s->v[i], XP_REPO_ID_HEX);
	return 0;
}

int xp_idset_has(const struct xp_idset *s, const char *id)
{
	return s->n && bsearch(id, s->v, s->n, sizeof *s->v, cmp_id) != NULL;
}

void xp_idset_free(struct xp_idset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int no_duplicates(const char *name, const struct xp_catalog *cat, struct xp_err *err)
{
	struct xp_idset set;
	char dup[XP_REPO_ID_HEX];
	int rc = 0;

	if (xp_idset_make(&set, cat, dup))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (dup[0])
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: %s listed twice", name, dup);
	xp_idset_free(&set);
	return rc;
}

int xp_catalog_parse(const char *name, char *buf, size_t len, struct xp_catalog *cat,
                     struct xp_err *err)
{
	char *p = buf, *end;
	size_t no = 0;
	int rc = 0, v = 1;

	memset(cat, 0, sizeof *cat);
	if (len == 0)
		return 0;
	if (buf[len - 1] != '\n')
		return xp_err_set(err, XP_EINTEGRITY, "%s: truncated (no final newline)", name);
	for (; p < buf + len; p = end + 1) {
		struct xp_catalog_entry *grown;
		const char *why;

		end = memchr(p, '\n', (size_t)(buf + len - p));
		*end = '\0';
		if (no++ == 0) {
			v = strcmp(p, CATALOG2_HEADER) == 0 ? 2 : 1;
			if (v == 1 && strcmp(p, CATALOG_HEADER) != 0) {
				rc = xp_err_set(err, XP_EINTEGRITY,
				                "%s: line 1: not a version 1 or 2 catalog header",
				                name);
				goto out;
			}
			continue;
		}
		if (p[0] == '#') {
			rc = xp_err_set(err, XP_EINTEGRITY, "%s: line %zu: unexpected comment",
			                name, no);
			goto out;
		}
		grown = realloc(cat->entries, (cat->n + 1) * sizeof *grown);
		if (!grown) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		cat->entries = grown;
		why = parse_entry(p, v, &cat->entries[cat->n]);
		cat->n++;
		if (why) {
			rc = xp_err_set(err, XP_EINTEGRITY, "%s: line %zu: %s", name, no, why);
			goto out;
		}
	}
	rc = no_duplicates(name, cat, err);
out:
	if (rc)
		xp_catalog_free(cat);
	return rc;
}

int xp_catalog_read(const char *repo, struct xp_catalog *cat, char **text, size_t *textlen,
                    struct xp_err *err)
{
	char *path = xp_repo_file(repo, XP_REPO_CATALOG), *buf = NULL;
	size_t len = 0;
	int rc;

	memset(cat, 0, sizeof *cat);
	if (text)
		*text = NULL;
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read_optional(repo, path, CATALOG_MAX, &buf, &len, err);
	if (rc || !buf)
		goto out;
	if (text) {
		*text = malloc(len + 1);
		if (!*text) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(*text, buf, len + 1);
		*textlen = len;
	}
	rc = xp_catalog_parse(path, buf, len, cat, err);
	if (rc == 0 && (rc = read_journal_mark(repo, cat, err)) != 0)
		xp_catalog_free(cat);
	if (rc && text) {
		free(*text);
		*text = NULL;
	}
out:
	free(buf);
	free(path);
	return rc;
}

int xp_catalog_load(const char *repo, struct xp_catalog *cat, struct xp_err *err)
{
	return xp_catalog_read(repo, cat, NULL, NULL, err);
}

int xp_catalog_load_signed(const char *repo, const struct xp_sign_pub *signer,
                           struct xp_catalog *cat, struct xp_err *err)
{
	char *text = NULL, *sig = NULL, *spath = xp_repo_file(repo, XP_REPO_CATALOG_SIG);
	size_t len = 0;
	int rc;

	if (!spath)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_catalog_read(repo, cat, &text, &len, err);
	if (rc == 0 && text)
		rc = xp_repo_read_optional(repo, spath, 1 << 16, &sig, NULL, err);
	if (rc == 0 && text && !sig)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s/catalog: not signed", repo);
	else if (rc == 0 && text)
		rc = xp_sign_verify_buffer_pub(text, len, sig, signer, err);
	if (rc)
		xp_catalog_free(cat);
	free(text);
	free(sig);
	free(spath);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct xp_catalog_entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The catalog is written in the oldest version that holds it, as the dump stream is: one
 * without partitions stays readable by the xpbackup before them. */
static int needs_v2(const struct xp_catalog *cat)
{
	for (size_t i = 0; i < cat->n; i++)
		if (cat->entries[i].kind == XP_CATALOG_PARTITION)
			return 1;
	return 0;
}

void xp_catalog_format(const struct xp_catalog *cat, struct xp_sbuf *b)
{
	char t[XP_TIME_LEN], t2[XP_TIME_LEN], hex[65];
	int v2 = needs_v2(cat);

	xp_sbuf_puts(b, v2 ? CATALOG2_HEADER "\n" : CATALOG_HEADER "\n");
	for (size_t i = 0; i < cat->n; i++) {
		const struct xp_catalog_entry *e = &cat->entries[i];
		char path[XP_REPO_REL_MAX];

		xp_time_format(e->created, t);
		xp_sbuf_printf(b, "%s\t%s\t%s\t", e->id, xp_catalog_state_name(e->state), t);
		if (e->has_window) {
			xp_time_format(e->oldest, t);
			xp_sbuf_printf(b, "%s\t", t);
			xp_time_format(e->newest, t);
			xp_sbuf_printf(b, "%s\t", t);
		} else {
			xp_sbuf_puts(b, "-\t-\t");
		}
		xp_sbuf_escape(b, e->source);
		xp_hex(e->hash, XP_CATALOG_HASH_LEN, hex);
		xp_repo_backup_rel(e->id, path);
		xp_sbuf_printf(b, "\t%" PRIu64 "\t%s\t%s\t%s\t", e->size, hex, path,
		               e->shreddable ? "yes" : "no");
		xp_sbuf_escape(b, e->hold);
		if (v2 && e->kind == XP_CATALOG_PARTITION) {
			xp_time_format(e->since, t);
			xp_time_format(e->until, t2);
			xp_sbuf_printf(b, "\tpartition\t%s\t%s", t, t2);
		} else if (v2) {
			xp_sbuf_puts(b, "\tfull\t-\t-");
		}
		xp_sbuf_add(b, "\n", 1);
	}
}

/* Signature first (as catalog.minisig.new), then the catalog, then the signature into place:
 * a crash between leaves a .new that xp_catalog_recover either installs (it matches the new
 * catalog) or removes (the old catalog and its signature are still a pair). */
int xp_catalog_write(struct xp_op *op, struct xp_err *err)
{
	struct xp_sbuf b = {0};
	char *sig = NULL, *cpath = NULL, *spath = NULL, *npath = NULL, *comment = NULL, head[65];
	int rc;

	if (op->cat.n > 1)
		qsort(op->cat.entries, op->cat.n, sizeof *op->cat.entries, cmp_entry);
	xp_catalog_format(&op->cat, &b);
	xp_hex(op->js.head, 32, head);
	comment = xp_asprintf("timestamp:%lld\tfile:catalog\tjournal:%zu:%s\tsigned-after:%zu",
	                      (long long)xp_now(), op->js.lines, head, op->signed_after);
	cpath = xp_repo_file(op->repo, XP_REPO_CATALOG);
	spath = xp_repo_file(op->repo, XP_REPO_CATALOG_SIG);
	npath = xp_repo_file(op->repo, XP_REPO_CATALOG_SIG_NEW);
	if (b.failed || !cpath || !spath || !npath || !comment) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_sign_buffer(op->key, b.p, b.len, comment, &sig, err);
	if (rc)
		goto out;
	xp_fault_point("catalog: write signature");
	rc = xp_file_write_atomic(npath, sig, strlen(sig), 0600, err);
	if (rc)
		goto out;
	xp_fault_point("catalog: write catalog");
	rc = xp_file_write_atomic(cpath, b.p, b.len, 0600, err);
	if (rc)
		goto out;
	xp_fault_point("catalog: install signature");
	if (xp_os_replace(npath, spath) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", spath);
		goto out;
	}
	rc = xp_fsync_dir(spath, err);
out:
	free(sig);
	free(comment);
	free(cpath);
	free(spath);
	free(npath);
	xp_sbuf_free(&b);
	return rc;
}

/* Scans the whole journal under a shared lock (no append is seen half done), calling fn for
 * each record; a broken chain is XP_EINTEGRITY naming the line. */
static int scan_shared(const char *repo, xp_journal_fn *fn, void *ctx, size_t *lines,
                       struct xp_err *err)
{
	struct xp_catalog_lock lock;
	struct xp_jstate st;
	int rc;

	rc = xp_catalog_lock_shared(repo, &lock, err);
	if (rc)
		return rc;
	rc = xp_journal_scan(repo, 0, NULL, fn, ctx, &st, err);
	xp_catalog_unlock(&lock);
	if (rc)
		return rc;
	if (lines)
		*lines = st.lines;
	if (st.broken_line)
		return xp_err_set(err, XP_EINTEGRITY, "%s/journal: line %zu: %s", repo,
		                  st.broken_line, st.broken_msg);
	return 0;
}

int xp_journal_read(const char *repo, xp_journal_fn *fn, void *ctx, struct xp_err *err)
{
	return scan_shared(repo, fn, ctx, NULL, err);
}

int xp_journal_verify(const char *repo, size_t *lines, struct xp_err *err)
{
	return scan_shared(repo, NULL, NULL, lines, err);
}
