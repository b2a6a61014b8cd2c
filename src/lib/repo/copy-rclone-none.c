/* The rclone target where the tools start no other program (Windows, for now): registering
 * one works as anywhere, and every operation on it fails, saying so, so that a copy run
 * reports the target as not done rather than as copied. */
#include "config.h"

#include "repo/copy-int.h"
#include "base/err.h"

static int unsupported(const struct xp_copy_target *t, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL,
	                  "%s: rclone remotes are not supported on Windows; copy to a directory "
	                  "(a disk or a network share) instead",
	                  t->name);
}

int xp_ct_rclone_list(const struct xp_copy_target *t, struct xp_ct_listing *l, struct xp_err *err)
{
	(void)l;
	return unsupported(t, err);
}

int xp_ct_rclone_put(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
                     const uint8_t *want, uint64_t want_size, struct xp_err *err)
{
	(void)fd, (void)path, (void)rel, (void)want, (void)want_size;
	return unsupported(t, err);
}

int xp_ct_rclone_hash(const struct xp_copy_target *t, const char *rel, uint8_t *hash,
                      uint64_t *size, struct xp_err *err)
{
	(void)rel, (void)hash, (void)size;
	return unsupported(t, err);
}

int xp_ct_rclone_remove(const struct xp_copy_target *t, const char *rel, struct xp_err *err)
{
	(void)rel;
	return unsupported(t, err);
}

int xp_ct_rclone_same(const struct xp_copy_target *t, const char *dir, const char *const *rel,
                      size_t n, int *same, struct xp_err *err)
{
	(void)dir, (void)rel, (void)n, (void)same;
	return unsupported(t, err);
}
