#include "config.h"

#include "crypto/sign.h"
#include "base/os.h"
#include "base/err.h"
#include "base/afile.h"
#include "base/str.h"

#include "../acl.h"
#include "../tap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/xpsign.XXXXXX";
static char *keypath, *pubpath, *otherpub;

static char *path_of(const char *name)
{
	return xp_asprintf("%s/%s", dir, name);
}

static void put(const char *path, const void *buf, size_t len)
{
	if (xp_file_write_atomic(path, buf, len, 0644, NULL) != 0)
		abort();
}

/* Makes a key pair: secret at keypath, public text written to pub. */
static struct xp_signkey *make_key(const char *secret, const char *pub)
{
	struct xp_signkey *k = NULL;
	char *text = NULL;

	if (xp_sign_create_key(secret, &k, NULL) != 0 || xp_sign_public_text(k, &text, NULL) != 0)
		abort();
	put(pub, text, strlen(text));
	free(text);
	return k;
}

static void keys(void)
{
	struct xp_signkey *k = NULL, *k2 = NULL;
	uint8_t id1[XP_SIGN_KEYID_LEN], id2[XP_SIGN_KEYID_LEN];
	struct xp_err err;
	char *msg;

	k = make_key(keypath, pubpath);
	ok(is_private(keypath), "secret key file is 0600, its owner's alone");
	is_int(xp_sign_load_key(keypath, &k2, &err), 0, "secret key loads back");
	xp_sign_key_id(k, id1);
	if (k2)
		xp_sign_key_id(k2, id2);
	ok(k2 && memcmp(id1, id2, sizeof id1) == 0, "loaded key has the same id");
	is_int(xp_sign_key_matches(k2, pubpath, &err), 0, "key matches its public key file");
	xp_sign_free_key(k2);
	k2 = NULL;

	is_int(xp_sign_create_key(keypath, &k2, &err), XP_EFAIL, "create refuses an existing file");
	msg = xp_asprintf("%s: already exists", keypath);
	is_str(err.msg, msg, "create refusal message");
	free(msg);

	is_int(loosen(keypath), 0, "the key made readable by others");
	is_int(xp_sign_load_key(keypath, &k2, &err), XP_EFAIL, "a key others may read is refused");
	msg = xp_asprintf("%s: " LOOSE_MSG, keypath);
	is_str(err.msg, msg, "loose mode message");
	free(msg);
	is_int(tighten(keypath), 0, "and made private again");

	msg = path_of("missing.key");
	is_int(xp_sign_load_key(msg, &k2, &err), XP_ENOENT, "missing key is XP_ENOENT");
	ok(k2 == NULL, "no key returned on error");
	free(msg);

	msg = path_of("other.key");
	k2 = make_key(msg, otherpub);
	free(msg);
	is_int(xp_sign_key_matches(k2, pubpath, &err), XP_EINTEGRITY,
	       "another key does not match the public key file");
	xp_sign_free_key(k2);
	xp_sign_free_key(k);
}

/* Counts the single-bit changes of sigtext's signed lines that verification rejects. */
static void flips(const struct xp_signkey *k)
{
	const char data[] = "the data";
	char *sig = NULL;
	size_t start, n, rejected = 0;
	struct xp_err err;

	xp_sign_buffer(k, data, sizeof data, "comment", &sig, &err);
	start = (size_t)(strchr(sig, '\n') + 1 - sig); /* the untrusted comment is not signed */
	n = strlen(sig);
	for (size_t i = start; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			sig[i] ^= (char)(1 << bit);
			if (xp_sign_verify_buffer(data, sizeof data, sig, pubpath, &err) ==
			    XP_EINTEGRITY)
				rejected++;
			else
				printf("# accepted: byte %zu bit %d\n", i, bit);
			sig[i] ^= (char)(1 << bit);
		}
	}
	is_int((int64_t)rejected, (int64_t)(8 * (n - start)),
	       "every bit flip in the signature's %zu signed bytes is rejected", n - start);
	is_int(xp_sign_verify_buffer(data, sizeof data, sig, pubpath, &err), 0,
	       "the unflipped signature still verifies");
	free(sig);
}

static void buffers(void)
{
	struct xp_signkey *k = NULL, *other = NULL;
	const char data[] = "audit log backup";
	char *sig = NULL, *sig2 = NULL, *edited, *p, *opath = path_of("other.key");
	struct xp_sign_state s;
	struct xp_err err;

	if (xp_sign_load_key(keypath, &k, NULL) != 0 || xp_sign_load_key(opath, &other, NULL) != 0)
		abort();
	free(opath);
	is_int(xp_sign_buffer(k, data, strlen(data), "timestamp:1\tfile:x.xps", &sig, &err), 0,
	       "sign a buffer");
	ok(strncmp(sig, "untrusted comment: signature from xpbackup secret key\nRUR", 56) == 0,
	   "signature starts with minisign's comment and the ED algorithm");
	ok(strstr(sig, "\ntrusted comment: timestamp:1\tfile:x.xps\n") != NULL,
	   "trusted comment line");
	is_int(xp_sign_verify_buffer(data, strlen(data), sig, pubpath, &err), 0, "verify a buffer");

	xp_sign_init(&s);
	for (size_t i = 0; i < strlen(data); i += 3)
		xp_sign_update(&s, data + i, strlen(data) - i < 3 ? strlen(data) - i : 3);
	is_int(xp_sign_final(&s, k, "timestamp:1\tfile:x.xps", &sig2, &err), 0, "streaming sign");
	is_str(sig2, sig, "streaming signature equals the one-shot signature");
	free(sig2);

	is_int(xp_sign_verify_buffer("audit log backuq", strlen(data), sig, pubpath, &err),
	       XP_EINTEGRITY, "changed data is rejected");
	is_str(err.msg, "bad signature", "changed data message");
	is_int(xp_sign_verify_buffer(data, strlen(data) - 1, sig, pubpath, &err), XP_EINTEGRITY,
	       "truncated data is rejected");

	edited = strdup(sig);
	p = strstr(edited, "file:x.xps");
	p[5] = 'y';
	is_int(xp_sign_verify_buffer(data, strlen(data), edited, pubpath, &err), XP_EINTEGRITY,
	       "edited trusted comment is rejected");
	is_str(err.msg, "trusted comment altered", "edited trusted comment message");
	free(edited);

	is_int(xp_sign_verify_buffer(data, strlen(data), sig, otherpub, &err), XP_EINTEGRITY,
	       "another public key is rejected");
	ok(strncmp(err.msg, "signature made by another key (key id ", 38) == 0,
	   "another key message: %s", err.msg);

	is_int(xp_sign_verify_buffer(data, strlen(data), "garbage\n", pubpath, &err), XP_EINTEGRITY,
	       "garbage signature is rejected");
	is_str(err.msg, "malformed signature file", "garbage message");
	is_int(xp_sign_verify_buffer(data, strlen(data), "", pubpath, &err), XP_EINTEGRITY,
	       "empty signature is rejected");

	is_int(xp_sign_buffer(k, data, 1, "two\nlines", &sig2, &err), XP_EUSAGE,
	       "a two-line trusted comment is refused");
	is_int(xp_sign_buffer(k, data, 1, NULL, &sig2, &err), 0, "default trusted comment");
	ok(sig2 && strstr(sig2, "\ntrusted comment: timestamp:") != NULL,
	   "default trusted comment is a timestamp");
	free(sig2);

	flips(k);
	free(sig);
	xp_sign_free_key(other);
	xp_sign_free_key(k);
}

static void files(void)
{
	struct xp_signkey *k = NULL;
	char *data = path_of("big.xps"), *sigpath = path_of("big.xps.minisig"), *sig = NULL;
	char *missing = path_of("missing"), *msg;
	size_t n = 3 * 256 * 1024 + 7;
	unsigned char *buf = malloc(n);
	struct xp_err err;

	if (xp_sign_load_key(keypath, &k, NULL) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	put(data, buf, n);
	is_int(xp_sign_buffer(k, buf, n, "big", &sig, &err), 0, "sign a big buffer");
	put(sigpath, sig, strlen(sig));
	is_int(xp_sign_verify_file(data, sigpath, pubpath, &err), 0,
	       "verify a file larger than the read buffer");

	buf[n - 1] ^= 0x80;
	put(data, buf, n);
	is_int(xp_sign_verify_file(data, sigpath, pubpath, &err), XP_EINTEGRITY,
	       "last byte flipped is rejected");
	msg = xp_asprintf("%s: bad signature", data);
	is_str(err.msg, msg, "file message names the file");
	free(msg);

	is_int(xp_sign_verify_file(missing, sigpath, pubpath, &err), XP_ENOENT,
	       "missing data file is XP_ENOENT");
	is_int(xp_sign_verify_file(data, missing, pubpath, &err), XP_ENOENT,
	       "missing signature is XP_ENOENT");
	is_int(xp_sign_verify_file(data, sigpath, missing, &err), XP_ENOENT,
	       "missing public key is XP_ENOENT");
	put(sigpath, "nonsense\n", 9);
	is_int(xp_sign_verify_file(data, sigpath, pubpath, &err), XP_EINTEGRITY,
	       "malformed signature file is XP_EINTEGRITY");
	msg = xp_asprintf("%s: malformed signature file", sigpath);
	is_str(err.msg, msg, "malformed message names the signature file");
	free(msg);

	free(sig);
	free(missing);
	free(sigpath);
	free(data);
	free(buf);
	xp_sign_free_key(k);
}

int main(void)
{
	struct dirent *e;
	DIR *d;

	if (!xp_os_mkdtemp(dir))
		return 1;
	umask(022);
	keypath = path_of("signer.key");
	pubpath = path_of("signer.pub");
	otherpub = path_of("other.pub");
	keys();
	buffers();
	files();
	if ((d = opendir(dir))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				char *p = path_of(e->d_name);

				unlink(p);
				free(p);
			}
		closedir(d);
	}
	if (rmdir(dir) != 0)
		ok(0, "cleanup");
	free(otherpub);
	free(pubpath);
	free(keypath);
	return done_testing();
}
