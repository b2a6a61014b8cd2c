/* Errors: the one error model of the library (codes, one sentence per failure) and the
 * exit statuses of the command-line contract. */
#ifndef XP_BASE_ERR_H
#define XP_BASE_ERR_H

#include <stddef.h>

/* The printf format archetype for checking formats: configure makes it gnu_printf where the
 * compiler's "printf" means Microsoft's (mingw), whose C library here is C99's. */
#ifndef XP_PRINTF
#define XP_PRINTF printf
#endif

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
        __attribute__((format(XP_PRINTF, 3, 4)));
/* Same, with ": strerror(errno)" appended. */
int xp_err_sys(struct xp_err *err, int code, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 3, 4)));
/* Prefixes the recorded message with "subject: " (for adding a file name at a higher level). */
void xp_err_prefix(struct xp_err *err, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 2, 3)));
/* Maps a library code to the contract's exit status. */
int xp_exit_status(int code);

/* The running tool's name, for messages ("xpseal"). Set once in main; the messages themselves
 * are printed by the tools' front end (cli/cli.h). */
extern const char *xp_progname;

#endif
