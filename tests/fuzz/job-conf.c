/* The job's configuration file (src/xpbackup-job/conf.c): parsed and checked as the job reads
 * it, from bytes anyone able to write the file could choose. The properties checked: a
 * failure is one message naming the file; a configuration that passes holds no key twice,
 * no value with a line end, a repository, a mode of the two, and the keys that mode needs. */
#include "config.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job_conf c = {0};
	struct xp_err err = {0};
	int rc;

	rc = job_conf_parse(&c, "f.conf", (const char *)data, size, &err);
	if (rc == 0)
		rc = job_conf_check(&c, "f.conf", NULL, &err);
	if (rc != 0 && (rc != XP_EUSAGE || strncmp(err.msg, "f.conf", 6) != 0))
		abort();
	for (int k = 0; rc == 0 && k < K_COUNT; k++) {
		if (c.v[k] && strpbrk(c.v[k], "\n"))
			abort();
		if (c.line[k] && !c.v[k])
			abort();
	}
	if (rc == 0) {
		const char *mode = job_conf_get(&c, K_MODE);

		if (!job_conf_get(&c, K_REPO) || !job_conf_get(&c, K_TABLES) ||
		    !job_conf_get(&c, K_LOCK) || !job_conf_get(&c, K_WORK_DIR) || !mode)
			abort();
		if (strcmp(mode, "full") != 0 && strcmp(mode, "partitioned") != 0)
			abort();
		if (c.partitioned != (strcmp(mode, "partitioned") == 0))
			abort();
		if (c.partitioned &&
		    (!job_conf_get(&c, K_MAX_AGE) || !job_conf_get(&c, K_SOURCE) ||
		     !job_conf_get(&c, K_GRACE) || !job_conf_get(&c, K_PARTITION_MAX)))
			abort();
		if (!!job_conf_get(&c, K_DSN) == !!job_conf_get(&c, K_DSN_FILE))
			abort();
	}
	job_conf_free(&c);
	return 0;
}
