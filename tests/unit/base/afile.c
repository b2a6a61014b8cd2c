/* Atomic files and whole-file reads. */
#include "config.h"

#include "base/os.h"
#include "base/afile.h"
#include "base/io.h"
#include "base/str.h"
#include "base/err.h"

#include "../tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif

static void atomic_files(void)
{
	char dir[] = "/tmp/xp-util-XXXXXX", *path, *got = NULL;
	struct xp_afile af;
	struct xp_err err;
	size_t len = 0;

	if (!xp_os_mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	path = xp_asprintf("%s/sub/dir/file", dir);
	ok(xp_mkdirs(path, 0700, &err) == 0, "mkdirs creates nested directories");
	rmdir(path);
	ok(xp_file_write_atomic(path, "hello", 5, 0600, &err) == 0, "atomic write succeeds");
	ok(xp_file_read(path, 100, &got, &len, &err) == 0 && len == 5 && strcmp(got, "hello") == 0,
	   "atomic write leaves the exact bytes");
	free(got);
	is_int(xp_file_read(path, 3, &got, &len, &err), XP_EFAIL,
	       "file_read refuses a file over max");
	ok(xp_afile_open(&af, path, 0600, &err) == 0, "afile opens a temp file");
	xp_write_all(af.fd, "new", 3, &err);
	xp_afile_abort(&af);
	ok(xp_file_read(path, 100, &got, &len, &err) == 0 && strcmp(got, "hello") == 0,
	   "an aborted afile leaves the old file as it was");
	free(got);
	unlink(path);
	ok(xp_afile_open(&af, XP_OS_DEVNULL, 0600, &err) == 0 &&
	           xp_write_all(af.fd, "x", 1, &err) == 0 && xp_afile_commit(&af, &err) == 0,
	   "afile writes into a device in place");
	{
		struct stat st;

		ok(xp_os_lstat(XP_OS_DEVNULL, &st) == 0 && S_ISCHR(st.st_mode),
		   XP_OS_DEVNULL " is still a device");
	}
	for (int up = 0; up < 3; up++) {
		*strrchr(path, '/') = '\0';
		if (rmdir(path) != 0)
			ok(0, "cleanup: %s", path);
	}
	free(path);
}

/* xp_open_regular, xp_file_read, xp_secret_file_open: a UTF-8 name is the file's name on
 * both systems (not the ANSI code page's on Windows); on POSIX a file it holds
 * open is still replaced by an atomic write, the descriptor reading the old bytes. */
static void open_regular(void)
{
	char dir[] = "/tmp/xp-open-XXXXXX", *path, *got = NULL, buf[8];
	struct xp_err err;
	size_t len = 0;
	int fd = -1;

	if (!xp_os_mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	path = xp_asprintf("%s/r\xc3\xa9sum\xc3\xa9", dir);
	is_int(xp_file_write_atomic(path, "old", 3, 0600, &err), 0, "a file with a UTF-8 name");
	is_int(xp_open_regular(path, O_RDONLY, &fd, &err), 0,
	       "xp_open_regular opens it by that name");
	ok(fd >= 0 && read(fd, buf, sizeof buf) == 3 && memcmp(buf, "old", 3) == 0, "it reads");
	{
		int sfd = -1;

		is_int(xp_secret_file_open(path, &sfd, NULL, &err), 0,
		       "xp_secret_file_open opens it by that name");
		if (sfd >= 0)
			close(sfd);
	}
#ifdef _WIN32
	close(fd);
	fd = -1;
	skip("wine refuses a rename over an open file, whatever the opener shared");
#endif
	if (!is_int(xp_file_write_atomic(path, "new!", 4, 0600, &err), 0, "it is replaced"))
		printf("# %s\n", err.msg);
	ok(xp_file_read(path, 100, &got, &len, &err) == 0 && len == 4 &&
	           memcmp(got, "new!", 4) == 0,
	   "the name holds the new bytes");
	if (fd >= 0) {
		ok(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, sizeof buf) == 3 &&
		           memcmp(buf, "old", 3) == 0,
		   "the descriptor held open still reads the old ones");
		close(fd);
	}
	free(got);
	ok(xp_os_unlinkat(AT_FDCWD, path) == 0 && rmdir(dir) == 0, "cleanup");
	free(path);
}

/* xp_file_read takes what the file holds, whatever max allows: a file just under, at and over
 * max, sizes around the first buffer's, and a max far above what memory allows. */
static void read_sizes(void)
{
	char dir[] = "/tmp/xp-read-XXXXXX", *path, *want, *got = NULL;
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
	struct xp_err err;
	size_t len = 0;

	if (!xp_os_mkdtemp(dir) || !(want = malloc(200000))) {
		ok(0, "mkdtemp");
		return;
	}
	path = xp_asprintf("%s/f", dir);
	for (size_t i = 0; i < 200000; i++)
		want[i] = (char)('a' + i % 23);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];

		xp_file_write_atomic(path, want, n, 0600, &err);
		ok(xp_file_read(path, 1u << 20, &got, &len, &err) == 0 && len == n &&
		           memcmp(got, want, n) == 0 && got[n] == '\0',
		   "%zu bytes read whole", n);
		free(got);
		got = NULL;
		if (n == 0)
			continue;
		ok(xp_file_read(path, n, &got, &len, &err) == 0 && len == n &&
		           memcmp(got, want, n) == 0,
		   "%zu bytes read with max %zu (the buffer grown to it)", n, n);
		free(got);
		got = NULL;
		is_int(xp_file_read(path, n - 1, &got, &len, &err), XP_EFAIL,
		       "%zu bytes refused with max %zu", n, n - 1);
	}
#if defined(RLIMIT_AS) && !defined(__SANITIZE_ADDRESS__)
	{
		struct rlimit old, lim;

		getrlimit(RLIMIT_AS, &old);
		lim = old;
		lim.rlim_cur = (rlim_t)768 << 20;
		if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < lim.rlim_cur)
			lim.rlim_cur = old.rlim_cur;
		setrlimit(RLIMIT_AS, &lim);
		ok(xp_file_read(path, (size_t)1 << 30, &got, &len, &err) == 0 && len == 200000,
		   "a max of 1 GiB, 768 MiB of address space: the file is read");
		setrlimit(RLIMIT_AS, &old);
		free(got);
	}
#else
	skip("no address-space limit to read under here");
#endif
	unlink(path);
	rmdir(dir);
	free(path);
	free(want);
}

int main(void)
{
	atomic_files();
	open_regular();
	read_sizes();
	return done_testing();
}
