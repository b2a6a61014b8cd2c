/* Atomic files and whole-file reads. */
#include "config.h"

#include "base/os.h"
#include "base/afile.h"
#include "base/io.h"
#include "base/str.h"
#include "base/err.h"

#include "../tap.h"

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

int main(void)
{
	atomic_files();
	return done_testing();
}
