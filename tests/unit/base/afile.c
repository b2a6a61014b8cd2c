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
#include <sys/stat.h>
#include <unistd.h>

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

int main(void)
{
	atomic_files();
	open_regular();
	return done_testing();
}
