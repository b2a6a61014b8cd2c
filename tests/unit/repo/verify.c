/* Deep checks of sealed files: dump and other payloads, the order-independent table digest,
 * damage and a wrong key. */
#include "config.h"

#include "stream/dump.h"
#include "repo/keys.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "repo/verify.h"

#include "../tap.h"
#include "../rmtree.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/str.h"
#include "base/os.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sql.h>
#include <sqlext.h>

#define NROWS 1000

static char dir[] = "/tmp/xp-verify-XXXXXX";
static uint8_t pk[32], key_id[XP_KEYS_ID_LEN];
static struct xp_signkey *signer;

static char *path_of(const char *name)
{
	return xp_asprintf("%s/%s", dir, name);
}

/* Writes a one-table dump of NROWS rows to name: in reverse order when reverse, with row 500
 * changed when changed. */
static int write_dump(const char *name, int reverse, int changed)
{
	struct xp_manifest m = {0};
	struct xp_column cols[2] = {{"id", SQL_INTEGER, "int4", 10, 0, 0},
	                            {"msg", SQL_VARCHAR, "text", 64, 0, 1}};
	struct xp_dump_table t = {.name = "t", .cols = cols, .ncols = 2, .time_col = -1};
	struct xp_dump_writer *w = NULL;
	struct xp_err err;
	char *path = path_of(name), id[16], msg[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	m = (struct xp_manifest){.version = XP_DUMP_VERSION,
	                         .source = "test",
	                         .dbms = "SQLite",
	                         .isolation = "serializable",
	                         .tables = &t,
	                         .ntables = 1};
	rc = xp_dump_writer_open(&w, fd, "test", &m, 1024, &err);
	for (int k = 0; !rc && k < NROWS; k++) {
		int i = reverse ? NROWS - 1 - k : k;
		struct xp_field f[2] = {{id, 0, 0}, {msg, 0, i % 10 == 3}};

		f[0].len = (size_t)snprintf(id, sizeof id, "%d", i);
		f[1].len = (size_t)snprintf(msg, sizeof msg, "row %d%s", i,
		                            changed && i == 500 ? "!" : "");
		rc = xp_dump_writer_row(w, 0, f, &err);
	}
	if (!rc)
		rc = xp_dump_writer_finish(w, &err);
	if (rc)
		printf("# %s\n", err.msg);
	xp_dump_writer_free(w);
	close(fd);
	free(path);
	return rc;
}

/* Seals file in into file out and signs it as xpseal does (out.minisig). */
static int seal(const char *in, const char *out)
{
	struct xp_seal_params p;
	struct xp_seal_info info;
	struct xp_err err;
	char *pi = path_of(in), *po = path_of(out), *ps = xp_asprintf("%s.minisig", po);
	char *data = NULL, *sig = NULL, *comment = NULL;
	int ifd = open(pi, O_RDONLY), ofd = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;
	size_t len = 0;

	xp_seal_params_init(&p, pk, key_id);
	p.workers = 0;
	p.chunk_size = 4096;
	rc = xp_seal_stream(ifd, ofd, &p, &info, &err);
	close(ifd);
	close(ofd);
	comment = xp_asprintf("timestamp:1\tfile:%s.xps", info.id);
	if (rc == 0)
		rc = xp_file_read(po, 1 << 24, &data, &len, &err);
	if (rc == 0)
		rc = xp_sign_buffer(signer, data, len, comment, &sig, &err);
	if (rc == 0)
		rc = xp_file_write_atomic(ps, sig, strlen(sig), 0600, &err);
	if (rc)
		printf("# %s\n", err.msg);
	free(data);
	free(sig);
	free(comment);
	free(pi);
	free(po);
	free(ps);
	return rc;
}

/* dir/from copied over dir/to; 0 or an XP_E code. */
static int copy(const char *from, const char *to, struct xp_err *err)
{
	char *src = path_of(from), *dst = path_of(to), *buf = NULL;
	size_t len = 0;
	int rc = xp_file_read(src, 1 << 20, &buf, &len, err);

	if (rc == 0)
		rc = xp_file_write_atomic(dst, buf, len, 0600, err);
	free(buf);
	free(src);
	free(dst);
	return rc;
}

static int deep(const struct xp_verify_keys *k, const char *name, struct xp_verify_result *res,
                struct xp_err *err)
{
	char *path = path_of(name);
	int rc = xp_verify_deep(k, path, NULL, res, err);

	free(path);
	return rc;
}

int main(void)
{
	struct xp_verify_keys k = {0}, wrong = {0};
	struct xp_verify_result a, b, c, n;
	struct xp_err err;
	uint8_t junk[5000];
	char prefix[18], *p;
	int rc;

	if (sodium_init() < 0 || !xp_os_mkdtemp(dir))
		return 1;
	k.sk = xp_secret_alloc(32);
	wrong.sk = xp_secret_alloc(32);
	if (!k.sk || !wrong.sk || crypto_box_keypair(pk, k.sk) != 0 ||
	    crypto_box_keypair(wrong.pk, wrong.sk) != 0)
		return 1;
	xp_keys_id(pk, key_id);
	p = path_of("signer.key");
	rc = xp_sign_create_key(p, &signer, &err);
	free(p);
	if (rc)
		return 1;
	xp_sign_pub_of(signer, &k.signer);
	wrong.signer = k.signer;
	memcpy(k.pk, pk, 32);
	memcpy(k.key_id, key_id, sizeof key_id);
	memcpy(wrong.pk, pk, 32); /* the right public key, another secret */
	memcpy(wrong.key_id, key_id, sizeof key_id);
	randombytes_buf(junk, sizeof junk);
	p = path_of("junk");
	rc = xp_file_write_atomic(p, junk, sizeof junk, 0600, &err);
	free(p);
	if (rc || write_dump("a", 0, 0) || write_dump("b", 1, 0) || write_dump("c", 0, 1) ||
	    seal("a", "a.xps") || seal("b", "b.xps") || seal("c", "c.xps") || seal("junk", "n.xps"))
		return 1;

	rc = deep(&k, "a.xps", &a, &err);
	ok(rc == 0 && a.dump && a.ntables == 1 && strcmp(a.tables[0].name, "t") == 0 &&
	           a.rows == NROWS && a.tables[0].rows == NROWS,
	   "a dump passes with its table and rows");
	if (rc)
		printf("# %s\n", err.msg);
	deep(&k, "b.xps", &b, &err);
	deep(&k, "c.xps", &c, &err);
	ok(b.ntables == 1 && memcmp(a.tables[0].digest, b.tables[0].digest, 32) == 0,
	   "the table digest does not depend on row order");
	ok(c.ntables == 1 && memcmp(a.tables[0].digest, c.tables[0].digest, 32) != 0,
	   "one changed row changes it");
	rc = deep(&k, "n.xps", &n, &err);
	ok(rc == 0 && !n.dump && n.bytes == sizeof junk && n.ntables == 0,
	   "another payload passes on its decryption, counted in bytes");

	xp_verify_result_free(&n);
	rc = deep(&wrong, "a.xps", &n, &err);
	is_int(xp_exit_status(rc), XP_EXIT_INTEGRITY, "another secret key is an integrity failure");
	p = path_of("a.xps");
	if (truncate(p, 3000) != 0)
		return 1;
	free(p);
	xp_verify_result_free(&n);
	rc = deep(&k, "a.xps", &n, &err);
	is_int(rc, XP_EINTEGRITY, "a truncated file is an integrity failure");
	ok(strncmp(err.msg, dir, strlen(dir)) == 0, "its message starts with the path: %s",
	   err.msg);
	xp_verify_result_free(&n);
	is_int(deep(&k, "none.xps", &n, &err), XP_ENOENT, "a missing file is XP_ENOENT");

	/* b's file and signature moved under a's name (a.xps was truncated above) */
	xp_verify_result_free(&n);
	xp_verify_result_close(&a); /* a holds a.xps open: wine renames over no open file */
	rc = copy("b.xps", "a.xps", &err);
	if (rc == 0)
		rc = copy("b.xps.minisig", "a.xps.minisig", &err);
	if (rc == 0)
		rc = deep(&k, "a.xps", &n, &err);
	ok(rc == 0, "a backup checked under no id passes under its own");
	if (rc != 0)
		printf("# %s\n", err.msg);
	xp_verify_result_free(&n);
	p = path_of("a.xps");
	rc = xp_verify_deep(&k, p, "0123456789abcdef0123456789abcdef", &n, &err);
	free(p);
	is_int(rc, XP_EINTEGRITY, "under another id it is an integrity failure: %s", err.msg);
	xp_verify_result_free(&n);

	xp_verify_drill_prefix("0123456789abcdef0123456789abcdef", prefix);
	is_str(prefix, "xpdrill_01234567_", "the scratch prefix");

	xp_verify_result_free(&a);
	xp_verify_result_free(&b);
	xp_verify_result_free(&c);
	xp_verify_result_free(&n);
	xp_secret_free(k.sk);
	xp_secret_free(wrong.sk);
	xp_sign_free_key(signer);
	if (rm_tree(dir) < 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
