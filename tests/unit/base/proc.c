/* Child processes (base/proc.h) on POSIX: statuses as the shell gives them, pipes between two
 * children, waits with a time limit, stopping a child, output captured with a time limit, and
 * programs found beside us or on PATH. */
#include "config.h"

#include "base/proc.h"
#include "base/str.h"

#include "../tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *sh = "/bin/sh";

/* The status of sh -c script. */
static int run_sh(const char *script)
{
	char *argv[] = {(char *)sh, "-c", (char *)script, NULL};
	struct xp_proc p;
	int status = -2;

	if (xp_proc_spawn(&p, argv, NULL, NULL) != 0 || xp_proc_wait(&p, -1, &status, NULL) != 0)
		return -2;
	return status;
}

static void statuses(void)
{
	char *argv[] = {"/nonexistent/xp-no-such-program", NULL};
	struct xp_proc p;
	struct xp_err err = {0};

	is_int(run_sh("exit 0"), 0, "a child that exits 0: status 0");
	is_int(run_sh("exit 3"), 3, "a child that exits 3: status 3");
	is_int(run_sh("kill -TERM $$"), 143, "a child ended by SIGTERM: 128 + 15");
	is_int(run_sh("kill -KILL $$"), 137, "a child ended by SIGKILL: 128 + 9");
	is_int(xp_proc_spawn(&p, argv, NULL, &err), XP_EFAIL,
	       "a program that is not there: XP_EFAIL");
	is_str(err.msg, "/nonexistent/xp-no-such-program: No such file or directory",
	       "naming it and why");
	is_int(p.running, 0, "and nothing runs");
}

/* A writer child's output through a pipe into a reader child, whose output we read. */
static void piped(void)
{
	char *w[] = {(char *)sh, "-c", "printf 'one\\ntwo\\n'; echo err >&2", NULL};
	char *r[] = {(char *)sh, "-c", "tr a-z A-Z", NULL};
	int ab[2], out[2], null = open("/dev/null", O_WRONLY), sw = -1, sr = -1;
	struct xp_proc pw, pr;
	char buf[64] = {0};
	ssize_t n;

	ok(xp_proc_pipe(ab, NULL) == 0 && xp_proc_pipe(out, NULL) == 0, "two pipes");
	ok((fcntl(ab[0], F_GETFD) & FD_CLOEXEC) && (fcntl(ab[1], F_GETFD) & FD_CLOEXEC),
	   "both ends close-on-exec");
	{
		struct xp_proc_io wio = {-1, ab[1], null}, rio = {ab[0], out[1], -1};

		ok(xp_proc_spawn(&pw, w, &wio, NULL) == 0 && xp_proc_spawn(&pr, r, &rio, NULL) == 0,
		   "writer and reader started");
	}
	close(ab[0]);
	close(ab[1]);
	close(out[1]);
	n = read(out[0], buf, sizeof buf - 1);
	while (n > 0 && (size_t)n < sizeof buf - 1) {
		ssize_t m = read(out[0], buf + n, sizeof buf - 1 - (size_t)n);

		if (m <= 0)
			break;
		n += m;
	}
	close(out[0]);
	close(null);
	is_str(buf, "ONE\nTWO\n", "the reader read the writer's output to its end");
	ok(xp_proc_wait(&pr, -1, &sr, NULL) == 0 && xp_proc_wait(&pw, -1, &sw, NULL) == 0,
	   "both waited for");
	is_int(sw * 1000 + sr, 0, "both exited 0");
}

static void waits(void)
{
	char *argv[] = {(char *)sh, "-c", "exec sleep 30", NULL};
	struct xp_proc p;
	int status = 0;

	ok(xp_proc_spawn(&p, argv, NULL, NULL) == 0, "a sleeping child started");
	ok(xp_proc_wait(&p, 50, &status, NULL) == 0, "a wait of 50 ms");
	is_int(status * 10 + p.running, -10 + 1, "ends with status -1, the child still running");
	xp_proc_term(&p);
	ok(xp_proc_wait(&p, -1, &status, NULL) == 0, "after xp_proc_term the wait ends");
	is_int(status, 143, "with the status of SIGTERM");
	is_int(p.running, 0, "the child no longer runs");
	xp_proc_term(&p); /* nothing to stop: no signal goes anywhere */
	ok(xp_proc_wait(&p, -1, &status, NULL) == XP_EFAIL, "a second wait: no child to wait for");
	ok(xp_proc_spawn(&p, argv, NULL, NULL) == 0, "another sleeping child");
	xp_proc_kill(&p);
	ok(xp_proc_wait(&p, -1, &status, NULL) == 0 && status == 137, "xp_proc_kill: status 137");
}

static void captures(void)
{
	char *both[] = {(char *)sh, "-c", "echo out; echo err >&2; exit 5", NULL};
	char *slow[] = {(char *)sh, "-c", "echo early; exec sleep 30", NULL};
	char *big[] = {(char *)sh, "-c", "yes | head -c 200000", NULL};
	char *out = NULL;
	size_t len = 0;
	int status = 0;

	ok(xp_proc_capture(both, -1, 1, 1024, &out, &len, &status, NULL) == 0, "capture, merged");
	is_str(out, "out\nerr\n", "standard output and error, in order");
	is_int(status * 100 + (int)len, 508, "status 5, 8 bytes");
	free(out);
	ok(xp_proc_capture(both, -1, 0, 1024, &out, NULL, &status, NULL) == 0,
	   "capture, not merged");
	is_str(out, "out\n", "standard output only");
	free(out);
	ok(xp_proc_capture(slow, 200, 1, 1024, &out, NULL, &status, NULL) == 0,
	   "capture of a child that outlives its time limit");
	is_str(out, "early\n", "what it said in time");
	is_int(status, XP_PROC_TIMEOUT, "status 124, as timeout(1)'s");
	free(out);
	ok(xp_proc_capture(big, -1, 0, 100, &out, &len, &status, NULL) == 0,
	   "capture of more than max");
	is_int((int)len * 1000 + status, 100 * 1000, "max bytes kept, the rest read to the end");
	free(out);
}

static void finds(void)
{
	char dir[] = "/tmp/xp-proc.XXXXXX", *tool = NULL, *found;
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;
	FILE *f;

	ok(mkdtemp(dir) != NULL, "a directory");
	tool = xp_asprintf("%s/xp-tool", dir);
	f = fopen(tool, "w");
	ok(f && fputs("#!/bin/sh\n", f) >= 0 && fclose(f) == 0, "a file xp-tool");
	found = xp_proc_find(dir, "xp-tool");
	ok(!found, "not executable: not found");
	free(found);
	chmod(tool, 0755);
	found = xp_proc_find(dir, "xp-tool");
	is_str(found, tool, "executable in dir: found there");
	free(found);
	setenv("PATH", "/nonexistent:", 1);
	found = xp_proc_find(NULL, "xp-tool");
	ok(!found, "not on PATH: not found");
	free(found);
	found = xp_asprintf("/nonexistent:%s:/bin", dir);
	setenv("PATH", found, 1);
	free(found);
	found = xp_proc_find("/nonexistent", "xp-tool");
	is_str(found, tool, "on PATH: the first directory that has it");
	free(found);
	found = xp_proc_find(NULL, "sh");
	is_str(found, "/bin/sh", "sh in /bin");
	free(found);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	unlink(tool);
	rmdir(dir);
	free(tool);

	found = xp_proc_self_dir("/usr/local/bin/xpbackup-job");
	is_str(found, "/usr/local/bin", "the program's directory from its path");
	free(found);
	found = xp_proc_self_dir("/xpbackup-job");
	is_str(found, "/", "the root");
	free(found);
	found = xp_proc_self_dir("xpbackup-job");
	ok(!found, "a bare name (found on PATH): not known");
	free(found);
}

int main(void)
{
	statuses();
	piped();
	waits();
	captures();
	finds();
	return done_testing();
}
