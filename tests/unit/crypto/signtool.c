/* Test helper for the shell tests: makes signing keys and signatures, checks signatures.
 *   signtool keygen SECRET PUBLIC
 *   signtool sign SECRET FILE [TRUSTED-COMMENT]     writes FILE.minisig
 *   signtool verify FILE SIGNATURE PUBLIC */
#include "config.h"

#include "cli/cli.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

static int keygen(const char *secret, const char *public, struct xp_err *err)
{
	struct xp_signkey *k = NULL;
	char *text = NULL;
	int rc;

	rc = xp_sign_create_key(secret, &k, err);
	if (rc == 0)
		rc = xp_sign_public_text(k, &text, err);
	if (rc == 0)
		rc = xp_file_write_atomic(public, text, strlen(text), 0644, err);
	free(text);
	xp_sign_free_key(k);
	return rc;
}

static int sign(const char *secret, const char *file, const char *comment, struct xp_err *err)
{
	struct xp_signkey *k = NULL;
	char *data = NULL, *sig = NULL, *sigpath = NULL;
	size_t len;
	int rc;

	rc = xp_sign_load_key(secret, &k, err);
	if (rc == 0)
		rc = xp_file_read(file, 64 << 20, &data, &len, err);
	if (rc == 0)
		rc = xp_sign_buffer(k, data, len, comment, &sig, err);
	if (rc == 0 && !(sigpath = xp_asprintf("%s.minisig", file)))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0)
		rc = xp_file_write_atomic(sigpath, sig, strlen(sig), 0644, err);
	free(sigpath);
	free(sig);
	free(data);
	xp_sign_free_key(k);
	return rc;
}

int main(int argc, char **argv)
{
	struct xp_err err = {0, ""};
	int rc;

	xp_progname = "signtool";
	if (argc == 4 && strcmp(argv[1], "keygen") == 0)
		rc = keygen(argv[2], argv[3], &err);
	else if ((argc == 4 || argc == 5) && strcmp(argv[1], "sign") == 0)
		rc = sign(argv[2], argv[3], argc == 5 ? argv[4] : NULL, &err);
	else if (argc == 5 && strcmp(argv[1], "verify") == 0)
		rc = xp_sign_verify_file(argv[2], argv[3], argv[4], &err);
	else
		return xp_usage_error("usage: signtool keygen|sign|verify ...");
	return rc ? xp_fail(&err) : 0;
}
