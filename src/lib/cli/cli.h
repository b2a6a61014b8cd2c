/* What every tool's front end shares: its messages ("tool: subject: reason" on stderr), usage
 * errors, option parsing with one answer to a bad option, --help and --version, "-" for
 * standard input or output, the rule that clear data never goes to a terminal, and the
 * connection-string file read under the one secret-file rule (xp_secret_file_open). The one
 * library module that prints: messages on stderr, --help and --version on stdout. It holds no
 * database or crypto code. */
#ifndef XP_CLI_H
#define XP_CLI_H

#include <getopt.h>

#include "base/err.h"

/* Prints "tool: message" on stderr. */
void xp_warn(const char *fmt, ...) __attribute__((format(XP_PRINTF, 1, 2)));
/* Prints "tool: err->msg" on stderr and returns the exit status for err->code. */
int xp_fail(const struct xp_err *err);
/* Prints "tool: message" and a hint to run with --help; returns XP_EXIT_USAGE. */
int xp_usage_error(const char *fmt, ...) __attribute__((format(XP_PRINTF, 1, 2)));

/* The --version entry every tool's option table ends with (before its terminator); the value
 * is above any short option and any tool's own long-option values. */
/* clang-format off */
#define XP_CLI_VERSION        0x10000
#define XP_CLI_VERSION_OPTION {"version", no_argument, NULL, XP_CLI_VERSION}
#define XP_CLI_VERSION_HELP   "      --version        print the version and exit\n"
/* clang-format on */
/* What xp_cli_getopt returns for a bad option, once it has said so. */
#define XP_CLI_BAD '?'

/* getopt_long (shortopts without a leading ':') with the one answer to a bad option: an
 * unknown option, a missing argument or an argument to an option that takes none prints
 * "tool: unknown option --foo" (or "option -r needs an argument", "option --json takes no
 * argument") and the --help hint, and returns XP_CLI_BAD; the caller exits XP_EXIT_USAGE. */
int xp_cli_getopt(int argc, char *const argv[], const char *shortopts,
                  const struct option *longopts);
/* --version: prints "tool (xpbackup) X.Y.Z" on stdout; the exit status. */
int xp_cli_version(void);
/* --help: prints text on stdout; the exit status (1 if stdout cannot be written). */
int xp_cli_help(const char *text);

/* Called first in main: a standard stream that was closed (cmd >&-, cmd <&-) is opened on
 * /dev/null the other way round, read-only for output and write-only for input, so using it
 * fails (EBADF) instead of the next file the tool opens taking its number: a backup would be
 * sealed from the tool's own temporary file, an opened one written into a spool file. */
int xp_cli_stdfds(struct xp_err *err);
/* The arguments as UTF-8 (Windows: as typed, not in the ANSI code page; base/os.h
 * xp_os_args), before anything reads them. */
int xp_cli_args(int *argc, char ***argv, struct xp_err *err);
/* Called last in main: standard output flushed, and any write to it that failed, now or
 * earlier (a full disk, /dev/full, a closed pipe), is XP_EFAIL "standard output: REASON":
 * a report that was lost must not end with status 0. */
int xp_cli_flush_stdout(struct xp_err *err);

/* 1 when a file name means standard input or output: NULL (not given) or "-". */
int xp_cli_stdio(const char *name);
/* Clear data (a dump stream, an opened backup) never goes to a terminal: XP_EUSAGE when output
 * means standard output (xp_cli_stdio) and that is a terminal. A file named by -o is the
 * user's choice and is not checked. */
int xp_cli_clear_output(const char *output, struct xp_err *err);

/* Reads a connection string (it may hold a password) from path under the secret-file rule:
 * its first line, without "\n" or "\r\n", into *connstr (malloc'd; free with xp_cli_dsn_free,
 * which wipes it). A file larger than 64 KiB fails (XP_EFAIL), an empty line is XP_EUSAGE. */
int xp_cli_dsn_file(const char *path, char **connstr, struct xp_err *err);
/* Wipes and frees a string from xp_cli_dsn_file; NULL is fine. */
void xp_cli_dsn_free(char *connstr);

/* REPO from the -r option or XP_REPO; NULL when neither is set. */
const char *xp_repo_path(const char *opt);

#endif
