/* Removing a test's temporary directory, the same on POSIX and Windows (where system("rm -rf")
 * has no rm to run): the tree under path, links not followed. */
#ifndef XP_TEST_RMTREE_H
#define XP_TEST_RMTREE_H

#include "base/os.h"
#include "base/str.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 0, or -1 when something under path stayed. */
static inline int rm_tree(const char *path)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (xp_os_lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 && (chmod(path, 0600) < 0 || unlink(path) < 0) ? -1 : 0;
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = xp_asprintf("%s/%s", path, e->d_name);
		if (rm_tree(sub) < 0)
			rc = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) < 0)
		rc = -1;
	return rc;
}

#endif
