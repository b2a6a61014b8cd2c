/* Managed copies: the targets this host registers (copy.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/copy.h"
#include "repo/keys.h"
#include "repo/repo.h"
#include "repo/trust.h"
#include "base/afile.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

#define TARGETS_MAX (1 << 20)

/* ---- the registry ---- */

static char *targets_path(const char *repo, struct xp_err *err)
{
	char id[XP_KEYS_REPO_ID_HEX];
	char *p;

	if (xp_keys_repo_id(repo, id, err) != 0)
		return NULL;
	p = xp_asprintf("%s/copies/%s/targets", xp_repo_state_dir(), id);
	if (!p)
		xp_err_set(err, XP_ENOMEM, "out of memory");
	return p;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > XP_COPY_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int text_ok(const char *s)
{
	if (!*s || !strcmp(s, "-"))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Fills t from its registered fields; XP_EUSAGE naming what is wrong. */
static int target_set(struct xp_copy_target *t, const char *name, const char *url, const char *jur,
                      const char *rconfig, struct xp_err *err)
{
	memset(t, 0, sizeof *t);
	if (!name_ok(name))
		return xp_err_set(err, XP_EUSAGE,
		                  "%s: a target's name is 1 to %d letters, digits, '.', '_' or '-'",
		                  name, XP_COPY_NAME_MAX);
	if (!text_ok(url) || (strncmp(url, "rclone:", 7) != 0 && !xp_os_path_absolute(url)))
		return xp_err_set(err, XP_EUSAGE,
		                  "%s: a target is an absolute directory or rclone:REMOTE:PATH",
		                  url);
	if (strcmp(jur, "eu") != 0 && strcmp(jur, "non-eu") != 0)
		return xp_err_set(err, XP_EUSAGE, "%s: the jurisdiction is eu or non-eu", jur);
	if (rconfig && (!text_ok(rconfig) || !xp_os_path_root(rconfig)))
		return xp_err_set(err, XP_EUSAGE, "%s: rclone's config file, as an absolute path",
		                  rconfig);
	if (strncmp(url, "rclone:", 7) == 0 && (!strchr(url + 7, ':') || url[7] == '-'))
		return xp_err_set(err, XP_EUSAGE, "%s: rclone:REMOTE:PATH has no remote", url);
	if (rconfig && strncmp(url, "rclone:", 7) != 0)
		return xp_err_set(err, XP_EUSAGE, "%s: an rclone config is for an rclone target",
		                  url);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->kind = strncmp(url, "rclone:", 7) == 0 ? XP_COPY_RCLONE : XP_COPY_DIR;
	t->eu = strcmp(jur, "eu") == 0;
	t->url = strdup(url);
	t->where = strdup(t->kind == XP_COPY_RCLONE ? url + 7 : url);
	t->rconfig = rconfig ? strdup(rconfig) : NULL;
	if (!t->url || !t->where || (rconfig && !t->rconfig))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	return 0;
}

static void target_free(struct xp_copy_target *t)
{
	free(t->url);
	free(t->where);
	free(t->rconfig);
}

void xp_copy_targets_free(struct xp_copy_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		target_free(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const struct xp_copy_target *xp_copy_target_find(const struct xp_copy_targets *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

int xp_copy_targets_load(const char *repo, struct xp_copy_targets *t, struct xp_err *err)
{
	char *path = targets_path(repo, err), *buf = NULL, *line, *next, *f[4];
	struct xp_copy_target *grown;
	size_t len = 0, lineno = 0;
	int rc;

	memset(t, 0, sizeof *t);
	if (!path)
		return err->code;
	rc = xp_file_read_optional(path, TARGETS_MAX, &buf, &len, err);
	for (line = buf; rc == 0 && line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (xp_field_split(line, f, 4) != 4 || xp_field_unescape(f[3]) != 0) {
			rc = xp_err_set(err, XP_EFAIL, "%s: line %zu: not a target", path, lineno);
			break;
		}
		grown = realloc(t->v, (t->n + 1) * sizeof *grown);
		if (!grown) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		t->v = grown;
		rc = target_set(&t->v[t->n], f[0], f[1], f[2], *f[3] ? f[3] : NULL, err);
		t->n++;
		if (rc)
			xp_err_prefix(err, "%s: line %zu: ", path, lineno);
	}
	if (rc)
		xp_copy_targets_free(t);
	free(buf);
	free(path);
	return rc;
}

/* Writes the list atomically, creating STATE/copies/REPOID (0700). */
static int targets_save(const char *repo, const struct xp_copy_targets *t, struct xp_err *err)
{
	char *path = targets_path(repo, err), *slash;
	struct xp_sbuf b = {0};
	int rc;

	if (!path)
		return err->code;
	for (size_t i = 0; i < t->n; i++) {
		const struct xp_copy_target *x = &t->v[i];

		xp_sbuf_printf(&b, "%s\t%s\t%s\t", x->name, x->url, x->eu ? "eu" : "non-eu");
		xp_sbuf_escape(&b, x->rconfig);
		xp_sbuf_puts(&b, "\n");
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	rc = b.failed ? xp_err_set(err, XP_ENOMEM, "out of memory") : xp_mkdirs(path, 0700, err);
	*slash = '/';
	if (rc == 0)
		rc = xp_file_write_atomic(path, b.p ? b.p : "", b.len, 0600, err);
	xp_sbuf_free(&b);
	free(path);
	return rc;
}

int xp_copy_target_add(const char *repo, const char *name, const char *url, const char *jur,
                       const char *rconfig, struct xp_err *err)
{
	struct xp_copy_targets t;
	struct xp_copy_target *grown;
	int rc;

	rc = xp_copy_targets_load(repo, &t, err);
	if (rc)
		return rc;
	grown = realloc(t.v, (t.n + 1) * sizeof *grown);
	if (!grown) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	t.v = grown;
	if (xp_copy_target_find(&t, name)) {
		rc = xp_err_set(err, XP_EFAIL, "copy %s: already registered", name);
		goto out;
	}
	rc = target_set(&t.v[t.n], name, url, jur, rconfig, err);
	t.n++;
	if (rc == 0)
		rc = targets_save(repo, &t, err);
out:
	xp_copy_targets_free(&t);
	return rc;
}

int xp_copy_target_remove(const char *repo, const char *name, struct xp_err *err)
{
	struct xp_copy_targets t;
	size_t i;
	int rc;

	rc = xp_copy_targets_load(repo, &t, err);
	if (rc)
		return rc;
	for (i = 0; i < t.n && strcmp(t.v[i].name, name) != 0; i++)
		;
	if (i == t.n) {
		rc = xp_err_set(err, XP_ENOENT, "copy %s: no such target", name);
	} else {
		target_free(&t.v[i]);
		memmove(&t.v[i], &t.v[i + 1], (t.n - i - 1) * sizeof t.v[0]);
		t.n--;
		rc = targets_save(repo, &t, err);
	}
	xp_copy_targets_free(&t);
	return rc;
}

int xp_copy_is_target(const char *dir, char name[XP_COPY_NAME_MAX + 1], struct xp_err *err)
{
	struct xp_copy_targets t = {0};
	struct stat a;
	int rc;

	name[0] = '\0';
	if (stat(dir, &a) != 0)
		return 0;
	rc = xp_copy_targets_load(dir, &t, err);
	if (rc == XP_ENOENT) /* no repository id: no repository's copy */
		rc = 0;
	for (size_t i = 0; rc == 0 && i < t.n; i++)
		if (t.v[i].kind == XP_COPY_DIR && xp_os_same_dir(dir, t.v[i].where) == 1) {
			snprintf(name, XP_COPY_NAME_MAX + 1, "%s", t.v[i].name);
			rc = 1;
		}
	xp_copy_targets_free(&t);
	return rc;
}
