/* What the files of the Windows half of the portability layer (os-win*.c, proc-win.c) share;
 * nothing else includes it but their unit test (tests/unit/base/secret.c). */
#ifndef XP_BASE_OS_INT_H
#define XP_BASE_OS_INT_H

#include <sys/types.h>
#include <wchar.h>
#include <windows.h>

/* errno for GetLastError(). */
int xp_win_errno(void);
/* UTF-8 to a malloc'd UTF-16 string; NULL with errno (EILSEQ for bad UTF-8). */
wchar_t *xp_win_wide(const char *s);
/* UTF-16 to a malloc'd UTF-8 string; NULL with errno. */
char *xp_win_narrow(const wchar_t *w);
/* The private security descriptor of mode (os.h): a protected DACL allowing the token's user
 * what mode's owner bits say and SYSTEM everything, inherited by new files and directories
 * when dir. One malloc'd block the caller frees; NULL with errno. */
SECURITY_DESCRIPTOR *xp_win_private_sd(mode_t mode, int dir);
/* What a file's DACL exposes (os.h: xp_os_exposure, whose rules these are) when owner owns it
 * and user runs us: group and others' rwx bits, 077 for a NULL DACL. Pure: the ACL in memory. */
mode_t xp_win_dacl_exposure(ACL *dacl, PSID owner, PSID user);
/* CreateDirectoryW, private (os.h) when mode gives group and others nothing: 0, or -1 with
 * errno. */
int xp_win_mkdir(const wchar_t *path, mode_t mode);

/* The owner SID of the file at path (the link itself when st is a link): 0 with *owner in *sd,
 * which the caller frees with LocalFree; -1 when it cannot be read. */
int xp_win_file_owner(const char *path, const struct stat *st, PSID *owner,
                      PSECURITY_DESCRIPTOR *sd);

/* The console control handler that xp_os_on_stop installs (os-win-host.c): TRUE when event
 * was a stop request, handed to its fn. */
BOOL WINAPI xp_win_on_ctrl(DWORD event);
#endif
