/* scandir(3) and alphasort(3), which mingw-w64's C library lacks, with their POSIX meaning
 * (declared in base/os.h), for the modules that list directories. */
#include "config.h"

#include "base/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int alphasort(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int scandir(const char *dir, struct dirent ***out, int (*keep)(const struct dirent *),
            int (*cmp)(const struct dirent **, const struct dirent **))
{
	DIR *d = opendir(dir);
	struct dirent *e, **v = NULL, **nv;
	size_t n = 0, cap = 0;
	int saved;

	*out = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (keep && !keep(e))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof *v)))
				goto fail;
			v = nv;
		}
		if (!(v[n] = malloc(sizeof *e)))
			goto fail;
		memcpy(v[n++], e, sizeof *e);
	}
	closedir(d);
	if (cmp && n > 1)
		qsort(v, n, sizeof *v, (int (*)(const void *, const void *))cmp);
	*out = v;
	return (int)n;
fail:
	saved = errno ? errno : ENOMEM;
	while (n)
		free(v[--n]);
	free(v);
	closedir(d);
	errno = saved;
	return -1;
}
