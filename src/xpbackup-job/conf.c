/* The job's configuration file, parsed and checked (conf.h). */
#include "config.h"

#include "conf.h"

#include <stdlib.h>
#include <string.h>

#include "base/os.h"
#include "base/str.h"

/* clang-format off */
const char *const job_key_names[K_COUNT] = {
	"REPO", "DSN", "DSN_FILE", "TABLES", "TIME_COLUMN", "SOURCE", "SIGNING_KEY",
	"PASSWORD_FILE", "KEEP_LAST", "KEEP_WITHIN", "KEEP_DAILY", "KEEP_WEEKLY", "KEEP_MONTHLY",
	"KEEP_YEARLY", "MAX_AGE", "SHREDDABLE", "LOCK", "LOCK_WAIT", "WORK_DIR", "SYSLOG", "MODE",
	"GRACE", "FULL_EVERY", "PARTITION_MAX", "LEVEL", "COPY_TO", "VAULT_COPIES", "MIN_ROWS",
};
/* clang-format on */

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The key named by s (n bytes), or K_COUNT. */
static enum job_key key_of(const char *s, size_t n)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strlen(job_key_names[k]) == n && memcmp(job_key_names[k], s, n) == 0)
			return (enum job_key)k;
	return K_COUNT;
}

/* One line (NUL-terminated, its line end gone), number n. */
static int parse_line(struct job_conf *c, const char *name, char *line, size_t n,
                      struct xp_err *err)
{
	size_t len = strlen(line);
	char *eq, *val;
	enum job_key k;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	while (blank(*line))
		line++, len--;
	if (!*line || *line == '#')
		return 0;
	if (!(*line >= 'A' && *line <= 'Z') || !(eq = strchr(line, '=')))
		return xp_err_set(err, XP_EUSAGE, "%s:%zu: expected KEY=value", name, n);
	if ((k = key_of(line, (size_t)(eq - line))) == K_COUNT)
		return xp_err_set(err, XP_EUSAGE, "%s:%zu: unknown key %.*s", name, n,
		                  (int)(eq - line), line);
	if (c->line[k])
		return xp_err_set(err, XP_EUSAGE, "%s:%zu: %s set again (first on line %zu)", name,
		                  n, job_key_names[k], c->line[k]);
	c->line[k] = n;
	val = eq + 1;
	len = strlen(val);
	while (len && blank(val[len - 1]))
		val[--len] = '\0';
	/* one pair of quotes around the whole value is removed; quotes, $ and ` elsewhere are
	 * refused, so that no value means one thing here and another to a shell */
	if (len >= 2 && (val[0] == '"' || val[0] == '\'') && val[len - 1] == val[0]) {
		val[len - 1] = '\0';
		val++;
	} else if (strpbrk(val, "\"'`$")) {
		return xp_err_set(err, XP_EUSAGE,
		                  "%s:%zu: %s: quote the whole value or leave quotes, $ and ` out",
		                  name, n, job_key_names[k]);
	}
	if (!(c->v[k] = strdup(val)))
		return xp_err_set(err, XP_ENOMEM, "%s: out of memory", name);
	return 0;
}

int job_conf_parse(struct job_conf *c, const char *name, const char *text, size_t len,
                   struct xp_err *err)
{
	char *line = malloc(len + 1);
	size_t at = 0, n = 0;
	int rc = 0;

	if (!line) {
		rc = xp_err_set(err, XP_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	while (at < len) {
		size_t m = 0;

		while (at < len && text[at] != '\n') {
			if (text[at])
				line[m++] = text[at];
			at++;
		}
		line[m] = '\0';
		at++; /* past the '\n', or the end */
		if ((rc = parse_line(c, name, line, ++n, err)) != 0)
			goto out;
	}
out:
	free(line);
	return rc;
}

const char *job_conf_get(const struct job_conf *c, enum job_key k)
{
	return c->v[k] && *c->v[k] ? c->v[k] : NULL;
}

int job_conf_syslog(const struct job_conf *c)
{
	const char *v = job_conf_get(c, K_SYSLOG);

	return !v || strcmp(v, "yes") == 0;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!digit(*s))
			return 0;
	return 1;
}

/* ^([0-9]+[smhdwy])+$, and with zero_only ^(0+[smhdwy])+$ */
static int duration_text(const char *s, int zero_only)
{
	if (!*s)
		return 0;
	while (*s) {
		const char *d = s;

		while (digit(*s) && (!zero_only || *s == '0'))
			s++;
		if (s == d || !*s || !strchr("smhdwy", *s))
			return 0;
		s++;
	}
	return 1;
}

/* Sets k to value when it is not set or empty. */
static int fill(struct job_conf *c, enum job_key k, const char *value, struct xp_err *err)
{
	char *v;

	if (job_conf_get(c, k))
		return 0;
	if (!(v = strdup(value)))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	free(c->v[k]);
	c->v[k] = v;
	return 0;
}

/* The checks of single values. */
static int check_values(struct job_conf *c, const char *name, struct xp_err *err)
{
	static const enum job_key counts[] = {K_KEEP_LAST,    K_KEEP_DAILY,  K_KEEP_WEEKLY,
	                                      K_KEEP_MONTHLY, K_KEEP_YEARLY, K_LOCK_WAIT};
	static const enum job_key durations[] = {K_KEEP_WITHIN, K_MAX_AGE, K_GRACE, K_FULL_EVERY,
	                                         K_PARTITION_MAX};
	/* a zero duration would pass --check and fail every run: xpdump refuses --max-age 0,
	 * windows of no length never end */
	static const enum job_key positive[] = {K_KEEP_WITHIN, K_MAX_AGE, K_PARTITION_MAX};
	const char *v;

	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		if ((v = job_conf_get(c, counts[i])) && !all_digits(v))
			return xp_err_set(err, XP_EUSAGE, "%s: %s=%s: not a number", name,
			                  job_key_names[counts[i]], v);
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++)
		if ((v = job_conf_get(c, durations[i])) && !duration_text(v, 0))
			return xp_err_set(err, XP_EUSAGE,
			                  "%s: %s=%s: not a duration (like 90d, 12h, 1y)", name,
			                  job_key_names[durations[i]], v);
	for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++)
		if ((v = job_conf_get(c, positive[i])) && duration_text(v, 1))
			return xp_err_set(err, XP_EUSAGE, "%s: %s=%s: not a positive duration",
			                  name, job_key_names[positive[i]], v);
	{
		/* a count of 0 keeps nothing: it is no rule (xpexpire takes it so) */
		int rule = job_conf_get(c, K_KEEP_WITHIN) || job_conf_get(c, K_MAX_AGE);

		for (size_t i = 0; i < 5; i++)
			if ((v = job_conf_get(c, counts[i])) && v[strspn(v, "0")])
				rule = 1;
		if (!rule)
			return xp_err_set(err, XP_EUSAGE,
			                  "%s: no retention: set MAX_AGE and/or a KEEP_* rule",
			                  name);
	}
	if ((v = job_conf_get(c, K_SHREDDABLE)) && strcmp(v, "yes") && strcmp(v, "no"))
		return xp_err_set(err, XP_EUSAGE, "%s: SHREDDABLE=%s: yes or no", name, v);
	/* zstd's range, as xpseal --level takes it: negative levels are its fastest */
	if ((v = job_conf_get(c, K_LEVEL))) {
		const char *d = v + (*v == '-');
		size_t n = strlen(d);

		if (n < 1 || n > 6 || !all_digits(d) || atol(v) < -131072 || atol(v) > 22)
			return xp_err_set(err, XP_EUSAGE,
			                  "%s: LEVEL=%s: not a zstd level (-131072 to 22)", name,
			                  v);
	}
	if ((v = job_conf_get(c, K_MIN_ROWS)) && (!all_digits(v) || strlen(v) > 18))
		return xp_err_set(err, XP_EUSAGE, "%s: MIN_ROWS=%s: not a count of rows", name, v);
	return 0;
}

int job_conf_check(struct job_conf *c, const char *name, const char *tmpdir, struct xp_err *err)
{
	const char *mode, *v;
	char *lock = NULL;
	int rc;

	if (!job_conf_get(c, K_REPO))
		return xp_err_set(err, XP_EUSAGE, "%s: REPO is not set", name);
	if (job_conf_get(c, K_DSN) && job_conf_get(c, K_DSN_FILE))
		return xp_err_set(err, XP_EUSAGE, "%s: set DSN or DSN_FILE, not both", name);
	if (!job_conf_get(c, K_DSN) && !job_conf_get(c, K_DSN_FILE))
		return xp_err_set(err, XP_EUSAGE, "%s: DSN or DSN_FILE is not set", name);
	if (!job_conf_get(c, K_TABLES))
		return xp_err_set(err, XP_EUSAGE, "%s: TABLES is not set", name);
	if ((rc = check_values(c, name, err)) != 0)
		return rc;
	if ((rc = fill(c, K_MODE, "full", err)) != 0)
		return rc;
	mode = c->v[K_MODE];
	if (strcmp(mode, "full") == 0) {
		if (job_conf_get(c, K_GRACE) || job_conf_get(c, K_FULL_EVERY) ||
		    job_conf_get(c, K_PARTITION_MAX))
			return xp_err_set(err, XP_EUSAGE,
			                  "%s: GRACE, FULL_EVERY and PARTITION_MAX apply to "
			                  "MODE=partitioned only",
			                  name);
	} else if (strcmp(mode, "partitioned") == 0) {
		/* a partition's rows leave by max-age and its window is found by source */
		if (!job_conf_get(c, K_MAX_AGE))
			return xp_err_set(
			        err, XP_EUSAGE,
			        "%s: MODE=partitioned needs MAX_AGE (partitions leave by "
			        "it; the first window starts at the oldest row it allows)",
			        name);
		if (!job_conf_get(c, K_SOURCE))
			return xp_err_set(err, XP_EUSAGE,
			                  "%s: MODE=partitioned needs SOURCE (the next window "
			                  "continues that source's partitions)",
			                  name);
		if ((rc = fill(c, K_GRACE, "5m", err)) != 0 ||
		    (rc = fill(c, K_PARTITION_MAX, "1d", err)) != 0)
			return rc;
		c->partitioned = 1;
	} else {
		return xp_err_set(err, XP_EUSAGE, "%s: MODE=%s: full or partitioned", name, mode);
	}
	if ((v = job_conf_get(c, K_SYSLOG)) && strcmp(v, "yes") && strcmp(v, "no"))
		return xp_err_set(err, XP_EUSAGE, "%s: SYSLOG=%s: yes or no", name, v);
	if (!(lock = xp_asprintf("%s/.xpbackup-job.lock", c->v[K_REPO])))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = fill(c, K_LOCK, lock, err);
	free(lock);
	if (rc || (rc = fill(c, K_LOCK_WAIT, "0", err)) != 0 ||
	    (rc = fill(c, K_WORK_DIR, tmpdir && *tmpdir ? tmpdir : xp_os_work_dir(), err)) != 0)
		return rc;
	c->lock_wait = 0;
	for (v = c->v[K_LOCK_WAIT]; *v; v++)
		c->lock_wait = c->lock_wait > 1000000000 ? c->lock_wait
		                                         : c->lock_wait * 10 + (uint64_t)(*v - '0');
	return 0;
}

void job_conf_free(struct job_conf *c)
{
	for (int k = 0; k < K_COUNT; k++) {
		free(c->v[k]);
		c->v[k] = NULL;
	}
}
