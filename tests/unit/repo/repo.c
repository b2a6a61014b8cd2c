#include "config.h"

#include "repo/repo.h"

#include "../tap.h"
#include "base/err.h"
#include "base/str.h"
#include "base/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void layout(void)
{
	const char *id = "0123456789abcdef0123456789abcdef";
	char rel[XP_REPO_REL_MAX], got[XP_REPO_ID_HEX];
	char *p;

	p = xp_repo_file("/r", XP_REPO_SIGNER_PUB);
	is_str(p, "/r/keys/signer.pub", "a key file's path");
	free(p);
	p = xp_repo_file("/r", XP_REPO_JOURNAL);
	is_str(p, "/r/journal", "the journal's path");
	free(p);
	p = xp_repo_backup("/r", id, ".minisig");
	is_str(p, "/r/data/01/0123456789abcdef0123456789abcdef.xps.minisig",
	       "a backup's signature");
	free(p);
	p = xp_repo_data_sub("/r", "01");
	is_str(p, "/r/data/01", "a data subdirectory");
	free(p);
	xp_repo_backup_rel(id, rel);
	is_str(rel, "data/01/0123456789abcdef0123456789abcdef.xps", "a backup's relative path");

	ok(xp_repo_valid_id(id), "32 lower-case hex digits are an id");
	ok(!xp_repo_valid_id("0123456789ABCDEF0123456789abcdef"), "upper case is not");
	ok(!xp_repo_valid_id("0123"), "a short string is not");
	ok(!xp_repo_valid_id("0123456789abcdef0123456789abcdef0"), "a long one is not");
	ok(xp_repo_valid_sub("ab") && !xp_repo_valid_sub("a") && !xp_repo_valid_sub("AB"),
	   "data subdirectories are two lower-case hex digits");
	ok(xp_repo_id_in_sub("01", id) && !xp_repo_id_in_sub("02", id) &&
	           !xp_repo_id_in_sub("01x", id) && !xp_repo_id_in_sub(NULL, id) &&
	           !xp_repo_id_in_sub("01", "0123"),
	   "an id belongs in the data subdirectory of its first two digits only");
	ok(xp_repo_id_of_name("/x/data/01/0123456789abcdef0123456789abcdef.xps", got) == 0 &&
	           strcmp(got, id) == 0,
	   "the id of a backup's file name");
	ok(xp_repo_id_of_name("0123456789abcdef0123456789abcdef.xps.minisig", got) == -1 &&
	           xp_repo_id_of_name(".0123456789abcdef0123456789abcdef.xps", got) == -1,
	   "other names have none");
}

/* Links and FIFOs in the repository (POSIX; on Windows each of their checks is skipped). */
static void odd_files(const char *dir, const char *r, const char *f)
{
	char *link = xp_asprintf("%s/repo/lock", dir), *fifo = xp_asprintf("%s/repo/catalog", dir);
	char *sub = xp_asprintf("%s/repo/data", dir), *in = xp_asprintf("%s/repo/data/x", dir);
	char *buf = NULL;
	struct xp_err err = {0};
	int fd = -1;

#ifdef _WIN32
	for (int i = 0; i < 5; i++)
		skip("Windows has no FIFOs");
	for (int i = 0; i < 9; i++)
		skip("wine makes no symbolic links (CreateSymbolicLinkW makes nothing)");
	(void)dir, (void)r, (void)f, (void)buf, (void)fd, (void)err;
#else
	mkfifo(fifo, 0600);
	is_int(xp_repo_open(r, fifo, O_RDONLY, 0, &fd, &err), XP_EFAIL,
	       "a FIFO is refused at once");
	ok(strstr(err.msg, "/repo/catalog: not a regular file (a FIFO)") != NULL, "naming it: %s",
	   err.msg);
	is_int(xp_repo_open(r, fifo, O_WRONLY, 0, &fd, &err), XP_EFAIL,
	       "a FIFO without a reader is refused for writing too");
	is_int(xp_repo_read(r, fifo, 10, &buf, NULL, &err), XP_EFAIL, "and refuses a FIFO");
	ok(unlink(fifo) == 0, "the FIFO is removed");
	(void)!symlink(f, link);
	(void)!symlink(dir, sub);
	is_int(xp_repo_open(r, link, O_WRONLY | O_CREAT, 0600, &fd, &err), XP_EFAIL,
	       "a symbolic link is refused");
	ok(strstr(err.msg, "/repo/lock: not a regular file (a symbolic link)") != NULL,
	   "naming it: %s", err.msg);
	is_int(xp_repo_open(r, in, O_WRONLY | O_CREAT, 0600, &fd, &err), XP_EFAIL,
	       "a directory below REPO that is a symbolic link is refused");
	ok(strstr(err.msg, "/repo/data: not a directory (a symbolic link)") != NULL,
	   "naming it: %s", err.msg);
	/* data is a link to dir: a file named like data/x outside the repository stays */
	{
		char *outside = xp_asprintf("%s/x", dir);

		close(open(outside, O_WRONLY | O_CREAT, 0600));
		is_int(xp_repo_unlink(r, in, &err), XP_EFAIL,
		       "unlinking through a directory that is a link is refused");
		ok(access(outside, F_OK) == 0, "and the file where the link points stays");
		unlink(outside);
		free(outside);
	}
	is_int(xp_repo_unlink(r, link, &err), 0, "unlinking a link removes the link");
	ok(access(f, F_OK) == 0 && access(link, F_OK) != 0 && errno == ENOENT,
	   "not the file it points to");
	is_int(xp_repo_unlink(r, link, &err), 0, "a missing file is no error");
	unlink(link);
	unlink(sub);
#endif
	free(link);
	free(fifo);
	free(sub);
	free(in);
}

static void opening(void)
{
	char dir[] = "/tmp/xprepoXXXXXX", *r, *f, *buf = NULL;
	struct xp_err err = {0};
	int fd = -1;

	if (!xp_os_mkdtemp(dir))
		return;
	r = xp_asprintf("%s/repo", dir);
	f = xp_asprintf("%s/repo/journal", dir);
	xp_os_mkdir(r, 0700);
	close(xp_os_open(f, O_WRONLY | O_CREAT, 0600));

	is_int(xp_repo_open(r, f, O_RDONLY, 0, &fd, &err), 0, "a regular file opens");
#ifdef _WIN32
	skip("a descriptor of Windows has no O_NONBLOCK to clear");
#else
	ok(fd >= 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK), "blocking, as any descriptor");
#endif
	close(fd);
	is_int(xp_repo_read(r, f, 10, &buf, NULL, &err), 0, "xp_repo_read reads a regular file");
	free(buf);
	odd_files(dir, r, f);
	unlink(f);
	rmdir(r);
	rmdir(dir);
	free(r);
	free(f);
}

int main(void)
{
	layout();
	opening();
	return done_testing();
}
