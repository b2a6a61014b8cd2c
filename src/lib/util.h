/* Errors, messages, times, durations and durable file writes shared by every module. */
#ifndef XP_UTIL_H
#define XP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stat;

/* Library error codes: functions return 0 or one of these (negative). */
enum {
	XP_OK = 0,
	XP_EFAIL = -1,      /* I/O, database, policy refused: exit 1 */
	XP_EUSAGE = -2,     /* bad arguments: exit 2 */
	XP_EINTEGRITY = -3, /* tampered, truncated, bad signature: exit 3 */
	XP_EAUTH = -4,      /* wrong password: exit 3 */
	XP_ENOMEM = -5,     /* out of memory: exit 1 */
	XP_ENOENT = -6,     /* no such backup or file: exit 1 */
};

/* Exit statuses of the command-line contract. */
/* XP_EXIT_WARN: the work is done and whole, but something needs a person (xpdump --max-age:
 * the source holds rows past the legal limit). */
enum {
	XP_EXIT_OK = 0,
	XP_EXIT_FAIL = 1,
	XP_EXIT_USAGE = 2,
	XP_EXIT_INTEGRITY = 3,
	XP_EXIT_WARN = 4
};

/* One human sentence about the first failure; filled by the function that failed. */
struct xp_err {
	int code;
	char msg[512];
};

/* Records a message and returns code, so `return xp_err_set(err, XP_EFAIL, ...)` reads well.
 * err may be NULL. A later call overwrites an earlier message. */
int xp_err_set(struct xp_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Same, with ": strerror(errno)" appended. */
int xp_err_sys(struct xp_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prefixes the recorded message with "subject: " (for adding a file name at a higher level). */
void xp_err_prefix(struct xp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps a library code to the contract's exit status. */
int xp_exit_status(int code);

/* The running tool's name, for messages ("xpseal"). Set once in main; the messages themselves
 * are printed by the tools' front end (cli.h). */
extern const char *xp_progname;

/* Times are seconds since the epoch, UTC. XP_TIME_LEN fits "2026-11-24T03:00:00Z" and NUL. */
#define XP_TIME_LEN 21
/* Parses ISO-8601: "2026-11-24", "2026-11-24T03:00", "2026-11-24T03:00:00Z",
 * "2026-11-24 03:00:00.123+01:00" (a missing zone means UTC; fractions are dropped). */
int xp_time_parse(const char *s, int64_t *out, struct xp_err *err);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into buf (XP_TIME_LEN bytes). */
void xp_time_format(int64_t t, char buf[XP_TIME_LEN]);
/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian, any year). */
int64_t xp_days_from_civil(int64_t y, unsigned m, unsigned d);
void xp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* The current time (the clock is read only here). XP_NOW=ISO-TIME in the environment
 * replaces it, for tests and rehearsals of a schedule. */
int64_t xp_now(void);

/* Parses a duration: one or more NUMBER UNIT pairs, units s m h d w y (y = 365 days),
 * e.g. "90d", "12h", "1y6w". */
int xp_duration_parse(const char *s, int64_t *seconds, struct xp_err *err);
/* Parses a non-negative decimal integer with an optional k/M/G (binary) suffix. */
int xp_size_parse(const char *s, uint64_t *out, struct xp_err *err);

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
 * before group). Pipes, terminals and /dev/fd descriptors are the caller's own plumbing and are
 * not checked. Opens path read-only into *fd (the caller closes it); st (may be NULL) gets its
 * fstat. */
int xp_secret_file_open(const char *path, int *fd, struct stat *st, struct xp_err *err);
/* mkdir -p with the given mode for the directories it creates. */
int xp_mkdirs(const char *path, mode_t mode, struct xp_err *err);
/* fsyncs the directory that holds path (or path itself if it is a directory). */
int xp_fsync_dir(const char *path, struct xp_err *err);

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

/* Crash tests: with XP_FAULT_AT=N in the environment (and fault injection compiled in),
 * the Nth call in the process kills it with SIGKILL before the step named by `what` is done;
 * with XP_FAULT_STOP=N it stops there (SIGSTOP) until the test, having changed the
 * repository meanwhile, sends SIGCONT. XP_FAULT_TRACE=1 prints each step to stderr so tests
 * can count them. Harmless otherwise. */
void xp_fault_point(const char *what);

/* REPO from the -r option or XP_REPO; NULL when neither is set. */
const char *xp_repo_path(const char *opt);

/* Prints s (NULL as "") to stdout as a JSON string; bytes >= 0x80 pass through (UTF-8 stays UTF-8).
 */
void xp_json_string(const char *s);

/* Decodes exactly want bytes of standard base64 from s[0..len), refusing any byte outside the
 * alphabet (libsodium 1.0.18 alone decodes some bytes above 0x7f as letters). 0 or -1. */
int xp_base64_decode(const char *s, size_t len, uint8_t *out, size_t want);

/* Lower-case hex of n bytes into out (2n+1 bytes), and back (either case): 0 or -1. The one
 * hex encoding of the toolkit. */
void xp_hex(const uint8_t *in, size_t n, char *out);
int xp_unhex(const char *s, uint8_t *out, size_t n);

/* printf into a fresh malloc'd string; NULL on failure. */
char *xp_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
