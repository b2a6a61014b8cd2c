/* A signature file's text (minisign's format) checked against a fixed message: with the
 * fixed key, or, when the input holds a form feed, with the public key file made of the text
 * after it. */
#include "config.h"

#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/sign.h"
#include "base/afile.h"
#include "base/os.h"

static char dir[64], fixed[96], given[96];

static void clean(void)
{
	unlink(fixed);
	unlink(given);
	rmdir(dir);
}

/* A directory with a public key file for the checks, made once. */
static void setup(void)
{
	struct xp_signkey *k = NULL;
	char secret[96], *text = NULL;

	if (dir[0])
		return;
	snprintf(dir, sizeof dir, "%s/xpfuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!xp_os_mkdtemp(dir))
		abort();
	snprintf(secret, sizeof secret, "%s/key", dir);
	snprintf(fixed, sizeof fixed, "%s/fixed.pub", dir);
	snprintf(given, sizeof given, "%s/given.pub", dir);
	atexit(clean);
	if (xp_sign_create_key(secret, &k, NULL) || xp_sign_public_text(k, &text, NULL) ||
	    xp_file_write_atomic(fixed, text, strlen(text), 0600, NULL))
		abort();
	unlink(secret);
	xp_sign_free_key(k);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *ff = memchr(data, '\f', size);
	size_t slen = ff ? (size_t)(ff - data) : size;
	char *sig = malloc(slen + 1);
	const char *key = fixed;

	setup();
	if (!sig)
		abort();
	memcpy(sig, data, slen);
	sig[slen] = '\0';
	if (ff) {
		if (xp_file_write_atomic(given, ff + 1, size - slen - 1, 0600, NULL))
			abort();
		key = given;
	}
	xp_sign_verify_buffer("message", 7, sig, key, NULL);
	free(sig);
	return 0;
}
