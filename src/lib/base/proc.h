/* Child processes, on both systems: start a program with its standard streams on descriptors
 * of ours, wait for it (with a time limit), stop it, find it on PATH. proc-posix.c spawns with
 * posix_spawn, proc-win.c with CreateProcessW (no console window, only the three standard
 * handles inherited); configure picks one (Makefile.am: if WINDOWS). A child gets our
 * environment as it is when it starts.
 * A status is the shell's: the exit code, or 128 + N when signal N ended the child (POSIX).
 * On Windows xp_proc_term ends a child with 143 and xp_proc_kill with 137, the statuses a
 * POSIX child stopped by SIGTERM or SIGKILL has, so that callers read them alike. */
#ifndef XP_BASE_PROC_H
#define XP_BASE_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A started child; the caller owns the struct (it may be static, for a signal handler to stop
 * the child). running is 1 from xp_proc_spawn until xp_proc_wait has seen the child end. */
struct xp_proc {
	intptr_t id; /* POSIX: the pid; Windows: the process handle */
	volatile int running;
};

/* The child's standard input, output and error: a descriptor of ours for each, or -1 for
 * ours itself (inherited). */
struct xp_proc_io {
	int in, out, err;
};
#define XP_PROC_INHERIT                                                                            \
	{                                                                                          \
		-1, -1, -1                                                                         \
	}

/* The status given when xp_proc_capture's time limit ended the child (timeout(1)'s). */
#define XP_PROC_TIMEOUT 124

/* pipe(2) with both ends close-on-exec and binary: a child gets an end only through
 * xp_proc_io. fds[0] reads, fds[1] writes. */
int xp_proc_pipe(int fds[2], struct xp_err *err);
/* Starts the program at path argv[0] (not looked up: see xp_proc_find) with arguments argv
 * (NULL-terminated) and standard streams io. XP_EFAIL "PROGRAM: REASON" when it cannot
 * start (on POSIX a program that exists but cannot be executed starts and exits 127). */
int xp_proc_spawn(struct xp_proc *p, char *const argv[], const struct xp_proc_io *io,
                  struct xp_err *err);
/* Waits for p to end, at most timeout_ms milliseconds (-1: for as long as it runs); a signal
 * that interrupts the wait does not end it. *status is the child's status, and p is no longer
 * running; or -1 when the time passed first (p still running). */
int xp_proc_wait(struct xp_proc *p, long timeout_ms, int *status, struct xp_err *err);
/* Asks a running p to stop (SIGTERM; Windows: TerminateProcess, status 143) / stops it at
 * once (SIGKILL; Windows: status 137). Nothing when p is not running. Safe in a signal
 * handler (POSIX) and from another thread (Windows' console control handler). */
void xp_proc_term(struct xp_proc *p);
void xp_proc_kill(struct xp_proc *p);
/* Runs argv to its end (argv[0] a path) with standard input from the null device, for at most
 * timeout_ms milliseconds (-1: no limit; past it the child is stopped as by xp_proc_term and
 * *status is XP_PROC_TIMEOUT), keeping up to max bytes of its standard output, and of its standard
 * error too when merge_err (else it goes to the null device), in *out (malloc'd, NUL-terminated;
 * the caller frees it; *len may be NULL). */
int xp_proc_capture(char *const argv[], long timeout_ms, int merge_err, size_t max, char **out,
                    size_t *len, int *status, struct xp_err *err);
/* xp_proc_capture's end on both systems (proc.c), once b holds what was read: stops p when
 * late, waits for it, and hands b over to *out and *len. */
struct xp_sbuf;
int xp_proc_capture_end(struct xp_proc *p, int late, struct xp_sbuf *b, const char *name,
                        int *status, char **out, size_t *len, struct xp_err *err);
/* The program name would run as: dir/name (Windows: also name.exe) when dir is given and it is
 * executable there, else the first one of the directories in PATH. A malloc'd path the caller
 * frees, or NULL when there is none. */
char *xp_proc_find(const char *dir, const char *name);
/* The directory of the running program (argv0 as main got it: POSIX uses it when it names
 * a path; Windows asks the system), malloc'd; NULL when it is not known. */
char *xp_proc_self_dir(const char *argv0);

#endif
