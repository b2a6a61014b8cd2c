/* Reading passwords and owning secret memory (guarded, locked, zeroed when freed). */
#ifndef XP_SECRET_H
#define XP_SECRET_H

#include <stddef.h>

#include "base/err.h"

/* Longest password accepted, in bytes (file or tty). */
#define XP_SECRET_MAX 4096

/* Reads a password into *pw (xp_secret_alloc memory, NUL-terminated; free with xp_secret_free)
 * and its length into *len. Source, first that applies: `file` (a path; "/dev/fd/N" and "-"
 * for stdin work), $XP_PASSWORD_FILE, the controlling terminal (/dev/tty, echo off, `prompt`
 * written there; `confirm` asks twice and refuses a mismatch). The password is the first line,
 * without its "\n" or "\r\n". A password file is opened under the secret-file rule
 * (xp_secret_file_open). A confirmation that differs: XP_EFAIL. Empty password, or no file and
 * no terminal: XP_EUSAGE. */
int xp_secret_password(const char *file, const char *prompt, int confirm, char **pw, size_t *len,
                       struct xp_err *err);

/* Turns core dumps off for the rest of the process (RLIMIT_CORE 0, and not dumpable: no core,
 * no ptrace by other users), so a crash never writes passwords, keys or clear data to disk.
 * Every tool calls it first in main. 0, or XP_EFAIL naming the call that failed. */
int xp_secret_no_core(struct xp_err *err);

/* n bytes of sodium_malloc memory (guarded, mlocked; initialises libsodium first, so it is
 * safe before sodium_init); NULL when out of memory. */
void *xp_secret_alloc(size_t n);
/* Zeroes and frees memory from xp_secret_alloc; NULL is fine. */
void xp_secret_free(void *p);

#endif
