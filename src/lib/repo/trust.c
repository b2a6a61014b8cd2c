/* Trust pins: a host's memory of each repository's ids, signer and high-water marks. */
#include "config.h"

#include "repo/trust.h"
#include "repo/repo.h"
#include "repo/catalog.h"
#include "repo/journal.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/encode.h"
#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

#define RETRUST   "if this change was intended: xpseal trust --reset -r"
#define PINS_MAX  8192
#define PATH_HASH 16

/* What this host has seen of a repository's catalog and journal. */
struct seen {
	size_t catalog, journal;
	uint8_t head[32];
};

/* What the repository and the pins say, before they are compared. */
struct found {
	char repo_id[XP_KEYS_REPO_ID_HEX];
	uint8_t key_id[XP_KEYS_ID_LEN];
	uint8_t signer[XP_SIGN_PUB_LEN]; /* keys/signer.pub */
	int no_signer; /* keys/signer.pub could not be read: signer_err says why */
	struct xp_err signer_err;
	int has_pins;
	uint8_t pin_key_id[XP_KEYS_ID_LEN];
	uint8_t pin_signer[XP_SIGN_PUB_LEN];
	char path_id[XP_KEYS_REPO_ID_HEX]; /* the id pinned at this path, or "" */
	char *path_file;                   /* STATE/trust/paths/HASH */
	char *real;                        /* the repository's real path */
};

static void free_found(struct found *f)
{
	free(f->path_file);
	free(f->real);
}

static char *in_dir(const struct xp_trust *t, const char *name)
{
	return xp_asprintf("%s/%s", t->dir, name);
}

/* Reads "NAME VALUE" lines of the pins file: the repository key id (required). */
static int read_pins(const struct xp_trust *t, struct found *f, struct xp_err *err)
{
	char *path = in_dir(t, "pins"), *spath = in_dir(t, "signer.pub"), *text = NULL;
	char *line, *save = NULL, value[80];
	int have_key = 0, rc;

	if (!path || !spath) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_file_read(path, PINS_MAX, &text, NULL, err);
	if (rc)
		goto out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "repo-key %79s", value) == 1 && strlen(value) == 16 &&
		    xp_unhex(value, f->pin_key_id, sizeof f->pin_key_id) == 0)
			have_key = 1;
	if (!have_key) {
		rc = xp_err_set(err, XP_EFAIL, "%s: no repo-key line", path);
		goto out;
	}
	rc = xp_sign_pub_load(spath, f->pin_signer, err);
	if (rc == 0)
		f->has_pins = 1;
out:
	free(text);
	free(spath);
	free(path);
	return rc;
}

static int read_seen(const struct xp_trust *t, struct seen *s, struct xp_err *err)
{
	char *path = in_dir(t, "seen"), *text = NULL, hex[65];
	int rc;

	memset(s, 0, sizeof *s);
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_file_read_optional(path, PINS_MAX, &text, NULL, err);
	if (rc == 0 && text &&
	    (sscanf(text, "catalog %zu\njournal %zu %64s", &s->catalog, &s->journal, hex) != 3 ||
	     xp_unhex(hex, s->head, sizeof s->head) != 0))
		rc = xp_err_set(err, XP_EFAIL, "%s: damaged", path);
	free(text);
	free(path);
	return rc;
}

static int write_seen(const struct xp_trust *t, const struct seen *s, struct xp_err *err)
{
	char *path = in_dir(t, "seen"), *text, hex[65];
	int rc;

	xp_hex(s->head, sizeof s->head, hex);
	text = xp_asprintf("catalog %zu\njournal %zu %s\n", s->catalog, s->journal, hex);
	if (!path || !text)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = xp_file_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	free(path);
	return rc;
}

/* The catalog generation and the journal as the repository has them now. */
static int current_marks(const char *repo, size_t want, struct seen *now, uint8_t mark[32],
                         struct xp_err *err)
{
	struct xp_catalog_lock lock = {.fd = -1};
	struct xp_catalog cat = {0};
	struct xp_jtrust jt = {.mark = want}; /* only where the mark is: nothing is acted on */
	struct xp_jstate st;
	int rc;

	rc = xp_catalog_lock_shared(repo, &lock, err);
	if (rc == 0)
		rc = xp_catalog_load(repo, &cat, err);
	if (rc == 0)
		rc = xp_journal_scan(repo, 0, &jt, NULL, NULL, &st, err);
	if (rc == 0) {
		now->catalog = cat.journal_lines;
		now->journal = st.lines;
		memcpy(now->head, st.head, sizeof now->head);
		memcpy(mark, st.mark_hash, 32);
	}
	xp_catalog_free(&cat);
	xp_catalog_unlock(&lock);
	return rc;
}

int xp_trust_check_marks(const char *repo, const struct xp_trust *t, struct xp_err *err)
{
	struct seen seen, now;
	uint8_t mark[32];
	int rc;

	if ((rc = read_seen(t, &seen, err)) != 0 ||
	    (rc = current_marks(repo, seen.journal, &now, mark, err)) != 0)
		return rc;
	if (now.catalog < seen.catalog)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "%s: catalog: older than the one this host has seen (written at "
		                  "journal event %zu, not %zu: rolled back?); %s %s",
		                  repo, now.catalog, seen.catalog, RETRUST, repo);
	if (now.journal < seen.journal)
		return xp_err_set(
		        err, XP_EINTEGRITY,
		        "%s: journal: %zu events, but this host has seen %zu (cut back?); "
		        "%s %s",
		        repo, now.journal, seen.journal, RETRUST, repo);
	if (seen.journal && sodium_memcmp(mark, seen.head, 32) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "%s: journal: event %zu is not the one this host has seen "
		                  "(rewritten?); %s %s",
		                  repo, seen.journal, RETRUST, repo);
	return 0;
}

/* The real path's hash names the path index file. */
static int find_path_pin(const char *repo, struct found *f, struct xp_err *err)
{
	uint8_t h[PATH_HASH];
	char hex[2 * PATH_HASH + 1], *text = NULL;
	size_t len = 0;
	int rc;

	f->real = xp_os_realpath(repo);
	if (!f->real)
		return xp_err_sys(err, XP_EFAIL, "%s", repo);
	(void)crypto_generichash(h, sizeof h, (const uint8_t *)f->real, strlen(f->real), NULL, 0);
	xp_hex(h, sizeof h, hex);
	f->path_file = xp_asprintf("%s/trust/paths/%s", xp_repo_state_dir(), hex);
	if (!f->path_file)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_file_read_optional(f->path_file, 256, &text, &len, err);
	if (rc == 0 && text && len > 0 && len < sizeof f->path_id) {
		memcpy(f->path_id, text, len);
		f->path_id[strcspn(f->path_id, "\n")] = '\0';
	}
	free(text);
	return rc;
}

/* Reads what the repository's loose files say and what this host pinned. */
static int gather(const char *repo, struct xp_trust *t, struct found *f, struct xp_err *err)
{
	uint8_t pk[XP_KEYS_PK_LEN];
	char *pub = xp_repo_file(repo, XP_REPO_SIGNER_PUB);
	int rc;

	memset(t, 0, sizeof *t);
	if (!pub)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_keys_repo_id(repo, f->repo_id, err)) != 0 ||
	    (rc = xp_keys_load_public(repo, pk, f->key_id, err)) != 0 ||
	    (rc = find_path_pin(repo, f, err)) != 0)
		goto out;
	/* Unreadable, it is left to the catalog check when another signer is trusted. */
	f->no_signer = xp_sign_pub_load(pub, f->signer, &f->signer_err) != 0;
	memcpy(t->repo_id, f->repo_id, sizeof t->repo_id);
	memcpy(t->key_id, f->key_id, sizeof t->key_id);
	t->dir = xp_asprintf("%s/trust/%s", xp_repo_state_dir(), f->repo_id);
	if (!t->dir) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = read_pins(t, f, err);
	if (rc == XP_ENOENT)
		rc = 0;
	t->had_pins = f->has_pins;
out:
	free(pub);
	return rc;
}

int xp_trust_describe(const char *repo, struct xp_trust *t, struct xp_err *err)
{
	struct found f = {0};
	int rc;

	rc = gather(repo, t, &f, err);
	if (rc == 0 && f.no_signer)
		rc = xp_err_set(err, f.signer_err.code, "%s", f.signer_err.msg);
	if (rc == 0) {
		memcpy(t->signer, f.signer, sizeof t->signer);
		xp_sign_pub_id(t->signer, t->signer_id);
		t->from = XP_TRUST_FROM_REPO;
	}
	free_found(&f);
	return rc;
}

static int signer_mismatch(const char *repo, const char *what, const uint8_t *got,
                           const uint8_t *want, const char *whose, struct xp_err *err)
{
	char a[17], b[17];

	xp_sign_pub_id(got, a);
	xp_sign_pub_id(want, b);
	return xp_err_set(err, XP_EINTEGRITY, "%s: %s: signer %s is not the signer %s (%s); %s %s",
	                  repo, what, a, whose, b, RETRUST, repo);
}

/* Writes the pins for what t now trusts, then the path index, then the marks. */
static int pin(const char *repo, const struct xp_trust *t, const struct found *f,
               struct xp_err *err)
{
	char kid[2 * XP_KEYS_ID_LEN + 1], *path = in_dir(t, "pins"),
	                                  *spath = in_dir(t, "signer.pub");
	char *text = NULL, *stext = NULL,
	     *paths = xp_asprintf("%s/trust/paths", xp_repo_state_dir());
	struct seen now;
	uint8_t mark[32];
	int rc;

	xp_hex(t->key_id, sizeof t->key_id, kid);
	text = xp_asprintf("# xpbackup trust pins (xpseal(5)); replace with xpseal trust --reset\n"
	                   "repository %s\nrepo-key %s\nsigner %s\npath %s\n",
	                   t->repo_id, kid, t->signer_id, f->real);
	if (!path || !spath || !text || !paths) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_mkdirs(t->dir, 0700, err)) != 0 || (rc = xp_mkdirs(paths, 0700, err)) != 0 ||
	    (rc = xp_sign_pub_text(t->signer, &stext, err)) != 0 ||
	    (rc = xp_file_write_atomic(spath, stext, strlen(stext), 0600, err)) != 0 ||
	    (rc = xp_file_write_atomic(path, text, strlen(text), 0600, err)) != 0 ||
	    (rc = xp_file_write_atomic(f->path_file, t->repo_id, strlen(t->repo_id), 0600, err)) !=
	            0 ||
	    (rc = current_marks(repo, 0, &now, mark, err)) != 0)
		goto out;
	rc = write_seen(t, &now, err);
out:
	free(paths);
	free(stext);
	free(text);
	free(spath);
	free(path);
	return rc;
}

/* Which signer to trust, and whether everything found agrees with it and with the pins. */
static int choose_signer(const char *repo, const struct xp_trust_opts *o, struct xp_trust *t,
                         const struct found *f, int use_pins, struct xp_err *err)
{
	const struct xp_keys_bound *b = o->bound && o->bound->present ? o->bound : NULL;
	int rc;

	if (o->pubkey) {
		rc = xp_sign_pub_load(o->pubkey, t->signer, err);
		if (rc)
			return rc;
		t->from = XP_TRUST_FROM_OPTION;
	} else if (use_pins) {
		memcpy(t->signer, f->pin_signer, sizeof t->signer);
		t->from = XP_TRUST_FROM_PIN;
	} else if (b) {
		memcpy(t->signer, b->signer, sizeof t->signer);
		t->from = XP_TRUST_FROM_KEYFILE;
	} else if (f->no_signer) {
		return xp_err_set(err, f->signer_err.code, "%s", f->signer_err.msg);
	} else {
		memcpy(t->signer, f->signer, sizeof t->signer);
		t->from = XP_TRUST_FROM_REPO;
	}
	xp_sign_pub_id(t->signer, t->signer_id);
	if (use_pins && !o->pubkey && b && sodium_memcmp(b->signer, f->pin_signer, XP_SIGN_PUB_LEN))
		return signer_mismatch(repo, "keys/repo.key", b->signer, f->pin_signer,
		                       "pinned on this host", err);
	if (o->pubkey && b && sodium_memcmp(b->signer, t->signer, XP_SIGN_PUB_LEN) != 0)
		return signer_mismatch(repo, "keys/repo.key", b->signer, t->signer, "given with -p",
		                       err);
	if (!f->no_signer && sodium_memcmp(f->signer, t->signer, XP_SIGN_PUB_LEN) != 0)
		return signer_mismatch(repo, "keys/signer.pub", f->signer, t->signer,
		                       t->from == XP_TRUST_FROM_PIN      ? "pinned on this host"
		                       : t->from == XP_TRUST_FROM_OPTION ? "given with -p"
		                                                         : "in keys/repo.key",
		                       err);
	return 0;
}

/* The ids: what the password unlocked, the path index and the pins must agree with the files. */
static int check_ids(const char *repo, const struct xp_trust_opts *o, const struct found *f,
                     int use_pins, struct xp_err *err)
{
	char a[2 * XP_KEYS_ID_LEN + 1], b[2 * XP_KEYS_ID_LEN + 1];

	if (o->bound && o->bound->present && strcmp(o->bound->repo_id, f->repo_id) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "%s: keys/repo.id says repository %s, keys/repo.key says %s",
		                  repo, f->repo_id, o->bound->repo_id);
	if (!(o->flags & XP_TRUST_RESET) && f->path_id[0] && strcmp(f->path_id, f->repo_id) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "%s: repository id %s is not the id %s pinned on this host for "
		                  "this path; %s %s",
		                  repo, f->repo_id, f->path_id, RETRUST, repo);
	if (use_pins && sodium_memcmp(f->key_id, f->pin_key_id, XP_KEYS_ID_LEN) != 0 &&
	    !(o->rotating && sodium_memcmp(o->rotating, f->pin_key_id, XP_KEYS_ID_LEN) == 0)) {
		xp_hex(f->key_id, XP_KEYS_ID_LEN, a);
		xp_hex(f->pin_key_id, XP_KEYS_ID_LEN, b);
		return xp_err_set(
		        err, XP_EINTEGRITY,
		        "%s: keys/repo.pub: repository key %s is not the key %s pinned on "
		        "this host; %s %s",
		        repo, a, b, RETRUST, repo);
	}
	return 0;
}

int xp_trust_check(const char *repo, const struct xp_trust_opts *o, struct xp_trust *t,
                   struct xp_err *err)
{
	struct found f = {0};
	int use_pins, rc;

	rc = gather(repo, t, &f, err);
	if (rc)
		goto out;
	use_pins = f.has_pins && !(o->flags & XP_TRUST_RESET);
	if ((rc = check_ids(repo, o, &f, use_pins, err)) != 0 ||
	    (rc = choose_signer(repo, o, t, &f, use_pins, err)) != 0)
		goto out;
	if (use_pins && (o->flags & XP_TRUST_MARKS) &&
	    (rc = xp_trust_check_marks(repo, t, err)) != 0)
		goto out;
	if (!use_pins) {
		rc = pin(repo, t, &f, err);
		if (rc)
			goto out;
		t->pinned_now = 1;
	}
	t->signer_path = o->pubkey ? strdup(o->pubkey) : in_dir(t, "signer.pub");
	if (!t->signer_path)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
out:
	free_found(&f);
	if (rc)
		xp_trust_free(t);
	return rc;
}

int xp_trust_rotate(const char *repo, const uint8_t old_id[XP_KEYS_ID_LEN],
                    const uint8_t new_id[XP_KEYS_ID_LEN], struct xp_err *err)
{
	struct xp_trust t;
	struct found f = {0};
	int rc;

	rc = gather(repo, &t, &f, err);
	if (rc || !f.has_pins)
		goto out;
	if (sodium_memcmp(f.pin_key_id, new_id, XP_KEYS_ID_LEN) == 0)
		goto out;
	if (sodium_memcmp(f.pin_key_id, old_id, XP_KEYS_ID_LEN) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: the repository key pinned on this host is neither the old nor "
		                "the new key of the rotation",
		                repo);
		goto out;
	}
	memcpy(t.key_id, new_id, XP_KEYS_ID_LEN);
	memcpy(t.signer, f.pin_signer, sizeof t.signer);
	xp_sign_pub_id(t.signer, t.signer_id);
	rc = pin(repo, &t, &f, err);
out:
	free_found(&f);
	xp_trust_free(&t);
	return rc;
}

int xp_trust_seen(const char *repo, const struct xp_trust *t, struct xp_err *err)
{
	char *lockpath = in_dir(t, "lock");
	struct seen seen, now;
	uint8_t mark[32];
	int fd = -1, rc;

	if (!lockpath)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || xp_os_lock(fd, XP_LOCK_EX) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", lockpath);
		goto out;
	}
	if ((rc = read_seen(t, &seen, err)) != 0 ||
	    (rc = current_marks(repo, seen.journal, &now, mark, err)) != 0)
		goto out;
	/* Only forward: a journal that does not extend the one seen is left to the checks. */
	if (now.catalog > seen.catalog)
		seen.catalog = now.catalog;
	if (now.journal > seen.journal &&
	    (!seen.journal || sodium_memcmp(mark, seen.head, sizeof mark) == 0)) {
		seen.journal = now.journal;
		memcpy(seen.head, now.head, sizeof seen.head);
	}
	rc = write_seen(t, &seen, err);
out:
	if (fd >= 0)
		close(fd);
	free(lockpath);
	return rc;
}

const char *xp_trust_from_name(enum xp_trust_from from)
{
	static const char *const name[] = {
	        [XP_TRUST_FROM_PIN] = "pinned on this host",
	        [XP_TRUST_FROM_OPTION] = "given with -p",
	        [XP_TRUST_FROM_KEYFILE] = "from keys/repo.key, unlocked with the password",
	        [XP_TRUST_FROM_REPO] = "found in the repository",
	};

	return name[from];
}

void xp_trust_describe_signer(const struct xp_trust *t, char *buf, size_t len)
{
	snprintf(buf, len, "signer %s (%s)", t->signer_id, xp_trust_from_name(t->from));
}

void xp_trust_first_use(const struct xp_trust *t, const char *repo, char *buf, size_t len)
{
	char kid[2 * XP_KEYS_ID_LEN + 1];

	xp_hex(t->key_id, sizeof t->key_id, kid);
	snprintf(buf, len,
	         "%s: no trust pins on this host: pinned repository %s, repository key %s, signer "
	         "%s %s (trust on first use; see xpseal trust)",
	         repo, t->repo_id, kid, t->signer_id, xp_trust_from_name(t->from));
}

void xp_trust_free(struct xp_trust *t)
{
	free(t->signer_path);
	free(t->dir);
	t->signer_path = NULL;
	t->dir = NULL;
}
