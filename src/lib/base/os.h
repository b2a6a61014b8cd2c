/* The portability layer: the calls whose POSIX and Windows forms differ, each with one
 * meaning on both. os-posix.c implements them over POSIX, os-win.c over the Win32 API;
 * configure picks one (Makefile.am: if WINDOWS), so that no module carries an #ifdef.
 * These stand in for system calls: each returns what the POSIX call it replaces returns and
 * sets errno, so that a caller's xp_err_sys works unchanged. Paths are UTF-8 on both
 * systems; os-win.c converts them to UTF-16 at the Win32 call. */
#ifndef XP_BASE_OS_H
#define XP_BASE_OS_H

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Open flags and file types that Windows lacks mean "nothing to do" there. Not among them:
 * O_NOFOLLOW, which only xp_os_open_nofollow provides on both. */
#ifdef _WIN32
#include <fcntl.h>
#define O_CLOEXEC     _O_NOINHERIT
#define O_NOCTTY      0
#define O_NONBLOCK    0
#define S_IFLNK       0120000
#define S_IFSOCK      0140000
#define S_ISLNK(m)    (((m)&S_IFMT) == S_IFLNK)
#define S_ISSOCK(m)   (((m)&S_IFMT) == S_IFSOCK)
#define O_DIRECTORY   0x01000000 /* a bit of no flag of Windows' C library */
#define AT_FDCWD      (-100)
#define XP_OS_DEVNULL "NUL"
/* scandir(3) and alphasort(3), which mingw-w64's C library lacks (libc-win.c). */
int alphasort(const struct dirent **a, const struct dirent **b);
int scandir(const char *dir, struct dirent ***out, int (*keep)(const struct dirent *),
            int (*cmp)(const struct dirent **, const struct dirent **));
#else
#define XP_OS_DEVNULL "/dev/null"
#endif

/* flock(2)'s operations, on the whole file: shared or exclusive, not waiting, unlocking. */
#define XP_LOCK_SH 1
#define XP_LOCK_EX 2
#define XP_LOCK_NB 4
#define XP_LOCK_UN 8

/* Makes *argv UTF-8: on Windows the arguments as typed (from the UTF-16 command line, not
 * the ANSI code page), on POSIX as they are. The new vector lives until the process ends. */
int xp_os_args(int *argc, char ***argv);
/* Whether the narrow ("ANSI") calls of the C library and of ODBC speak UTF-8: always on
 * POSIX (bytes as given); on Windows when the process's code page is UTF-8, which the
 * programs' manifest asks for and Windows 10 1903, Server 2022 and later grant. */
int xp_os_narrow_utf8(void);
/* Standard input and output carry bytes: no CR LF translation, no ^Z as end of file. */
int xp_os_stdio_binary(void);
/* open(2), never through a symbolic link (or, on Windows, a junction or other reparse
 * point) at path's last component: ELOOP. Close-on-exec, binary. */
int xp_os_open_nofollow(const char *path, int flags, mode_t mode);
/* open(2), close-on-exec and binary; O_DIRECTORY opens a directory (for xp_os_openat). */
int xp_os_open(const char *path, int flags, mode_t mode);

/* Directories as descriptors, for the *at calls: each names a file by a directory descriptor
 * (from xp_os_open or xp_os_openat with O_DIRECTORY, or AT_FDCWD) and a name in it, and none
 * follows a symbolic link at that name. Windows: the descriptor holds a handle to the
 * directory (it cannot be removed while open), and names under it are reached through the
 * directory's current path (GetFinalPathNameByHandleW). */
/* openat(2) with O_NOFOLLOW | O_CLOEXEC: ELOOP at a link; O_DIRECTORY: ENOTDIR if not one. */
int xp_os_openat(int dfd, const char *name, int flags, mode_t mode);
/* fstatat(2) with AT_SYMLINK_NOFOLLOW. */
int xp_os_lstatat(int dfd, const char *name, struct stat *st);
/* unlinkat(2) of a file (a link is removed itself, never its target). */
int xp_os_unlinkat(int dfd, const char *name);
/* renameat(2) within one directory, over an existing file, atomically (as xp_os_replace). */
int xp_os_renameat(int dfd, const char *from, const char *to);
/* Whether name under dfd (not followed) is the very file fd has open: 1 it is, 0 it is not or
 * is gone, -1 with errno on failure. POSIX: st_dev and st_ino; Windows: volume and file index. */
int xp_os_same_file(int fd, int dfd, const char *name);
/* Whether the directories a and b (followed) are the same one: 1 they are, 0 they are not or
 * either is gone. POSIX: st_dev and st_ino; Windows (whose stat has no inode): volume and file
 * index. */
int xp_os_same_dir(const char *a, const char *b);
/* fsync(2) of a directory descriptor (Windows: nothing to do, see xp_os_fsync_dir). */
int xp_os_fsync_dirfd(int dfd);
/* mkdirat(2), the mode as xp_os_mkdir's. */
int xp_os_mkdirat(int dfd, const char *name, mode_t mode);
/* fdopendir(3): the stream owns fd from then on, also on failure; xp_os_dirfd gives it back
 * for the *at calls, xp_os_closedir closes both. */
DIR *xp_os_fdopendir(int fd);
int xp_os_dirfd(DIR *d);
int xp_os_closedir(DIR *d);

/* mkostemp(3) with O_CLOEXEC: a new file (0600 on POSIX; Windows: the access its folder
 * gives, until xp_os_fchmod), binary. */
int xp_os_mkstemp(char *tmpl);
/* mkdtemp(3): a new directory, private as xp_os_mkdir's 0700; tmpl, or NULL with errno. */
char *xp_os_mkdtemp(char *tmpl);
/* rename(2) over an existing file, atomically. On Windows MoveFileExW with
 * MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH: it returns once the move is on disk. */
int xp_os_replace(const char *from, const char *to);
/* fsync(2); FlushFileBuffers on Windows. */
int xp_os_fsync(int fd);
/* Makes the names in directory dir durable (fsync of the directory). Windows has no such
 * call, and needs none here: xp_os_replace writes a rename through to disk before it
 * returns, and NTFS journals the creation of names; so it checks dir is a directory. */
int xp_os_fsync_dir(const char *dir);
/* flock(2) with XP_LOCK_*: advisory, on the open file (released by unlock or close), a
 * conversion between shared and exclusive is unlock then lock, EWOULDBLOCK when
 * XP_LOCK_NB finds it taken. Windows: LockFileEx on one byte far past any end of file, so
 * that the lock stops other lockers and no reader or writer of the data. */
int xp_os_lock(int fd, int op);
/* The last component of path: past its last '/' (on Windows also past a '\\' or a drive's
 * "X:"); path itself when it has none. */
const char *xp_os_path_base(const char *path);
/* Whether path is absolute: "/..." on POSIX; on Windows also "X:/", "X:\\" and "\\\\server\\share".
 */
int xp_os_path_absolute(const char *path);
/* lstat(2); on Windows a reparse point (symbolic link, junction) is S_IFLNK. */
int xp_os_lstat(const char *path, struct stat *st);
/* Private files on Windows: a mode that gives group and others nothing (0600, 0700) is a
 * protected DACL (none of the folder's entries inherited, now or later) that allows the
 * token's user what the owner bits say, and SYSTEM everything: SYSTEM is Windows itself
 * (services, the Task Scheduler, backup privileges read any file whatever its ACL), as root
 * is on POSIX, and a file kept from it breaks the tools that run as it. Any other mode leaves
 * the access that the folder's ACL gives, as Windows administrators expect of a new file.
 * xp_os_open, xp_os_open_nofollow and xp_os_openat that create a file with a private mode
 * make it private from its first byte. */
/* mkdir(2) with mode; Windows: a private mode makes a private directory whose entries its new
 * files and directories inherit (so they are private before any xp_os_fchmod). */
int xp_os_mkdir(const char *path, mode_t mode);
/* fchmod(2); Windows: a private mode sets the private DACL (above), any other does nothing. */
int xp_os_fchmod(int fd, mode_t mode);
/* The group and others' permission bits of an open file, for the secret-file rule (POSIX:
 * st_mode & 077). Windows, from the DACL: every entry that allows (a deny is not counted, so
 * this errs towards open) reading, writing or running to a SID that is neither the file's
 * owner, the token's user, OWNER RIGHTS, CREATOR OWNER nor SYSTEM. Everyone, Authenticated Users,
 * Users, Guests, Anonymous, Interactive, Network, Batch, Service and a domain's Users and Guests
 * count as others, every other SID (Administrators among them: a group of people) as group.
 * WRITE_DAC or WRITE_OWNER count as reading and writing (they can grant both). A NULL DACL
 * (FAT, exFAT: no ACLs at all), or one that cannot be read, is 077: open to all. */
mode_t xp_os_exposure(int fd, const struct stat *st);
/* Whether the file at path, which st (its lstat, or stat when a link is followed) describes,
 * belongs to the user running us. POSIX: st_uid is the euid. Windows: the owner SID read
 * from path (the link itself when st is a link) is the token's user, or its default owner for
 * new files (Administrators, when elevated or SYSTEM); 0 when it cannot be read. */
int xp_os_owned(const char *path, const struct stat *st);
/* Who owns the file at path that st describes, for a message, malloc'd (NULL when out of
 * memory): POSIX "uid N"; Windows the owner's account ("DOMAIN\name"), or its SID
 * ("S-1-5-21-...") when no account of that SID is known here, read as xp_os_owned reads it;
 * "an owner that cannot be read" when it cannot be. */
char *xp_os_owner_name(const char *path, const struct stat *st);
/* What the message refusing an exposed secret file tells its owner to do. */
#ifdef _WIN32
#define XP_OS_PRIVATE_HINT "give it to its owner alone (icacls /inheritance:r /grant:r)"
#else
#define XP_OS_PRIVATE_HINT "chmod 600 it"
#endif
/* realpath(3) into a malloc'd string the caller frees; NULL with errno on failure. */
char *xp_os_realpath(const char *path);
/* Clears O_NONBLOCK on fd (Windows: nothing, it never is). */
int xp_os_set_blocking(int fd);
/* pipe2(2) with O_CLOEXEC: fds[0] reads what fds[1] writes; binary on Windows. */
int xp_os_pipe(int fds[2]);
/* When fd is a pipe, asks for size bytes of buffer (or the most allowed); Windows: nothing
 * (xp_pipe_grow in io.h says why). */
void xp_os_pipe_grow(int fd, long size);
/* open_memstream(3): text written to the stream is in *buf (malloc'd, NUL-terminated; the
 * caller frees it) and *len once xp_os_memstream_close returns 0. Windows: a temp file that
 * is gone when closed, read back into *buf then. */
FILE *xp_os_memstream(char **buf, size_t *len);
int xp_os_memstream_close(FILE *f);
/* setenv(3) (overwriting) and unsetenv(3). */
int xp_os_setenv(const char *name, const char *value);
int xp_os_unsetenv(const char *name);
/* Whether we run as the superuser (POSIX euid 0; Windows: never asked, 0), who keeps state
 * in xp_os_system_state_dir. */
int xp_os_privileged(void);
/* Where the system's state lives: /var/lib/xpbackup; Windows %ProgramData%/xpbackup
 * (C:/ProgramData/xpbackup). */
const char *xp_os_system_state_dir(void);
/* The number of processors online, at least 1. */
int xp_os_ncpu(void);
/* Turns core dumps off for the rest of the process, so that a crash never writes secrets to
 * disk: POSIX RLIMIT_CORE 0 and (Linux) not dumpable, which also stops ptrace by others;
 * Windows: no crash dialog or Windows Error Reporting dump for this process. */
int xp_os_no_core(void);
/* Prompts on the terminal (POSIX /dev/tty; Windows the console, CONIN$ and CONOUT$) with
 * echo off and reads one line, without its line end, into buf (max + 1 bytes, NUL-terminated;
 * nothing else keeps a copy), then turns echo back on, also when a signal (Windows: Ctrl+C)
 * ends the process meanwhile. -1 with errno: ENXIO when there is no terminal (Windows: no
 * console, or one in a window station no one sees, as a task's that runs whether its user is
 * logged on or not), EMSGSIZE when the line is longer than max bytes (Windows reads the rest
 * of the line all the same), EINTR (Windows) when Ctrl+C ended the read. */
int xp_os_tty_password(const char *prompt, char *buf, size_t max, size_t *len);
/* An open file that no name reaches and that is gone when closed, in dir: POSIX O_TMPFILE,
 * else a mkstemp name unlinked at once; Windows a new file opened to be deleted on close. */
int xp_os_tmpfile(const char *dir);
/* The directory for temporary files: $TMPDIR, else $TEMP (Windows'), else /tmp. */
const char *xp_os_temp_dir(void);
/* Whether descriptor fd is open: 1 or 0. */
int xp_os_fd_open(int fd);
/* The paths that match pattern (glob(3); on Windows wildcards only in its last component),
 * in *paths (n of them, malloc'd, xp_os_glob_free frees them): 0, with none when nothing
 * matches; -1 with errno on failure. */
int xp_os_glob(const char *pattern, char ***paths, size_t *n);
void xp_os_glob_free(char **paths, size_t n);
/* Whether c separates the names in a path: '/'; on Windows also '\'. */
int xp_os_path_sep(int c);
/* The length of path's root, the part before its first name, of which no directory is made:
 * POSIX "/" (1); Windows also "\", a drive ("C:", "C:\"), a share ("\\server\share\") and
 * each of those behind "\\?\" ("\\?\C:\", "\\?\UNC\server\share\"), with either separator;
 * 0 for a relative path. Pure: the string only. */
size_t xp_os_path_root(const char *path);
/* n bytes aligned to align (a power of two, a multiple of the pointer size): posix_memalign(3),
 * Windows _aligned_malloc; NULL on failure. Freed by xp_os_aligned_free alone. */
void *xp_os_aligned_alloc(size_t align, size_t n);
void xp_os_aligned_free(void *p);
/* fn(name of the signal) runs once when the process faults (SIGSEGV, SIGBUS; Windows an
 * access violation), in a signal handler; the fault then recurs, unhandled. */
void xp_os_on_crash(void (*fn)(const char *signame));
/* syslog(3)'s priorities, for xp_os_log. */
#define XP_LOG_ERR     3
#define XP_LOG_WARNING 4
#define XP_LOG_INFO    6
/* Sends one line to the system's log, printing nothing anywhere else. POSIX: syslog(3) with
 * ident xpbackup, facility daemon, the pid; prio is LOG_ERR..LOG_DEBUG (0..7). Windows: the
 * Application event log, source xpbackup (registered at install: README.md "Windows"), event
 * ID 1 information (LOG_NOTICE and below), 2 warning, 3 error (LOG_ERR and above), msg as its
 * one string. 0 when sent; -1 with errno (EINVAL: prio out of range; Windows: the log could
 * not be opened or written), which a caller with another log may ignore. */
int xp_os_log(int prio, const char *msg);
/* The host as a job sees it (os-posix-host.c, os-win-host.c). */
/* Where a system-wide configuration lives: /etc/xpbackup; Windows %ProgramData%/xpbackup. */
const char *xp_os_config_dir(void);
/* Where a job keeps its work files unless told: /var/tmp; Windows %ProgramData%/xpbackup
 * (private to SYSTEM and its administrators: README.md "Installing on Windows"). */
const char *xp_os_work_dir(void);
/* The bytes that the running user may still write to the file system holding path: 0, or -1
 * with errno. POSIX statvfs(3)'s f_bavail * f_frsize; Windows GetDiskFreeSpaceExW's free bytes
 * available to the caller (its disk quota counted). */
int xp_os_free_space(const char *path, unsigned long long *bytes);
/* The name of the user running us, malloc'd (the caller frees it): POSIX the effective uid's
 * login name (getpwuid), or the uid in decimal; Windows GetUserNameW's, in UTF-8. NULL with
 * errno. */
char *xp_os_user_name(void);
/* Whether the file at path, which st describes (as for xp_os_owned), belongs to the system's
 * administrator: POSIX root (uid 0); Windows SYSTEM or the Administrators group. */
int xp_os_owned_by_admin(const char *path, const struct stat *st);
/* The administrator that xp_os_owned_by_admin accepts, for messages. */
#ifdef _WIN32
#define XP_OS_ADMIN_NAME "SYSTEM or Administrators"
#else
#define XP_OS_ADMIN_NAME "root"
#endif
/* Requests to stop: fn(sig, what) runs for each, and the process goes on (fn decides what
 * to do; it must be safe in a signal handler). POSIX: SIGINT, SIGTERM and SIGHUP, what their
 * names ("SIGINT"). Windows, from the console's control handler (SetConsoleCtrlHandler), in
 * a thread of its own: Ctrl+C is SIGINT, what "Ctrl+C"; Ctrl+Break, the console window closed,
 * the user logging off and the system shutting down are SIGTERM, what "Ctrl+Break", "the
 * console closing", "logoff", "shutdown". After the last three Windows ends the process when
 * the handler returns (5 s after a close, more at shutdown): the handler waits until then,
 * so that the main thread has that long to finish and exit with its own status.
 * TerminateProcess (Task Scheduler's "End", taskkill /f) runs no handler, as SIGKILL. */
void xp_os_on_stop(void (*fn)(int sig, const char *what));
/* The name of signal sig without "SIG" ("TERM"), for a status 128 + sig; NULL when not
 * known. Windows has no signals between processes: INT, KILL and TERM only, whose statuses
 * a child stopped there ends with (proc.h, xp_os_on_stop). */
const char *xp_os_signame(int sig);
/* Ends the process at once, as SIGKILL would (the crash tests' fault points). */
void xp_os_kill_self(void);
/* Stops the process until it is continued, as SIGSTOP would (Windows: does nothing). */
void xp_os_stop_self(void);

#endif
