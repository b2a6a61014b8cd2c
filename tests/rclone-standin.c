/* A stand-in for rclone, for tests/cli/copy-rclone-spawn.sh: built for the system under test
 * (a PE under wine), it shows what a started rclone receives and that what it answers is read
 * as rclone's answers are. It appends its arguments, as it got them (UTF-8: xp_os_args), to
 * the file $XP_STANDIN_LOG, one "[ARG]" line each after a "--" line. The subcommands xpcopy
 * uses (lsf, cat, copyto, moveto, deletefile, check) work on a remote kept as flat files in
 * the directory $XP_STANDIN_STORE, each named by its REMOTE:PATH with every byte outside
 * [A-Za-z0-9.-] written _XX (hex). $XP_STANDIN_FAIL=SUBCOMMAND=STATUS makes that subcommand
 * write "standin: SUBCOMMAND refused" on its standard error and exit STATUS. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/os.h"
#include "base/str.h"

static const char *store;

/* The store's file for remote, malloc'd. */
static char *stored(const char *remote)
{
	struct xp_sbuf b = {0};

	xp_sbuf_puts(&b, store);
	xp_sbuf_puts(&b, "/");
	for (const unsigned char *c = (const unsigned char *)remote; *c; c++) {
		char hex[4];

		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-') {
			xp_sbuf_add(&b, c, 1);
			continue;
		}
		snprintf(hex, sizeof hex, "_%02X", *c);
		xp_sbuf_puts(&b, hex);
	}
	xp_sbuf_add(&b, "", 1);
	return b.p;
}

/* The name a store file stands for, in place. */
static char *unescape(char *s)
{
	char *o = s;

	for (char *c = s; *c; c++) {
		unsigned v;

		if (*c == '_' && sscanf(c + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			c += 2;
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	return s;
}

/* The bytes of the file fd into a malloc'd buffer; NULL when it cannot be read. */
static char *slurp(int fd, size_t *len)
{
	struct xp_sbuf b = {0};
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		xp_sbuf_add(&b, buf, (size_t)n);
	close(fd);
	*len = b.len;
	if (n < 0 || b.failed) {
		xp_sbuf_free(&b);
		return NULL;
	}
	return b.p ? b.p : calloc(1, 1);
}

static int put(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, len, f) == len;

	return f && fclose(f) == 0 && ok ? 0 : -1;
}

/* remote's name with a separator after it: what names under it start with. */
static char *prefix_of(const char *remote)
{
	size_t n = strlen(remote);

	return xp_asprintf("%s%s", remote,
	                   n && remote[n - 1] != ':' && remote[n - 1] != '/' ? "/" : "");
}

static int lsf(const char *remote)
{
	char *pattern = xp_asprintf("%s/*", store), *prefix = prefix_of(remote), **paths = NULL;
	size_t n = 0, found = 0;

	if (xp_os_glob(pattern, &paths, &n) != 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int there = stat(paths[i], &st) == 0;
		char *name = unescape(strrchr(paths[i], '/') + 1);

		if (strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		if (there) {
			printf("%lld\t%s\n", (long long)st.st_size, name + strlen(prefix));
			found++;
		}
	}
	if (!found)
		fprintf(stderr, "standin: directory not found\n");
	return found ? 0 : 3;
}

static int cat(const char *remote)
{
	size_t len;
	char *s = stored(remote), *buf = slurp(xp_os_open(s, O_RDONLY, 0), &len);

	if (!buf) {
		fprintf(stderr, "standin: object not found\n");
		return 3;
	}
	return fwrite(buf, 1, len, stdout) == len ? 0 : 1;
}

static int copyto(const char *local, const char *remote)
{
	size_t len;
	char *buf = slurp(xp_os_open(local, O_RDONLY, 0), &len);

	if (!buf) {
		fprintf(stderr, "standin: %s: cannot read it\n", local);
		return 3;
	}
	return put(stored(remote), buf, len) == 0 ? 0 : 1;
}

/* check --files-from-raw - LOCAL REMOTE: "= NAME" for each name on standard input whose
 * bytes are the same on both sides, "* NAME" for one that differs, "+ NAME" for one only in
 * LOCAL; 1 when any is not the same. */
static int check(const char *local, const char *remote)
{
	char line[4096], *prefix = prefix_of(remote);
	int rc = 0;

	while (fgets(line, sizeof line, stdin)) {
		size_t a, b;
		char *l, *r, *la, *ra;

		line[strcspn(line, "\r\n")] = '\0';
		la = xp_asprintf("%s/%s", local, line);
		ra = xp_asprintf("%s%s", prefix, line);
		l = slurp(xp_os_open(la, O_RDONLY, 0), &a);
		r = slurp(xp_os_open(stored(ra), O_RDONLY, 0), &b);
		if (l && r && a == b && memcmp(l, r, a) == 0) {
			printf("= %s\n", line);
		} else {
			printf("%c %s\n", r ? '*' : '+', line);
			rc = 1;
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *log = getenv("XP_STANDIN_LOG"), *fail = getenv("XP_STANDIN_FAIL"), *sub;
	FILE *f;
	int i = 1;

	store = getenv("XP_STANDIN_STORE");
	if (xp_os_args(&argc, &argv) != 0 || xp_os_stdio_binary() != 0 || !log || !store)
		return 9;
	if (!(f = fopen(log, "ab")))
		return 9;
	fputs("--\n", f);
	for (int k = 1; k < argc; k++)
		fprintf(f, "[%s]\n", argv[k]);
	if (fclose(f) != 0)
		return 9;
	/* the options every run takes come first: --config FILE, --NAME=VALUE */
	while (i < argc && strncmp(argv[i], "--", 2) == 0)
		i += strcmp(argv[i], "--config") == 0 ? 2 : 1;
	if (i >= argc)
		return 2;
	sub = argv[i];
	if (fail && strncmp(fail, sub, strlen(sub)) == 0 && fail[strlen(sub)] == '=') {
		fprintf(stderr, "standin: %s refused\n", sub);
		return atoi(fail + strlen(sub) + 1);
	}
	if (strcmp(sub, "lsf") == 0)
		return lsf(argv[argc - 1]);
	if (strcmp(sub, "cat") == 0)
		return cat(argv[argc - 1]);
	if (strcmp(sub, "copyto") == 0)
		return copyto(argv[argc - 2], argv[argc - 1]);
	if (strcmp(sub, "moveto") == 0)
		return xp_os_replace(stored(argv[argc - 2]), stored(argv[argc - 1])) == 0 ? 0 : 4;
	if (strcmp(sub, "deletefile") == 0)
		return remove(stored(argv[argc - 1])) == 0 ? 0 : 4;
	if (strcmp(sub, "check") == 0)
		return check(argv[argc - 2], argv[argc - 1]);
	fprintf(stderr, "standin: %s: not a subcommand of the stand-in\n", sub);
	return 2;
}
