/* Secret files for the unit tests, the same on POSIX and Windows: whether a file is its
 * owner's alone, and making one readable by others (POSIX: group read, chmod 0640; Windows:
 * Everyone allowed to read and run, icacls FILE /grant Everyone:(RX)) and private again. */
#ifndef XP_TEST_ACL_H
#define XP_TEST_ACL_H

#include "base/os.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <windows.h>
#include <aclapi.h>
/* The refusal of a file that loosen opened up, after "PATH: ". */
#define LOOSE_MSG "readable by others (mode 0605); " XP_OS_PRIVATE_HINT
#else
#define LOOSE_MSG "readable by group (mode 0640); " XP_OS_PRIVATE_HINT
#endif

/* Whether path is 0600 and, on Windows, its DACL lets no one else at it. */
static inline int is_private(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return 0;
	rc = fstat(fd, &st) == 0 && (st.st_mode & 0700) == 0600 && xp_os_exposure(fd, &st) == 0;
	close(fd);
	return rc;
}

/* xp_os_fchmod(0600) on path; 0 or -1. */
static inline int tighten(const char *path)
{
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return -1;
	rc = xp_os_fchmod(fd, 0600);
	close(fd);
	return rc;
}

/* Lets others read path (LOOSE_MSG says how); 0 or -1. */
static inline int loosen(const char *path)
{
#ifdef _WIN32
	EXPLICIT_ACCESSW ea = {0};
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL old = NULL, acl = NULL;
	wchar_t w[4096];
	HANDLE h;
	int rc = -1;

	if (!MultiByteToWideChar(CP_UTF8, 0, path, -1, w, sizeof w / sizeof w[0]))
		return -1;
	h = CreateFileW(w, READ_CONTROL | WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
	                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	ea.grfAccessPermissions = FILE_GENERIC_READ | FILE_GENERIC_EXECUTE;
	ea.grfAccessMode = GRANT_ACCESS;
	ea.grfInheritance = NO_INHERITANCE;
	ea.Trustee.TrusteeForm = TRUSTEE_IS_NAME;
	ea.Trustee.TrusteeType = TRUSTEE_IS_WELL_KNOWN_GROUP;
	ea.Trustee.ptstrName = L"EVERYONE";
	if (GetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &old, NULL,
	                    &sd) == ERROR_SUCCESS &&
	    SetEntriesInAclW(1, &ea, old, &acl) == ERROR_SUCCESS &&
	    SetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, acl, NULL) ==
	            ERROR_SUCCESS)
		rc = 0;
	LocalFree(acl);
	LocalFree(sd);
	CloseHandle(h);
	return rc;
#else
	return chmod(path, 0640);
#endif
}

#endif
