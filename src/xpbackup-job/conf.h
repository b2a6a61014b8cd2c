/* The job's configuration: KEY=value lines, read as data and never executed, each key known
 * and set at most once, then checked whole (xpbackup-job(8) "Configuration"). Pure: text in,
 * values or one message out (XP_EUSAGE, "NAME:LINE: why" or "NAME: why"); no I/O, so that the
 * parser can be fuzzed (tests/fuzz/job-conf.c). */
#ifndef XP_JOB_CONF_H
#define XP_JOB_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum job_key {
	K_REPO,
	K_DSN,
	K_DSN_FILE,
	K_TABLES,
	K_TIME_COLUMN,
	K_SOURCE,
	K_SIGNING_KEY,
	K_PASSWORD_FILE,
	K_KEEP_LAST,
	K_KEEP_WITHIN,
	K_KEEP_DAILY,
	K_KEEP_WEEKLY,
	K_KEEP_MONTHLY,
	K_KEEP_YEARLY,
	K_MAX_AGE,
	K_SHREDDABLE,
	K_LOCK,
	K_LOCK_WAIT,
	K_WORK_DIR,
	K_SYSLOG,
	K_MODE,
	K_GRACE,
	K_FULL_EVERY,
	K_PARTITION_MAX,
	K_LEVEL,
	K_COPY_TO,
	K_VAULT_COPIES,
	K_MIN_ROWS,
	K_COUNT
};

/* The key names, in enum order. */
extern const char *const job_key_names[K_COUNT];

struct job_conf {
	char *v[K_COUNT];     /* each value (owned), NULL when not set; defaults after check */
	size_t line[K_COUNT]; /* the line that set it, 0 for none */
	int partitioned;      /* MODE=partitioned (after check) */
	uint64_t lock_wait;   /* LOCK_WAIT in seconds (after check) */
};

/* Parses text (len bytes; NUL bytes are dropped, as the shell's read drops them) into *c,
 * which the caller zeroed; name is the file's, for messages. On failure *c holds what was
 * read before the bad line; job_conf_free frees it either way. */
int job_conf_parse(struct job_conf *c, const char *name, const char *text, size_t len,
                   struct xp_err *err);
/* Checks the values together (required keys, numbers, durations, modes) and fills in the
 * defaults: MODE full, GRACE 5m and PARTITION_MAX 1d when partitioned, LOCK REPO's
 * .xpbackup-job.lock, LOCK_WAIT 0, WORK_DIR tmpdir (or xp_os_work_dir, /var/tmp or on
 * Windows %ProgramData%/xpbackup, when tmpdir is NULL or empty). */
int job_conf_check(struct job_conf *c, const char *name, const char *tmpdir, struct xp_err *err);
/* The value of k when set and not empty, else NULL. */
const char *job_conf_get(const struct job_conf *c, enum job_key k);
/* Whether steps go to syslog: SYSLOG not set, empty or yes. */
int job_conf_syslog(const struct job_conf *c);
void job_conf_free(struct job_conf *c);

#endif
