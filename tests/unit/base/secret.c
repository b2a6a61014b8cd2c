/* The secret-file rule on POSIX and (under wine) Windows: private files and directories
 * (xp_os_fchmod, xp_os_mkdir), what xp_os_exposure reads (mode bits, DACLs), xp_os_owned;
 * and xp_os_tty_password without a terminal. */
#include "config.h"

#include "base/afile.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

#include "../acl.h"
#include "../tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include "base/os-int.h"

#include <sddl.h>
#else
#include <sys/wait.h>
#endif

static char dir[4096];

#ifdef _WIN32
/* wine implements Windows' ACLs in part: a check that means nothing there is skipped. */
static int under_wine(void)
{
	return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
}
#endif

/* What xp_secret_file_open says of path: 0, or its code with its message in msg. */
static int verdict(const char *path, char *msg, size_t size)
{
	struct xp_err err = {0};
	int fd, rc = xp_secret_file_open(path, &fd, NULL, &err);

	if (rc == 0)
		close(fd);
	snprintf(msg, size, "%s", rc ? err.msg : "");
	return rc;
}

static void secret_files(void)
{
	char *p = xp_asprintf("%s/fresh.key", dir), *want = xp_asprintf("%s: " LOOSE_MSG, p);
	char msg[1024];

	is_int(xp_file_write_atomic(p, "secret\n", 7, 0600, NULL), 0, "a secret file written 0600");
	ok(is_private(p), "is its owner's alone");
	is_int(verdict(p, msg, sizeof msg), 0, "and the secret-file rule accepts it (%s)", msg);
	is_int(loosen(p), 0, "the file made readable by others");
	is_int(verdict(p, msg, sizeof msg), XP_EFAIL, "is refused");
	is_str(msg, want, "with the reason and the remedy");
	is_int(tighten(p), 0, "xp_os_fchmod 0600 on it");
	is_int(verdict(p, msg, sizeof msg), 0, "makes it private again (%s)", msg);
	unlink(p);
	free(want);
	free(p);
}

/* Files that xp_os_open and xp_os_openat create with 0600 are private from the start. */
static void created_private(void)
{
	char *p = xp_asprintf("%s/made.key", dir), *q = xp_asprintf("%s/madeat.key", dir);
	int fd = xp_os_open(p, O_WRONLY | O_CREAT | O_EXCL, 0600), dfd;

	ok(fd >= 0 && close(fd) == 0 && is_private(p),
	   "xp_os_open makes a file 0600, its owner's alone");
	dfd = xp_os_open(dir, O_RDONLY | O_DIRECTORY, 0);
	fd = dfd >= 0 ? xp_os_openat(dfd, "madeat.key", O_WRONLY | O_CREAT | O_EXCL, 0600) : -1;
	ok(fd >= 0 && close(fd) == 0 && is_private(q), "and so does xp_os_openat");
	if (dfd >= 0)
		close(dfd);
	unlink(q);
	unlink(p);
	free(q);
	free(p);
}

#ifdef _WIN32
/* A new directory named path whose DACL is sddl, with "ME" for the token's user. */
static int dir_with(const char *path, const wchar_t *sddl)
{
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
	wchar_t w[4096], text[1024], *me = NULL, *at;
	char tu[256];
	DWORD n;
	HANDLE tok;
	int rc = -1;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return -1;
	if (GetTokenInformation(tok, TokenUser, tu, sizeof tu, &n) &&
	    ConvertSidToStringSidW(((TOKEN_USER *)tu)->User.Sid, &me)) {
		wcscpy(text, sddl);
		while ((at = wcsstr(text, L"ME"))) { /* ME: the user's SID */
			memmove(at + wcslen(me), at + 2, (wcslen(at + 2) + 1) * sizeof *at);
			memcpy(at, me, wcslen(me) * sizeof *me);
		}
		MultiByteToWideChar(CP_UTF8, 0, path, -1, w, 4096);
		if (ConvertStringSecurityDescriptorToSecurityDescriptorW(
		            text, SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL))
			rc = CreateDirectoryW(w, &sa) ? 0 : -1;
	}
	LocalFree(sa.lpSecurityDescriptor);
	LocalFree(me);
	CloseHandle(tok);
	return rc;
}

/* Whether path's DACL has an entry it inherited (its folder's), or is NULL (2). */
static int inherits(const char *path)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	ACE_HEADER *ace;
	wchar_t w[4096];
	int rc = 0;

	MultiByteToWideChar(CP_UTF8, 0, path, -1, w, 4096);
	if (GetNamedSecurityInfoW(w, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
	                          NULL, &sd) != ERROR_SUCCESS)
		return 0;
	if (!dacl)
		rc = 2;
	for (DWORD i = 0; dacl && i < dacl->AceCount; i++)
		if (GetAce(dacl, i, (void **)&ace) && (ace->AceFlags & INHERITED_ACE))
			rc = 1;
	LocalFree(sd);
	return rc;
}
#endif

/* Made with no mode of its own (POSIX: the umask's; Windows: its folder's inheritable
 * entries), a file others may read is refused; a private directory's new files are private. */
static void inherited(void)
{
	char *open_dir = xp_asprintf("%s/open", dir), *priv = xp_asprintf("%s/private", dir);
	char *f = xp_asprintf("%s/open/new.key", dir), *g = xp_asprintf("%s/private/new.key", dir);
	char *want, msg[1024];
	struct stat st;
	int fd;

#ifdef _WIN32
	const char *wine_why = "wine 8 gives a new file no entry of its folder: its DACL is read "
	                       "from its Unix mode, which the umask set";

	is_int(dir_with(open_dir, L"D:P(A;OICI;FA;;;ME)(A;OICI;0x1200a9;;;WD)"), 0,
	       "a folder whose new files inherit Everyone: read and run");
	want = xp_asprintf("%s: readable by others (mode 0605); " XP_OS_PRIVATE_HINT, f);
#else
	umask(022);
	is_int(mkdir(open_dir, 0755), 0, "a folder, and the umask 022");
	want = xp_asprintf("%s: readable by others (mode 0644); " XP_OS_PRIVATE_HINT, f);
#endif
	fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ok(fd >= 0 && close(fd) == 0, "a file made there");
#ifdef _WIN32
	if (!inherits(f))
		skip(wine_why);
	else
#endif
	{
		is_int(verdict(f, msg, sizeof msg), XP_EFAIL, "is refused as a secret file");
		is_str(msg, want, "as readable by others");
	}

	is_int(xp_mkdirs(priv, 0700, NULL), 0, "a directory made 0700");
	fd = xp_os_open(priv, O_RDONLY | O_DIRECTORY, 0);
	ok(fd >= 0 && fstat(fd, &st) == 0 && xp_os_exposure(fd, &st) == 0, "is its owner's alone");
	if (fd >= 0)
		close(fd);
#ifdef _WIN32
	fd = open(g, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ok(fd >= 0 && close(fd) == 0, "a file made in it");
	if (!inherits(g))
		skip(wine_why);
	else
		is_int(verdict(g, msg, sizeof msg), 0, "is private before any chmod (%s)", msg);
	unlink(g);
#endif
	unlink(f);
	rmdir(open_dir);
	rmdir(priv);
	free(want);
	free(g);
	free(f);
	free(priv);
	free(open_dir);
}

#ifdef _WIN32
/* The rules of xp_os_exposure over DACLs made in memory, which wine keeps whole (on disk it
 * keeps only the owner's and Everyone's entries): one entry after the user's and SYSTEM's. */
static void dacl_rules(void)
{
	static const struct {
		const char *what;
		BYTE type, flags;
		ACCESS_MASK mask;
		const wchar_t *sid;
		mode_t want;
	} t[] = {
	        {"Everyone: read (R)", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_GENERIC_READ, L"S-1-1-0",
	         04},
	        {"Everyone: read and run (RX)", ACCESS_ALLOWED_ACE_TYPE, 0,
	         FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, L"S-1-1-0", 05},
	        {"Users: GENERIC_READ", ACCESS_ALLOWED_ACE_TYPE, 0, GENERIC_READ, L"S-1-5-32-545",
	         04},
	        {"Authenticated Users: write (W)", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_GENERIC_WRITE,
	         L"S-1-5-11", 02},
	        {"a domain's Users: read", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_GENERIC_READ,
	         L"S-1-5-21-1-2-3-513", 04},
	        {"a domain's Guests: full control (F)", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_ALL_ACCESS,
	         L"S-1-5-21-1-2-3-514", 07},
	        {"Everyone: read, inherited", ACCESS_ALLOWED_ACE_TYPE, INHERITED_ACE,
	         FILE_GENERIC_READ, L"S-1-1-0", 04},
	        {"Administrators: read", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_GENERIC_READ,
	         L"S-1-5-32-544", 040},
	        {"another account: full control", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_ALL_ACCESS,
	         L"S-1-5-21-1-2-3-1002", 070},
	        {"another account: change permissions (WRITE_DAC)", ACCESS_ALLOWED_ACE_TYPE, 0,
	         WRITE_DAC, L"S-1-5-21-1-2-3-1002", 060},
	        {"another account: read attributes", ACCESS_ALLOWED_ACE_TYPE, 0,
	         FILE_READ_ATTRIBUTES | SYNCHRONIZE, L"S-1-5-21-1-2-3-1002", 0},
	        {"CREATOR OWNER: full control", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_ALL_ACCESS,
	         L"S-1-3-0", 0},
	        {"OWNER RIGHTS: full control", ACCESS_ALLOWED_ACE_TYPE, 0, FILE_ALL_ACCESS,
	         L"S-1-3-4", 0},
	        {"Everyone: read, for new files only (inherit-only)", ACCESS_ALLOWED_ACE_TYPE,
	         OBJECT_INHERIT_ACE | INHERIT_ONLY_ACE, FILE_GENERIC_READ, L"S-1-1-0", 0},
	        {"Everyone: read denied", ACCESS_DENIED_ACE_TYPE, 0, FILE_GENERIC_READ, L"S-1-1-0",
	         0},
	};
	PSID me = NULL, sys = NULL, admins = NULL, other;
	BYTE buf[1024];
	ACL *acl = (ACL *)buf;

	ConvertStringSidToSidW(L"S-1-5-21-1-2-3-1001", &me);
	ConvertStringSidToSidW(L"S-1-5-18", &sys);
	ConvertStringSidToSidW(L"S-1-5-32-544", &admins);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		mode_t m = 0777;

		other = NULL;
		if (ConvertStringSidToSidW(t[i].sid, &other) &&
		    InitializeAcl(acl, sizeof buf, ACL_REVISION) &&
		    AddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, me) &&
		    AddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, sys) &&
		    (t[i].type == ACCESS_ALLOWED_ACE_TYPE
		             ? AddAccessAllowedAceEx(acl, ACL_REVISION, t[i].flags, t[i].mask,
		                                     other)
		             : AddAccessDeniedAceEx(acl, ACL_REVISION, t[i].flags, t[i].mask,
		                                    other)))
			m = xp_win_dacl_exposure(acl, me, me);
		is_int(m, t[i].want, "DACL rule: %s is %03o", t[i].what, (unsigned)t[i].want);
		LocalFree(other);
	}
	is_int(xp_win_dacl_exposure(NULL, me, me), 077, "DACL rule: a NULL DACL is 077");
	ok(InitializeAcl(acl, sizeof buf, ACL_REVISION) &&
	           AddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, me) &&
	           AddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, admins) &&
	           xp_win_dacl_exposure(acl, admins, me) == 0,
	   "DACL rule: Administrators' entry is no exposure when they own the file (made "
	   "elevated)");
	LocalFree(admins);
	LocalFree(sys);
	LocalFree(me);
}

/* The private security descriptor as made, before wine turns it into mode bits: protected,
 * the user's entry and SYSTEM's, inherited by new entries of a directory only. */
static void private_sds(void)
{
	static const struct {
		mode_t mode;
		int dir;
		const char *inherit, *rights;
	} t[] = {{0600, 0, "", "FA"}, {0700, 1, "OICI", "FA"}, {0400, 0, "", "FR"}};
	char tu[256], me[256] = "?", got[512];
	wchar_t *wme = NULL, *text;
	HANDLE tok;
	DWORD n;

	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		if (GetTokenInformation(tok, TokenUser, tu, sizeof tu, &n) &&
		    ConvertSidToStringSidW(((TOKEN_USER *)tu)->User.Sid, &wme))
			WideCharToMultiByte(CP_UTF8, 0, wme, -1, me, sizeof me, NULL, NULL);
		CloseHandle(tok);
	}
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		SECURITY_DESCRIPTOR *sd = xp_win_private_sd(t[i].mode, t[i].dir);
		char *want = xp_asprintf("D:P(A;%s;%s;;;%s)(A;%s;FA;;;SY)", t[i].inherit,
		                         t[i].rights, me, t[i].inherit);

		got[0] = '\0';
		if (sd && ConvertSecurityDescriptorToStringSecurityDescriptorW(
		                  sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, NULL)) {
			WideCharToMultiByte(CP_UTF8, 0, text, -1, got, sizeof got, NULL, NULL);
			LocalFree(text);
		}
		is_str(got, want, "private %s %04o: protected, %s for the user, FA for SYSTEM",
		       t[i].dir ? "directory, inherited," : "file", (unsigned)t[i].mode,
		       t[i].rights);
		free(want);
		free(sd);
	}
	LocalFree(wme);
}

/* Windows only: no ACL at all, and entries for a group of people. */
static void dacls(void)
{
	char *p = xp_asprintf("%s/null.key", dir), *want, msg[1024];
	SECURITY_DESCRIPTOR sd;
	wchar_t w[4096];
	HANDLE h;
	int fd;

	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0 && xp_os_fchmod(fd, 0600) == 0 && close(fd) == 0, "a private file");
	MultiByteToWideChar(CP_UTF8, 0, p, -1, w, 4096);
	h = CreateFileW(w, WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0,
	                NULL);
	ok(h != INVALID_HANDLE_VALUE &&
	           InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) &&
	           SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE) &&
	           SetKernelObjectSecurity(h, DACL_SECURITY_INFORMATION, &sd),
	   "given a NULL DACL");
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	is_int(verdict(p, msg, sizeof msg), XP_EFAIL, "is refused as a secret file");
	if (inherits(p) != 2) {
		skip("wine 8 keeps no NULL DACL: it becomes Unix mode 0777, read back as Everyone: "
		     "full control");
	} else {
		want = xp_asprintf("%s: readable by others (mode 0677); " XP_OS_PRIVATE_HINT, p);
		is_str(msg, want, "as open to all");
		free(want);
	}
	unlink(p);
	free(p);
}
#endif

static void owners(void)
{
	char *p = xp_asprintf("%s/mine", dir);
	struct stat st;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);

	ok(fd >= 0 && close(fd) == 0 && xp_os_lstat(p, &st) == 0 && xp_os_owned(p, &st) == 1,
	   "a file made here is owned by the user running us");
#ifdef _WIN32
	{
		wchar_t w[MAX_PATH];
		char sys[4 * MAX_PATH], *dll;

		GetSystemDirectoryW(w, MAX_PATH);
		WideCharToMultiByte(CP_UTF8, 0, w, -1, sys, sizeof sys, NULL, NULL);
		dll = xp_asprintf("%s\\ntdll.dll", sys);
		if (under_wine())
			skip("under wine every file of the prefix belongs to the user running "
			     "wine");
		else
			ok(xp_os_lstat(dll, &st) == 0 && xp_os_owned(dll, &st) == 0,
			   "ntdll.dll is not (TrustedInstaller owns it)");
		free(dll);
	}
#else
	if (geteuid() == 0) {
		ok(chown(p, 65534, 65534) == 0 && xp_os_lstat(p, &st) == 0 &&
		           xp_os_owned(p, &st) == 0,
		   "a file given to uid 65534 is not");
	} else {
		ok(xp_os_lstat("/", &st) == 0 && xp_os_owned("/", &st) == 0, "root's / is not");
	}
#endif
	unlink(p);
	free(p);
}

static void no_tty(void)
{
	char buf[16] = "x";
	size_t len = 1;
	int rc, e;

#ifdef _WIN32
	FreeConsole();
	rc = xp_os_tty_password("Password: ", buf, sizeof buf - 1, &len);
	e = errno;
#else
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		setsid(); /* no controlling terminal from here */
		rc = xp_os_tty_password("Password: ", buf, sizeof buf - 1, &len);
		_exit(rc == -1 && errno == ENXIO && len == 0 && buf[0] == '\0' ? 0 : 1);
	}
	rc = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	                     WEXITSTATUS(status) == 0
	             ? -1
	             : 0;
	e = ENXIO;
	len = 0;
	buf[0] = '\0';
#endif
	ok(rc == -1 && e == ENXIO && len == 0 && buf[0] == '\0',
	   "without a terminal the password prompt is ENXIO, nothing read");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/xp-secret-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!ok(xp_os_mkdtemp(dir) != NULL, "a test directory: %s", dir))
		return done_testing();
	secret_files();
	created_private();
	inherited();
#ifdef _WIN32
	dacl_rules();
	private_sds();
	dacls();
#endif
	owners();
	no_tty();
	rmdir(dir);
	return done_testing();
}
