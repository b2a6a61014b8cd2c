/* Atomic files: written under a temp name, then fsync, rename and directory fsync. */
#ifndef XP_BASE_AFILE_H
#define XP_BASE_AFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* A file that appears under its name only when complete: written to a temp name in the
 * same directory, then fsync, rename, fsync of the directory. */
struct xp_afile {
	int fd;
	char *path; /* final name (owned) */
	char *tmp;  /* temp name (owned) */
};
/* Creates the temp file with the given mode (e.g. 0600); af->fd is ready for writing. A link
 * at path is replaced, never written through; a character device (/dev/null) is written in
 * place; a FIFO, socket, block device or directory is refused (XP_EFAIL "PATH: not a regular
 * file (a FIFO)") without being opened. */
int xp_afile_open(struct xp_afile *af, const char *path, mode_t mode, struct xp_err *err);
/* xp_afile_open for a tool's -o FILE, where clear data goes: a link is followed to a
 * character device (/dev/stdout) or to a regular file it replaces; a file or link another
 * user owns is refused (XP_EFAIL "PATH: owned by another user"), and so is a FIFO, so that no
 * one else can take the data on its way. */
int xp_afile_open_output(struct xp_afile *af, const char *path, mode_t mode, struct xp_err *err);
/* fsync, rename over path, close, fsync the directory; frees af's names. The temp file is
 * open (and any flock(2) on it held) until it has its final name. */
int xp_afile_commit(struct xp_afile *af, struct xp_err *err);
/* Closes and unlinks the temp file; safe to call after a failed commit or twice. */
void xp_afile_abort(struct xp_afile *af);
/* Writes a whole buffer to path atomically, as above. */
int xp_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                         struct xp_err *err);

#endif
