/* Copying to a directory target a batch at a time (copy-int.h, xp_ct_push_batch): backups
 * written to temp names by two threads, then fsynced and named in one pass. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo/copy-int.h"
#include "repo/repo.h"

/* Files are staged by this many threads: BLAKE2b of what is sent, not the disk, is what a
 * copy to a fast disk waits for, and two backups are hashed at once. No fault point is on the
 * stagers' way (xp_fault_point counts calls, and crash tests count them in order): they are
 * all in xp_ct_commit, which runs on one thread. */
#define STAGERS 2

/* Backups being staged: each one's signature and file, staged by whichever thread takes it. */
struct batch {
	const char *repo;
	const struct xp_copy_target *t;
	const struct xp_catalog_entry **e;
	size_t n, next;
	int stop;               /* a backup failed: take no more */
	struct xp_ct_staged *s; /* 2 per backup: signature, file */
	int *rc;                /* per backup */
	struct xp_err *err;     /* per backup */
	pthread_mutex_t mu;
};

static int stage_file(const char *repo, const struct xp_copy_target *t, const char *id,
                      const char *suffix, const char *rel, const uint8_t *want, uint64_t want_size,
                      struct xp_ct_staged *s, struct xp_err *err)
{
	char *path = xp_repo_backup(repo, id, suffix);
	int fd = -1, rc;

	rc = path ? xp_repo_open(repo, path, O_RDONLY, 0, &fd, err)
	          : xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0)
		rc = xp_ct_stage(t, fd, path, rel, want, want_size, s, err);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static void *stager(void *arg)
{
	struct batch *b = arg;
	char rel[XP_REPO_REL_MAX], srel[XP_REPO_REL_MAX + 8];

	for (;;) {
		size_t k;
		const struct xp_catalog_entry *e;

		pthread_mutex_lock(&b->mu);
		k = b->stop ? b->n : b->next++;
		pthread_mutex_unlock(&b->mu);
		if (k >= b->n)
			break;
		e = b->e[k];
		xp_repo_backup_rel(e->id, rel);
		snprintf(srel, sizeof srel, "%s.minisig", rel);
		b->rc[k] = stage_file(b->repo, b->t, e->id, ".minisig", srel, NULL, 0, &b->s[2 * k],
		                      &b->err[k]);
		if (b->rc[k] == 0)
			b->rc[k] = stage_file(b->repo, b->t, e->id, "", rel, e->hash, e->size,
			                      &b->s[2 * k + 1], &b->err[k]);
		if (b->rc[k] && b->rc[k] != XP_ENOENT) {
			pthread_mutex_lock(&b->mu);
			b->stop = 1;
			pthread_mutex_unlock(&b->mu);
		}
	}
	return NULL;
}

int xp_ct_push_batch(const char *repo, const struct xp_copy_target *t,
                     const struct xp_catalog_entry **e, size_t n, int *ok, struct xp_err *err)
{
	struct batch b = {repo, t, e, n, 0, 0, NULL, NULL, NULL, PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[STAGERS];
	size_t nth = 0;
	int rc = 0, first = 0;

	b.s = calloc(2 * n, sizeof *b.s);
	b.rc = calloc(n, sizeof *b.rc);
	b.err = calloc(n, sizeof *b.err);
	if (!b.s || !b.rc || !b.err) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < 2 * n; i++)
		b.s[i].fd = b.s[i].dfd = -1;
	for (size_t i = 0; i < n; i++)
		b.rc[i] = XP_ENOENT; /* not taken */
	while (nth < STAGERS && nth < n && pthread_create(&th[nth], NULL, stager, &b) == 0)
		nth++;
	if (nth == 0)
		stager(&b);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	/* A backup not staged whole is not named (its signature alone may be). */
	for (size_t i = 0; i < n; i++) {
		if (b.rc[i] && b.rc[i] != XP_ENOENT && !first) {
			first = 1;
			rc = b.rc[i];
			*err = b.err[i];
		}
		if (b.rc[i])
			xp_ct_unstage(&b.s[2 * i + 1]);
	}
	{
		struct xp_err cerr = {0};
		int crc = xp_ct_commit(t, b.s, 2 * n, &cerr);

		if (crc && !rc) {
			rc = crc;
			*err = cerr;
		}
		for (size_t i = 0; i < n; i++)
			ok[i] = crc == 0 && b.rc[i] == 0;
	}
out:
	if (b.s)
		for (size_t i = 0; i < 2 * n; i++)
			xp_ct_unstage(&b.s[i]);
	free(b.s);
	free(b.rc);
	free(b.err);
	pthread_mutex_destroy(&b.mu);
	return rc;
}
