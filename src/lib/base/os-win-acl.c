/* The secret-file rule on Windows (os.h: private modes, xp_os_fchmod, xp_os_exposure,
 * xp_os_owned): DACLs written and read with the Win32 security API. The DACL is written
 * with SetKernelObjectSecurity, not SetSecurityInfo: the file gets exactly the entries given,
 * protected, and no entry of its folder is merged in (wine's SetSecurityInfo merges them even
 * into a protected DACL). */
#include "config.h"

#include "base/os.h"
#include "base/os-int.h"
#include "base/str.h"

#include <errno.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

static int fail(void)
{
	errno = xp_win_errno();
	return -1;
}

/* GetTokenInformation of the process token into a malloc'd buffer; NULL with errno. */
static void *token_info(TOKEN_INFORMATION_CLASS what)
{
	HANDLE tok;
	DWORD n = 0;
	void *b = NULL;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		fail();
		return NULL;
	}
	if (!GetTokenInformation(tok, what, NULL, 0, &n) &&
	    GetLastError() != ERROR_INSUFFICIENT_BUFFER)
		fail();
	else if (!(b = malloc(n)))
		errno = ENOMEM;
	else if (!GetTokenInformation(tok, what, b, n, &n)) {
		fail();
		free(b);
		b = NULL;
	}
	CloseHandle(tok);
	return b;
}

/* The access that a mode's owner bits give: all (so that a directory's owner may add and
 * remove entries) with w, else reading and running as r and x say. */
static DWORD owner_rights(mode_t mode)
{
	DWORD r = 0;

	if (mode & 0200)
		return FILE_ALL_ACCESS;
	if (mode & 0400)
		r |= FILE_GENERIC_READ;
	if (mode & 0100)
		r |= FILE_GENERIC_EXECUTE;
	return r;
}

SECURITY_DESCRIPTOR *xp_win_private_sd(mode_t mode, int dir)
{
	DWORD inherit = dir ? OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE : 0;
	BYTE system[SECURITY_MAX_SID_SIZE];
	DWORD syslen = sizeof system, acllen;
	SECURITY_DESCRIPTOR *sd = NULL;
	TOKEN_USER *tu = token_info(TokenUser);
	PACL acl;

	if (!tu)
		return NULL;
	if (!CreateWellKnownSid(WinLocalSystemSid, NULL, system, &syslen)) {
		fail();
		goto out;
	}
	acllen = sizeof(ACL) + 2 * sizeof(ACCESS_ALLOWED_ACE) + GetLengthSid(tu->User.Sid) +
	         GetLengthSid(system);
	if (!(sd = malloc(sizeof *sd + acllen))) {
		errno = ENOMEM;
		goto out;
	}
	acl = (PACL)(sd + 1);
	if (!InitializeSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION) ||
	    !InitializeAcl(acl, acllen, ACL_REVISION) ||
	    !AddAccessAllowedAceEx(acl, ACL_REVISION, inherit, owner_rights(mode), tu->User.Sid) ||
	    !AddAccessAllowedAceEx(acl, ACL_REVISION, inherit, FILE_ALL_ACCESS, system) ||
	    !SetSecurityDescriptorDacl(sd, TRUE, acl, FALSE) ||
	    !SetSecurityDescriptorControl(sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED)) {
		fail();
		free(sd);
		sd = NULL;
	}
out:
	free(tu);
	return sd;
}

int xp_win_mkdir(const wchar_t *path, mode_t mode)
{
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
	int rc;

	if (!(mode & 077) && !(sa.lpSecurityDescriptor = xp_win_private_sd(mode, 1)))
		return -1;
	rc = CreateDirectoryW(path, sa.lpSecurityDescriptor ? &sa : NULL) ? 0 : fail();
	free(sa.lpSecurityDescriptor);
	return rc;
}

int xp_os_fchmod(int fd, mode_t mode)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd), dac = INVALID_HANDLE_VALUE;
	BY_HANDLE_FILE_INFORMATION info;
	SECURITY_DESCRIPTOR *sd = NULL;
	int rc = -1;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (mode & 077)
		return 0;
	if (!GetFileInformationByHandle(h, &info)) {
		fail();
		goto out;
	}
	if (!(sd = xp_win_private_sd(mode, !!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))))
		goto out;
	/* fd's handle need not have WRITE_DAC; a second one has it (a file's owner may always
	 * change its DACL) */
	dac = ReOpenFile(h, WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
	                 FILE_FLAG_BACKUP_SEMANTICS);
	if (dac == INVALID_HANDLE_VALUE)
		fail();
	else if (!SetKernelObjectSecurity(
	                 dac, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, sd))
		fail();
	else
		rc = 0;
out:
	if (dac != INVALID_HANDLE_VALUE)
		CloseHandle(dac);
	free(sd);
	return rc;
}

/* Whether sid stands for many people: a well-known group anyone may be in, or a domain's
 * Users or Guests. */
static int broad(PSID sid)
{
	static const WELL_KNOWN_SID_TYPE many[] = {
	        WinWorldSid,         WinLocalSid,     WinAuthenticatedUserSid, WinBuiltinUsersSid,
	        WinBuiltinGuestsSid, WinAnonymousSid, WinInteractiveSid,       WinNetworkSid,
	        WinBatchSid,         WinServiceSid,
	};
	SID_IDENTIFIER_AUTHORITY nt = {SECURITY_NT_AUTHORITY};
	DWORD rid;
	UCHAR n;

	for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
		if (IsWellKnownSid(sid, many[i]))
			return 1;
	n = *GetSidSubAuthorityCount(sid);
	if (n < 2 || memcmp(GetSidIdentifierAuthority(sid), &nt, sizeof nt) != 0 ||
	    *GetSidSubAuthority(sid, 0) != SECURITY_NT_NON_UNIQUE)
		return 0;
	rid = *GetSidSubAuthority(sid, n - 1);
	return rid == DOMAIN_GROUP_RID_USERS || rid == DOMAIN_GROUP_RID_GUESTS;
}

/* rwx bits (4, 2, 1) of what an allowed entry's mask lets its SID do with a file. */
static mode_t rwx(ACCESS_MASK mask)
{
	GENERIC_MAPPING map = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
	                       FILE_ALL_ACCESS};
	mode_t m = 0;

	MapGenericMask(&mask, &map);
	if (mask & FILE_READ_DATA)
		m |= 4;
	if (mask & (FILE_WRITE_DATA | FILE_APPEND_DATA))
		m |= 2;
	if (mask & FILE_EXECUTE)
		m |= 1;
	if (mask & (WRITE_DAC | WRITE_OWNER)) /* they can grant themselves the rest */
		m |= 6;
	return m;
}

mode_t xp_win_dacl_exposure(ACL *dacl, PSID owner, PSID user)
{
	mode_t m = 0;

	if (!dacl)
		return 077;
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *ace;
		PSID sid;
		mode_t bits;

		if (!GetAce(dacl, i, (void **)&ace))
			return 077;
		/* an allowed entry that applies to this file (callback entries have the same
		 * layout); denies and audits are not counted */
		if ((ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE &&
		     ace->Header.AceType != ACCESS_ALLOWED_CALLBACK_ACE_TYPE) ||
		    (ace->Header.AceFlags & INHERIT_ONLY_ACE))
			continue;
		sid = (PSID)&ace->SidStart;
		bits = rwx(ace->Mask);
		if (!bits || (owner && EqualSid(sid, owner)) || (user && EqualSid(sid, user)) ||
		    IsWellKnownSid(sid, WinCreatorOwnerRightsSid) ||
		    IsWellKnownSid(sid, WinCreatorOwnerSid) ||
		    IsWellKnownSid(sid, WinLocalSystemSid))
			continue;
		m |= broad(sid) ? bits : bits << 3;
	}
	return m;
}

mode_t xp_os_exposure(int fd, const struct stat *st)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	PSECURITY_DESCRIPTOR sd = NULL;
	TOKEN_USER *tu = NULL;
	PSID owner = NULL;
	PACL dacl = NULL;
	mode_t m = 077;

	(void)st;
	if (h != INVALID_HANDLE_VALUE &&
	    GetSecurityInfo(h, SE_FILE_OBJECT,
	                    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, NULL,
	                    &dacl, NULL, &sd) == ERROR_SUCCESS &&
	    (tu = token_info(TokenUser)))
		m = xp_win_dacl_exposure(dacl, owner, tu->User.Sid);
	free(tu);
	LocalFree(sd);
	return m;
}

int xp_win_file_owner(const char *path, const struct stat *st, PSID *owner,
                      PSECURITY_DESCRIPTOR *sd)
{
	HANDLE h = INVALID_HANDLE_VALUE;
	wchar_t *w = xp_win_wide(path);
	int rc = -1;

	*owner = NULL;
	*sd = NULL;
	if (!w)
		goto out;
	h = CreateFileW(w, READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
	                NULL, OPEN_EXISTING,
	                FILE_FLAG_BACKUP_SEMANTICS |
	                        (S_ISLNK(st->st_mode) ? FILE_FLAG_OPEN_REPARSE_POINT : 0),
	                NULL);
	if (h == INVALID_HANDLE_VALUE ||
	    GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, owner, NULL, NULL, NULL,
	                    sd) != ERROR_SUCCESS ||
	    !*owner)
		goto out;
	rc = 0;
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	free(w);
	return rc;
}

int xp_os_owned(const char *path, const struct stat *st)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	TOKEN_USER *tu = NULL;
	TOKEN_OWNER *to = NULL;
	PSID owner = NULL;
	int rc = 0;

	if (xp_win_file_owner(path, st, &owner, &sd) != 0 || !(tu = token_info(TokenUser)) ||
	    !(to = token_info(TokenOwner)))
		goto out;
	rc = EqualSid(owner, tu->User.Sid) || EqualSid(owner, to->Owner);
out:
	LocalFree(sd);
	free(tu);
	free(to);
	return rc;
}

char *xp_os_owner_name(const char *path, const struct stat *st)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL;
	wchar_t name[256], domain[256], *sid = NULL;
	DWORD nn = sizeof name / sizeof name[0], nd = sizeof domain / sizeof domain[0];
	SID_NAME_USE use;
	char *u = NULL, *d = NULL, *s = NULL;

	if (xp_win_file_owner(path, st, &owner, &sd) != 0) {
		s = strdup("an owner that cannot be read");
		goto out;
	}
	if (LookupAccountSidW(NULL, owner, name, &nn, domain, &nd, &use)) {
		if ((u = xp_win_narrow(name)) && (d = xp_win_narrow(domain)))
			s = *d ? xp_asprintf("%s\\%s", d, u) : strdup(u);
	} else if (ConvertSidToStringSidW(owner, &sid)) {
		s = xp_win_narrow(sid);
	} else {
		s = strdup("an owner that cannot be read");
	}
out:
	LocalFree(sid);
	LocalFree(sd);
	free(u);
	free(d);
	return s;
}
