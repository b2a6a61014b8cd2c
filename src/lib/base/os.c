/* The part of the portability layer (os.h) that is the same on both systems. */
#include "config.h"

#include "base/os.h"

#include <stdlib.h>

void xp_os_glob_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

const char *xp_os_temp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = getenv("TEMP"); /* Windows' */
	return dir && *dir ? dir : "/tmp";
}
