/* Deep checks and restore drills: a pipeline of threads over pipes (see verify.h). */
#include "config.h"

#include "repo/verify.h"
#include "repo/erase.h"
#include "repo/repo.h"

#include "stream/dump.h"
#include "repo/keys.h"
#include "db/load.h"
#include "db/odbc.h"
#include "db/fetch.h"
#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "crypto/secret.h"
#include "repo/vault.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELAY_BUF (64u << 10)

int xp_verify_unlock(const char *repo, const char *pw, size_t pwlen, struct xp_verify_keys *k,
                     struct xp_err *err)
{
	int rc;

	memset(k, 0, sizeof *k);
	k->sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	k->vault = calloc(1, sizeof *k->vault);
	if (!k->sk || !k->vault)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else if ((rc = xp_vault_open(repo, k->vault, err)) == 0 &&
	         (rc = xp_keys_load_public(repo, k->pk, k->key_id, err)) == 0)
		rc = xp_keys_unlock_bound(repo, pw, pwlen, k->sk, &k->bound, err);
	if (rc)
		xp_verify_keys_free(k);
	return rc;
}

void xp_verify_keys_free(struct xp_verify_keys *k)
{
	xp_secret_free(k->sk);
	if (k->vault)
		xp_vault_free(k->vault);
	free(k->vault);
	memset(k, 0, sizeof *k);
}

static void tables_free(struct xp_verify_result *res)
{
	for (size_t i = 0; i < res->ntables; i++)
		free(res->tables[i].name);
	free(res->tables);
	free(res->withheld);
	res->tables = NULL;
	res->withheld = NULL;
	res->ntables = 0;
	res->rows = 0;
	res->nwithheld = 0;
	res->dump = 0;
}

/* The ledger's key, when k has a ledger with entries: secret memory (xp_secret_free), or NULL
 * with *rc set when out of memory. */
static uint8_t *ledger_key(const struct xp_verify_keys *k, int *rc, struct xp_err *err)
{
	uint8_t *key;

	*rc = 0;
	if (!k->ledger || k->ledger->n == 0)
		return NULL;
	if (!(key = xp_secret_alloc(XP_ERASE_KEY_LEN))) {
		*rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		return NULL;
	}
	xp_erase_key(k->sk, key);
	return key;
}

void xp_verify_result_close(struct xp_verify_result *res)
{
	if (res->has_fd)
		close(res->fd);
	res->has_fd = 0;
	res->fd = -1;
}

void xp_verify_result_free(struct xp_verify_result *res)
{
	tables_free(res);
	xp_verify_result_close(res);
	memset(res, 0, sizeof *res);
}

/* Adds a row's BLAKE2b-256 into the 256-bit little-endian sum acc. */
static int add_row(uint8_t acc[32], const struct xp_field *f, size_t n)
{
	crypto_generichash_state st;
	uint8_t h[32], len[8];
	unsigned carry = 0;
	int rc = crypto_generichash_init(&st, NULL, 0, sizeof h);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint8_t null = f[i].null ? 0 : 1;
		uint64_t l = f[i].null ? 0 : f[i].len;

		for (size_t b = 0; b < 8; b++)
			len[b] = (uint8_t)(l >> (8 * b));
		rc = crypto_generichash_update(&st, &null, 1);
		if (rc == 0)
			rc = crypto_generichash_update(&st, len, sizeof len);
		if (rc == 0 && l)
			rc = crypto_generichash_update(&st, (const uint8_t *)f[i].p, l);
	}
	if (rc == 0)
		rc = crypto_generichash_final(&st, h, sizeof h);
	for (size_t b = 0; rc == 0 && b < 32; b++) {
		carry += (unsigned)acc[b] + h[b];
		acc[b] = (uint8_t)carry;
		carry >>= 8;
	}
	return rc;
}

/* Writes all n bytes: 0, or -1 with errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads fd to its end, so that the threads writing into it can finish. */
static void drain(int fd)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		;
}

/* Thread: decrypts in_fd into out_fd, hashing every byte it reads for the signature, then
 * closes out_fd (the reader's end of file). */
struct opener {
	int in_fd, out_fd;
	const struct xp_verify_keys *vk;
	struct xp_err err;
	int rc;
	struct xp_sign_state hash;
	struct xp_seal_info info;
};

static void seen(void *ctx, const void *buf, size_t n)
{
	xp_sign_update(ctx, buf, n);
}

static void *open_main(void *arg)
{
	struct opener *o = arg;
	struct xp_seal_keys k = {o->vk->pk, o->vk->sk, o->vk->key_id, xp_vault_read, o->vk->vault};

	o->rc = xp_seal_open_seen(o->in_fd, o->out_fd, &k, seen, &o->hash, &o->info, &o->err);
	close(o->out_fd);
	return NULL;
}

/* Thread: copies in_fd to out_fd through the dump tap, counting bytes; closes out_fd. Reads
 * in_fd to its end even when writing fails, so the opener never blocks. */
struct relay {
	int in_fd, out_fd;
	struct xp_dump_tap *tap;
	uint8_t *buf;
	uint64_t bytes;
	int failed; /* errno of a failed write, or 0 */
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	ssize_t n;

	while ((n = read(r->in_fd, r->buf, RELAY_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->failed = errno;
			break;
		}
		r->bytes += (uint64_t)n;
		xp_dump_tap_feed(r->tap, r->buf, (size_t)n);
		if (!r->failed && write_all(r->out_fd, r->buf, (size_t)n) != 0)
			r->failed = errno;
	}
	close(r->out_fd);
	return NULL;
}

/* Reads every row of the dump stream on fd into res (names, rows, digests; with k->ledger,
 * what a restore keeps and withholds). */
static int walk(const struct xp_verify_keys *k, int fd, struct xp_verify_result *res,
                struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	struct xp_erase_match *mt = NULL;
	const struct xp_manifest *m;
	const struct xp_field *row;
	size_t t;
	int rc;
	uint8_t *key = ledger_key(k, &rc, err);

	if (rc || (rc = xp_dump_reader_open(&r, fd, err)) != 0)
		goto out;
	res->dump = 1; /* a MANIFEST came first: from here on, any failure is damage */
	m = xp_dump_reader_manifest(r);
	res->tables = calloc(m->ntables ? m->ntables : 1, sizeof *res->tables);
	if (key)
		res->withheld = calloc(k->ledger->n, sizeof *res->withheld);
	if (!res->tables || (key && !res->withheld)) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	res->ntables = m->ntables;
	for (size_t i = 0; i < m->ntables; i++)
		if (!(res->tables[i].name = strdup(m->tables[i].name))) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
	while ((rc = xp_dump_reader_next_table(r, &t, err)) == 1) {
		struct xp_verify_table *vt = &res->tables[t];

		xp_erase_match_free(mt);
		mt = NULL;
		if (key && (rc = xp_erase_match_new(k->ledger, key, &m->tables[t], m->started, &mt,
		                                    err)) != 0)
			goto out;
		while ((rc = xp_dump_reader_next_row(r, &row, err)) == 1) {
			long e = mt ? xp_erase_match_row(mt, row) : -1;

			if (add_row(vt->digest, row, m->tables[t].ncols) != 0 ||
			    (mt && e < 0 &&
			     add_row(vt->kept_digest, row, m->tables[t].ncols) != 0)) {
				rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
				goto out;
			}
			vt->rows++;
			if (mt && e < 0) {
				vt->kept++;
			} else if (mt) {
				res->withheld[e]++;
				res->nwithheld++;
			}
		}
		if (rc < 0)
			goto out;
		if (!mt) { /* nothing withheld: what is kept is what is there */
			vt->kept = vt->rows;
			memcpy(vt->kept_digest, vt->digest, sizeof vt->digest);
		}
		res->rows += vt->rows;
	}
out:
	xp_erase_match_free(mt);
	xp_secret_free(key);
	xp_dump_reader_free(r);
	return rc;
}

/* The payload of the file on fd (from its start) decrypted onto a pipe by a thread: *rfd is
 * the read end. The caller keeps fd. */
struct source {
	struct opener op;
	pthread_t th;
	int started;
};

static int source_start(struct source *s, const struct xp_verify_keys *k, int fd, const char *path,
                        int *rfd, struct xp_err *err)
{
	int p[2];

	memset(s, 0, sizeof *s);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return xp_err_sys(err, XP_EFAIL, "%s", path);
	if (xp_os_pipe(p) != 0)
		return xp_err_sys(err, XP_EFAIL, "pipe");
	s->op = (struct opener){.in_fd = fd, .out_fd = p[1], .vk = k};
	xp_sign_init(&s->op.hash);
	if (pthread_create(&s->th, NULL, open_main, &s->op) != 0) {
		close(p[0]);
		close(p[1]);
		return xp_err_set(err, XP_EFAIL, "cannot start a thread");
	}
	s->started = 1;
	*rfd = p[0];
	return 0;
}

/* Drains and closes rfd, waits for the opener; its failure, if any, goes into err. On success
 * prehash gets the hash of every byte it read. */
static int source_finish(struct source *s, int rfd, const char *path,
                         uint8_t prehash[XP_SIGN_HASH_LEN], struct xp_err *err)
{
	drain(rfd);
	close(rfd);
	pthread_join(s->th, NULL);
	if (s->op.rc) {
		*err = s->op.err;
		xp_err_prefix(err, "%s", path);
		return s->op.rc;
	}
	xp_sign_digest(&s->op.hash, prehash);
	return 0;
}

/* The signature of path, read once; a missing one is damage. */
static int read_signature(const char *path, char **sig, struct xp_err *err)
{
	char *sigpath = xp_asprintf("%s.minisig", path);
	int rc;

	if (!sigpath)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_sign_read_sigfile(sigpath, sig, err);
	if (rc == XP_ENOENT)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: signature missing", sigpath);
	else if (rc == 0 && (rc = xp_sign_check_format(*sig, err)) != 0)
		xp_err_prefix(err, "%s", sigpath);
	free(sigpath);
	return rc;
}

/* The signature of the bytes decrypted (prehash), and that it names this backup. */
static int check_signed(const struct xp_verify_keys *k, const char *path, const char *sig,
                        const uint8_t prehash[XP_SIGN_HASH_LEN], const char *header_id,
                        const char *id, struct xp_err *err)
{
	char *comment = NULL;
	int rc;

	rc = xp_sign_verify_hash(prehash, sig, &k->signer, &comment, err);
	if (rc == 0)
		rc = xp_seal_bind(comment, header_id, id, err);
	if (rc)
		xp_err_prefix(err, "%s", path);
	free(comment);
	return rc;
}

int xp_verify_deep(const struct xp_verify_keys *k, const char *path, const char *id,
                   struct xp_verify_result *res, struct xp_err *err)
{
	struct source src;
	struct relay rl = {-1, -1, NULL, NULL, 0, 0};
	struct xp_dump_brief brief;
	struct xp_err werr = {0, ""};
	char *sig = NULL;
	pthread_t rth;
	int p[2], rfd, rc, wrc, is_dump;

	memset(res, 0, sizeof *res);
	rl.tap = xp_dump_tap_new();
	rl.buf = malloc(RELAY_BUF);
	if (!rl.tap || !rl.buf) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	/* One descriptor for everything: what is decrypted is what the signature covers. */
	rc = xp_open_regular(path, O_RDONLY, &res->fd, err);
	if (rc)
		goto out;
	res->has_fd = 1;
	rc = read_signature(path, &sig, err);
	if (rc)
		goto out;
	if (xp_os_pipe(p) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "pipe");
		goto out;
	}
	rc = source_start(&src, k, res->fd, path, &rl.in_fd, err);
	if (rc) {
		close(p[0]);
		close(p[1]);
		goto out;
	}
	rl.out_fd = p[1];
	if (pthread_create(&rth, NULL, relay_main, &rl) != 0) {
		close(p[1]);
		close(p[0]);
		source_finish(&src, rl.in_fd, path, res->prehash, err);
		rc = xp_err_set(err, XP_EFAIL, "cannot start a thread");
		goto out;
	}
	rfd = p[0];
	wrc = walk(k, rfd, res, &werr);
	drain(rfd);
	close(rfd);
	pthread_join(rth, NULL);
	/* the relay read the opener's pipe to its end; source_finish closes it */
	rc = source_finish(&src, rl.in_fd, path, res->prehash, err);
	if (rc == 0)
		rc = check_signed(k, path, sig, res->prehash, src.op.info.id, id, err);
	if (rc)
		goto out;
	if (rl.failed) {
		rc = xp_err_set(err, XP_EFAIL, "%s: pipe: %s", path, strerror(rl.failed));
		goto out;
	}
	res->bytes = rl.bytes;
	is_dump = xp_dump_tap_result(rl.tap, &brief) || res->dump;
	if (wrc == 0) {
		res->dump = 1;
	} else if (is_dump) { /* a dump stream whose content does not match its SUMMARY */
		*err = werr;
		xp_err_prefix(err, "%s", path);
		rc = werr.code == XP_EINTEGRITY || werr.code == XP_ENOMEM ? werr.code
		                                                          : XP_EINTEGRITY;
	} else { /* not a dump: the authenticated decryption to its FINAL chunk was the check */
		tables_free(res);
	}
out:
	if (rc)
		tables_free(res);
	xp_dump_tap_free(rl.tap);
	free(rl.buf);
	free(sig);
	return rc;
}

void xp_verify_drill_prefix(const char *id, char buf[18])
{
	memcpy(buf, "xpdrill_", 8);
	memcpy(buf + 8, id, 8);
	buf[16] = '_';
	buf[17] = '\0';
}

/* The scratch name of table i; malloc'd. */
static char *scratch_name(const char *prefix, const char *table)
{
	char *s = xp_asprintf("%s%s", prefix, table);

	for (char *p = s; p && *p; p++)
		if (*p == '.')
			*p = '_';
	return s;
}

/* Reads the scratch table back and compares it with what the stream holds to restore. */
static int compare_table(struct xp_odbc *c, const char *name, const struct xp_verify_table *want,
                         struct xp_err *err)
{
	struct xp_column *cols = NULL;
	struct xp_odbc_cursor *cur = NULL;
	const struct xp_field *row;
	struct xp_window w = {0};
	uint8_t acc[32] = {0};
	uint64_t rows = 0;
	size_t n = 0;
	int rc;

	rc = xp_odbc_describe(c, name, &cols, &n, err);
	if (!rc)
		rc = xp_odbc_select(c, name, cols, n, &w, &cur, err);
	while (!rc && (rc = xp_odbc_fetch(cur, &row, err)) == 1) {
		if (add_row(acc, row, n) != 0) {
			rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
			goto out;
		}
		rows++;
		rc = 0;
	}
	if (rc)
		goto out;
	if (rows != want->kept)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: %llu rows read back, the backup holds %llu to restore",
		                want->name, (unsigned long long)rows,
		                (unsigned long long)want->kept);
	else if (sodium_memcmp(acc, want->kept_digest, sizeof acc) != 0)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: the rows read back differ from the backup's content",
		                want->name);
out:
	xp_odbc_cursor_free(cur);
	xp_columns_free(cols, n);
	return rc;
}

/* Thread: copies the dump stream on in to out through the ledger, then closes out. */
struct filter {
	const struct xp_erase_ledger *l;
	uint8_t *key; /* secret memory (owned) */
	int in, out, rc;
	struct xp_erase_counts c;
	struct xp_err err;
};

static void *filter_main(void *arg)
{
	struct filter *f = arg;

	f->rc = xp_erase_filter(f->l, f->key, f->in, f->out, "the drill's stream", &f->c, &f->err);
	close(f->out);
	return NULL;
}

/* Drops the scratch tables (IF EXISTS: a failed load leaves none); the first failure goes
 * into err unless err already holds one. */
static int drop_all(struct xp_odbc *c, char **names, size_t n, int rc, struct xp_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char *q = xp_odbc_quote(c, names[i]);
		char *sql = q ? xp_asprintf("DROP TABLE IF EXISTS %s", q) : NULL;
		struct xp_err e = {0, ""};
		int r = sql ? xp_odbc_exec(c, sql, &e) : xp_err_set(&e, XP_ENOMEM, "out of memory");

		if (r && !rc) {
			*err = e;
			xp_err_prefix(err, "dropping %s", names[i]);
			rc = r;
		}
		free(sql);
		free(q);
	}
	return rc;
}

int xp_verify_drill(const struct xp_verify_keys *k, const char *path, const char *connstr,
                    const char *prefix, const struct xp_verify_result *deep, struct xp_err *err)
{
	struct xp_odbc c = {0};
	struct xp_load_opts lo = {.connstr = connstr, .create = 1, .prefix = prefix};
	struct xp_load_stats ls;
	struct xp_err lerr = {0, ""};
	struct source src;
	char **names = calloc(deep->ntables ? deep->ntables : 1, sizeof *names);
	uint8_t again[XP_SIGN_HASH_LEN];
	struct filter f = {.l = k->ledger, .in = -1, .out = -1};
	pthread_t fth;
	size_t created = 0;
	int rc, rfd, lfd, p[2];

	if (!names) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((f.key = ledger_key(k, &rc, err)) == NULL && rc)
		goto out;
	rc = xp_odbc_connect(&c, connstr, err);
	for (size_t i = 0; !rc && i < deep->ntables; i++) {
		struct xp_column *cols = NULL;
		struct xp_err e = {0, ""};
		size_t n = 0;

		names[i] = scratch_name(prefix, deep->tables[i].name);
		if (!names[i]) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		} else if (xp_odbc_describe(&c, names[i], &cols, &n, &e) == 0) {
			xp_columns_free(cols, n);
			rc = xp_err_set(err, XP_EFAIL, "%s: scratch table already exists",
			                names[i]);
		}
	}
	if (rc)
		goto out;
	/* from here on the scratch names are ours to drop */
	created = deep->ntables;
	if (!deep->has_fd) {
		rc = xp_err_set(err, XP_EUSAGE, "%s: no deep check to drill from", path);
		goto out;
	}
	rc = source_start(&src, k, deep->fd, path, &rfd, err);
	if (rc)
		goto out;
	lfd = rfd;
	/* through the ledger, as a restore: a thread filters between the opener and the loader */
	if (f.key && xp_os_pipe(p) == 0) {
		f.in = rfd;
		f.out = p[1];
		lfd = p[0];
		if (pthread_create(&fth, NULL, filter_main, &f) != 0) {
			close(p[0]);
			close(p[1]);
			lfd = -1;
		}
	} else if (f.key) {
		lfd = -1;
	}
	rc = lfd >= 0 ? xp_load_run(&lo, lfd, &ls, &lerr)
	              : xp_err_set(&lerr, XP_EFAIL, "cannot start the ledger's filter");
	if (lfd >= 0 && lfd != rfd) {
		drain(lfd);
		close(lfd);
		pthread_join(fth, NULL);
	}
	if (source_finish(&src, rfd, path, again, err) != 0) {
		rc = err->code;
		goto out;
	}
	/* The same descriptor, read again: its bytes must be those the deep check verified. */
	if (sodium_memcmp(again, deep->prehash, sizeof again) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: changed since its deep check (not the bytes its signature "
		                "covers)",
		                path);
		goto out;
	}
	if (f.key && lfd >= 0 && f.rc) {
		*err = f.err;
		rc = f.rc;
		goto out;
	}
	if (rc) {
		*err = lerr;
		goto out;
	}
	for (size_t i = 0; !rc && i < deep->ntables; i++)
		rc = compare_table(&c, names[i], &deep->tables[i], err);
out:
	rc = drop_all(&c, names, created, rc, err);
	xp_odbc_close(&c);
	xp_erase_counts_free(&f.c);
	xp_secret_free(f.key);
	for (size_t i = 0; names && i < deep->ntables; i++)
		free(names[i]);
	free(names);
	return rc;
}
