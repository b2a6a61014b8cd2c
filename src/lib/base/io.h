/* Files and descriptors: whole reads and writes, regular files only, the secret-file
 * rule, directories made and synced. */
#ifndef XP_BASE_IO_H
#define XP_BASE_IO_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/err.h"

/* Writes all of buf, retrying short writes and EINTR. */
int xp_write_all(int fd, const void *buf, size_t len, struct xp_err *err);
/* Reads until len bytes or end of file; returns bytes read, or -1 with errno set. */
ssize_t xp_read_full(int fd, void *buf, size_t len);
/* When fd is a pipe or FIFO, asks the kernel to hold XP_PIPE_SIZE bytes in it (or as much as
 * /proc/sys/fs/pipe-max-size allows) instead of 64 KiB, so that the processes on either end
 * move whole blocks and wait on each other less; a refusal changes nothing. */
#define XP_PIPE_SIZE (1 << 20)
void xp_pipe_grow(int fd);
/* What a file of mode m is, for messages: "a FIFO", "a symbolic link", "a device", ... */
const char *xp_file_kind(mode_t m);
/* Opens path (following links), refusing without waiting on it, reading or writing it anything
 * that is not a regular file: XP_EFAIL "PATH: not a regular file (a FIFO)"; a missing file is
 * XP_ENOENT. *fd is blocking and close-on-exec; the caller closes it. Files under a repository
 * are opened by xp_repo_open instead, which follows no link. */
int xp_open_regular(const char *path, int flags, int *fd, struct xp_err *err);
/* Reads fd to its end (at most max bytes) into a malloc'd, NUL-terminated *buf (the caller
 * frees it); name is for messages, len may be NULL. */
int xp_fd_read(int fd, const char *name, size_t max, char **buf, size_t *len, struct xp_err *err);
/* Reads a whole small file (at most max bytes) into a malloc'd, NUL-terminated buffer. A FIFO
 * is never waited on (without a writer it reads as empty). Repository files: xp_repo_read. */
int xp_file_read(const char *path, size_t max, char **buf, size_t *len, struct xp_err *err);
/* xp_file_read, but a missing file is 0 with *buf NULL and *len 0 (err untouched); for files
 * outside a repository (a repository's own go through xp_repo_read_optional). */
int xp_file_read_optional(const char *path, size_t max, char **buf, size_t *len,
                          struct xp_err *err);
/* The one rule for files that hold a secret (password, connection string, signing key): a
 * regular file that group or others may read, write or run is refused (XP_EFAIL, one message:
 * "PATH: readable by group (mode 0640); chmod 600 it"; readable is named before writable, others
 * before group; Windows reads the ACL, xp_os_exposure in os.h). Pipes, terminals and /dev/fd
 * descriptors are the caller's own plumbing and are not checked. Opens path read-only into *fd (the
 * caller closes it); st (may be NULL) gets its fstat. */
int xp_secret_file_open(const char *path, int *fd, struct stat *st, struct xp_err *err);
/* mkdir -p with the given mode for the directories it creates: each name after path's root
 * (os.h xp_os_path_root: "/"; Windows also a drive or a share), at either separator on Windows. */
int xp_mkdirs(const char *path, mode_t mode, struct xp_err *err);
/* fsyncs the directory that holds path (or path itself if it is a directory). */
int xp_fsync_dir(const char *path, struct xp_err *err);

#endif
