/* The portability layer over the Win32 API (mingw-w64). Paths arrive in UTF-8 and reach
 * Windows in UTF-16, whatever the ANSI code page. Files are opened with CreateFileW and
 * shared for reading, writing and deleting, as POSIX files are: a file open here can still
 * be renamed over or removed by another process. */
#include "config.h"

#include "base/os.h"
#include "base/os-int.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <shellapi.h>

/* Files are bytes, as on POSIX: open and fopen default to binary mode (no CR LF
 * translation, no ^Z as end of file) in every program that links this layer. */
__attribute__((constructor)) static void binary_files(void)
{
	_fmode = _O_BINARY;
}

/* errno for the last Win32 failure. */
static int win_errno(void)
{
	switch (GetLastError()) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE: return ENOENT;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION: return EACCES;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS: return EEXIST;
	case ERROR_LOCK_VIOLATION:
	case ERROR_IO_PENDING: return EWOULDBLOCK;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY: return ENOMEM;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL: return ENOSPC;
	case ERROR_INVALID_HANDLE: return EBADF;
	case ERROR_DIRECTORY: return ENOTDIR;
	default: return EIO;
	}
}

static int fail(void)
{
	errno = win_errno();
	return -1;
}

wchar_t *xp_win_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	w = malloc((size_t)n * sizeof *w);
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

int xp_win_errno(void)
{
	return win_errno();
}

char *xp_win_narrow(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s;

	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	s = malloc((size_t)n);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

int xp_os_narrow_utf8(void)
{
	return GetACP() == CP_UTF8;
}

int xp_os_args(int *argc, char ***argv)
{
	wchar_t **wargv;
	char **v;
	int n, i, rc = -1;

	wargv = CommandLineToArgvW(GetCommandLineW(), &n);
	if (!wargv)
		return fail();
	v = calloc((size_t)n + 1, sizeof *v);
	if (!v) {
		errno = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!(v[i] = xp_win_narrow(wargv[i])))
			goto out;
	*argc = n;
	*argv = v;
	v = NULL;
	rc = 0;
out:
	if (v) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}
	LocalFree(wargv);
	return rc;
}

int xp_os_stdio_binary(void)
{
	if (_setmode(0, _O_BINARY) < 0 || _setmode(1, _O_BINARY) < 0)
		return -1;
	return 0;
}

/* open(2) over CreateFileW; nofollow opens a reparse point itself, then refuses it (ELOOP).
 * A file that O_CREAT makes with a private mode is private from the start (os.h). */
static int open_w(const wchar_t *w, int flags, mode_t mode, int nofollow)
{
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
	BY_HANDLE_FILE_INFORMATION info;
	DWORD access, disp, attrs = FILE_ATTRIBUTE_NORMAL;
	HANDLE h;
	int acc = flags & (O_RDONLY | O_WRONLY | O_RDWR), fd, e = 0;

	access = acc == O_RDWR     ? GENERIC_READ | GENERIC_WRITE
	         : acc == O_WRONLY ? GENERIC_WRITE
	                           : GENERIC_READ;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = CREATE_NEW;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disp = CREATE_ALWAYS;
	else if (flags & O_CREAT)
		disp = OPEN_ALWAYS;
	else if (flags & O_TRUNC)
		disp = TRUNCATE_EXISTING;
	else
		disp = OPEN_EXISTING;
	if (nofollow)
		attrs |= FILE_FLAG_OPEN_REPARSE_POINT;
	/* a directory opens only with backup semantics; asked or not, it is refused below */
	attrs |= FILE_FLAG_BACKUP_SEMANTICS;
	if ((flags & O_CREAT) && !(mode & 077) &&
	    !(sa.lpSecurityDescriptor = xp_win_private_sd(mode, 0)))
		return -1;
	h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
	                sa.lpSecurityDescriptor ? &sa : NULL, disp, attrs, NULL);
	e = h == INVALID_HANDLE_VALUE ? win_errno() : 0;
	free(sa.lpSecurityDescriptor);
	if (h == INVALID_HANDLE_VALUE) {
		errno = e;
		return -1;
	}
	/* a device (NUL, CON) has no file information, and is neither a directory nor a link */
	if (GetFileType(h) == FILE_TYPE_CHAR)
		e = flags & O_DIRECTORY ? ENOTDIR : 0;
	else if (!GetFileInformationByHandle(h, &info))
		e = win_errno();
	else if (nofollow && (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
		e = ELOOP;
	else if ((flags & O_DIRECTORY) && !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		e = ENOTDIR;
	else if (!(flags & O_DIRECTORY) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		e = EISDIR;
	if (e) {
		CloseHandle(h);
		errno = e;
		return -1;
	}
	fd = _open_osfhandle((intptr_t)h, (flags & (O_WRONLY | O_RDWR | O_APPEND)) | O_BINARY);
	if (fd < 0)
		CloseHandle(h);
	return fd;
}

/* open_w on the UTF-16 form of path. */
static int open_path(const char *path, int flags, mode_t mode, int nofollow)
{
	wchar_t *w = xp_win_wide(path);
	int fd;

	if (!w)
		return -1;
	fd = open_w(w, flags, mode, nofollow);
	free(w);
	return fd;
}

int xp_os_open(const char *path, int flags, mode_t mode)
{
	return open_path(path, flags, mode, 0);
}

int xp_os_open_nofollow(const char *path, int flags, mode_t mode)
{
	return open_path(path, flags, mode, 1);
}

/* The UTF-16 path of the directory that descriptor dfd holds (malloc'd; "C:\dir" form,
 * without the "\\?\" that GetFinalPathNameByHandleW puts first). */
static wchar_t *dir_path(int dfd)
{
	HANDLE h = (HANDLE)_get_osfhandle(dfd);
	wchar_t *w;
	DWORD n;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return NULL;
	}
	n = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
	if (n == 0 || !(w = malloc((n + 1) * sizeof *w))) {
		n ? (void)(errno = ENOMEM) : (void)fail();
		return NULL;
	}
	if (GetFinalPathNameByHandleW(h, w, n + 1, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS) == 0) {
		fail();
		free(w);
		return NULL;
	}
	if (wcsncmp(w, L"\\\\?\\UNC\\", 8) == 0) /* \\?\UNC\server\share: \\server\share */
		memmove(w + 1, w + 7, (wcslen(w + 7) + 1) * sizeof *w);
	else if (wcsncmp(w, L"\\\\?\\", 4) == 0)
		memmove(w, w + 4, (wcslen(w + 4) + 1) * sizeof *w);
	return w;
}

/* The UTF-16 path of name under the directory descriptor dfd (or as is: AT_FDCWD). */
static wchar_t *at_path(int dfd, const char *name)
{
	wchar_t *dir, *wn, *w = NULL;
	size_t dl;

	if (dfd == AT_FDCWD)
		return xp_win_wide(name);
	if (!(wn = xp_win_wide(name)))
		return NULL;
	dir = dir_path(dfd);
	if (dir && strcmp(name, ".") == 0) {
		free(wn);
		return dir;
	}
	dl = dir ? wcslen(dir) : 0;
	if (dir && (w = malloc((dl + wcslen(wn) + 2) * sizeof *w))) {
		swprintf(w, dl + wcslen(wn) + 2, L"%ls\\%ls", dir, wn);
		for (wchar_t *p = w + dl; *p; p++)
			if (*p == L'/')
				*p = L'\\';
	} else if (dir) {
		errno = ENOMEM;
	}
	free(dir);
	free(wn);
	return w;
}

int xp_os_openat(int dfd, const char *name, int flags, mode_t mode)
{
	wchar_t *w = at_path(dfd, name);
	int fd;

	if (!w)
		return -1;
	fd = open_w(w, flags, mode, 1);
	free(w);
	return fd;
}

static int lstat_w(const wchar_t *w, struct stat *st);

int xp_os_lstatat(int dfd, const char *name, struct stat *st)
{
	wchar_t *w = at_path(dfd, name);
	int rc;

	if (!w)
		return -1;
	rc = lstat_w(w, st);
	free(w);
	return rc;
}

int xp_os_unlinkat(int dfd, const char *name)
{
	wchar_t *w = at_path(dfd, name);
	int rc;

	if (!w)
		return -1;
	rc = DeleteFileW(w) ? 0 : fail();
	free(w);
	return rc;
}

int xp_os_renameat(int dfd, const char *from, const char *to)
{
	wchar_t *wf = at_path(dfd, from), *wt = wf ? at_path(dfd, to) : NULL;
	int rc = -1;

	if (wf && wt)
		rc = MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
		             ? 0
		             : fail();
	free(wf);
	free(wt);
	return rc;
}

int xp_os_same_file(int fd, int dfd, const char *name)
{
	BY_HANDLE_FILE_INFORMATION a, b;
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	int other, rc;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (!GetFileInformationByHandle(h, &a))
		return fail();
	other = xp_os_openat(dfd, name, O_RDONLY, 0);
	if (other < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	if (!GetFileInformationByHandle((HANDLE)_get_osfhandle(other), &b))
		rc = fail();
	else
		rc = a.dwVolumeSerialNumber == b.dwVolumeSerialNumber &&
		     a.nFileIndexHigh == b.nFileIndexHigh && a.nFileIndexLow == b.nFileIndexLow;
	_close(other);
	return rc;
}

int xp_os_same_dir(const char *a, const char *b)
{
	BY_HANDLE_FILE_INFORMATION x, y;
	int fa = xp_os_open(a, O_RDONLY | O_DIRECTORY, 0);
	int fb = fa < 0 ? -1 : xp_os_open(b, O_RDONLY | O_DIRECTORY, 0);
	int rc = 0;

	if (fb >= 0 && GetFileInformationByHandle((HANDLE)_get_osfhandle(fa), &x) &&
	    GetFileInformationByHandle((HANDLE)_get_osfhandle(fb), &y))
		rc = x.dwVolumeSerialNumber == y.dwVolumeSerialNumber &&
		     x.nFileIndexHigh == y.nFileIndexHigh && x.nFileIndexLow == y.nFileIndexLow;
	if (fb >= 0)
		_close(fb);
	if (fa >= 0)
		_close(fa);
	return rc;
}

int xp_os_fsync_dirfd(int dfd)
{
	(void)dfd;
	return 0;
}

int xp_os_mkdirat(int dfd, const char *name, mode_t mode)
{
	wchar_t *w = at_path(dfd, name);
	int rc;

	if (!w)
		return -1;
	rc = xp_win_mkdir(w, mode);
	free(w);
	return rc;
}

/* The descriptor behind each stream of xp_os_fdopendir (mingw's DIR has none). */
static struct {
	DIR *d;
	int fd;
} dirs[64];

DIR *xp_os_fdopendir(int fd)
{
	wchar_t *w = dir_path(fd);
	char *path = NULL;
	DIR *d = NULL;
	size_t i;
	int n, e = 0;

	/* mingw's opendir takes the ANSI code page */
	n = w ? WideCharToMultiByte(CP_ACP, 0, w, -1, NULL, 0, NULL, NULL) : 0;
	if (n > 0 && (path = malloc((size_t)n)))
		WideCharToMultiByte(CP_ACP, 0, w, -1, path, n, NULL, NULL);
	for (i = 0; i < sizeof dirs / sizeof dirs[0] && dirs[i].d; i++)
		;
	if (!path)
		e = w ? ENOMEM : errno;
	else if (i == sizeof dirs / sizeof dirs[0])
		e = EMFILE;
	else if (!(d = opendir(path)))
		e = errno;
	free(w);
	free(path);
	if (!d) {
		_close(fd);
		errno = e;
		return NULL;
	}
	dirs[i].d = d;
	dirs[i].fd = fd;
	return d;
}

int xp_os_dirfd(DIR *d)
{
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (dirs[i].d == d)
			return dirs[i].fd;
	errno = EINVAL;
	return -1;
}

int xp_os_closedir(DIR *d)
{
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (dirs[i].d == d) {
			_close(dirs[i].fd);
			dirs[i].d = NULL;
		}
	return closedir(d);
}

/* mkstemp and mkdtemp: the template's XXXXXX made a name no file has, then a file (open,
 * the descriptor returned) or a directory (0) made under it. */
static int make_unique(char *tmpl, int dir)
{
	static const char chars[] =
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t len = strlen(tmpl);
	uint64_t r = GetTickCount64() ^ ((uint64_t)GetCurrentProcessId() << 32);

	if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return -1;
	}
	for (int tries = 0; tries < 1000; tries++) {
		LARGE_INTEGER t;
		wchar_t *w;
		int fd;

		QueryPerformanceCounter(&t);
		r = r * 6364136223846793005ULL + 1442695040888963407ULL + (uint64_t)t.QuadPart;
		for (int i = 0; i < 6; i++)
			tmpl[len - 6 + i] = chars[(r >> (8 * i + 8)) % (sizeof chars - 1)];
		if (!(w = xp_win_wide(tmpl)))
			return -1;
		if (dir)
			fd = xp_win_mkdir(w, 0700);
		else
			fd = open_w(w, O_RDWR | O_CREAT | O_EXCL, 0666, 1);
		free(w);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int xp_os_mkstemp(char *tmpl)
{
	return make_unique(tmpl, 0);
}

char *xp_os_mkdtemp(char *tmpl)
{
	return make_unique(tmpl, 1) == 0 ? tmpl : NULL;
}

int xp_os_replace(const char *from, const char *to)
{
	wchar_t *wf = xp_win_wide(from), *wt = wf ? xp_win_wide(to) : NULL;
	int rc = -1;

	if (wf && wt)
		rc = MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
		             ? 0
		             : fail();
	free(wf);
	free(wt);
	return rc;
}

int xp_os_fsync(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	return FlushFileBuffers(h) ? 0 : fail();
}

int xp_os_fsync_dir(const char *dir)
{
	wchar_t *w = xp_win_wide(dir);
	DWORD a;

	if (!w)
		return -1;
	a = GetFileAttributesW(w);
	free(w);
	if (a == INVALID_FILE_ATTRIBUTES)
		return fail();
	if (!(a & FILE_ATTRIBUTE_DIRECTORY)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int xp_os_lock(int fd, int op)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov;
	DWORD how = 0;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	/* one byte at 2^63 - 2: a lock there stops no read or write of the data */
	memset(&ov, 0, sizeof ov);
	ov.Offset = 0xfffffffe;
	ov.OffsetHigh = 0x7fffffff;
	/* flock converts by unlocking first (LockFileEx would stack a second lock), and
	 * unlocking what is not locked is no error */
	(void)UnlockFileEx(h, 0, 1, 0, &ov);
	if (op & XP_LOCK_UN)
		return 0;
	if (op & XP_LOCK_EX)
		how |= LOCKFILE_EXCLUSIVE_LOCK;
	if (op & XP_LOCK_NB)
		how |= LOCKFILE_FAIL_IMMEDIATELY;
	return LockFileEx(h, how, 0, 1, 0, &ov) ? 0 : fail();
}

/* FILETIME (100 ns since 1601) to time_t. */
static time_t unix_time(FILETIME ft)
{
	uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;

	return (time_t)((int64_t)(t / 10000000) - 11644473600LL);
}

static int lstat_w(const wchar_t *w, struct stat *st)
{
	BY_HANDLE_FILE_INFORMATION a;
	HANDLE h;
	DWORD type;
	int rc = 0;

	/* the name itself, a link or a device (NUL, CON) included, without following it */
	h = CreateFileW(w, FILE_READ_ATTRIBUTES,
	                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	                FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return fail();
	memset(st, 0, sizeof *st);
	st->st_nlink = 1;
	type = GetFileType(h);
	if (type == FILE_TYPE_CHAR)
		st->st_mode = S_IFCHR | 0666;
	else if (type == FILE_TYPE_PIPE)
		st->st_mode = S_IFIFO | 0600;
	else if (!GetFileInformationByHandle(h, &a))
		rc = fail();
	else {
		if (a.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
			st->st_mode = S_IFLNK | 0777;
		else if (a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
			st->st_mode = S_IFDIR | 0755;
		else
			st->st_mode =
			        S_IFREG |
			        ((a.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0644);
		st->st_size = (off_t)(((uint64_t)a.nFileSizeHigh << 32) | a.nFileSizeLow);
		st->st_mtime = unix_time(a.ftLastWriteTime);
		st->st_atime = unix_time(a.ftLastAccessTime);
		st->st_ctime = unix_time(a.ftCreationTime);
		st->st_nlink = (short)a.nNumberOfLinks;
	}
	CloseHandle(h);
	return rc;
}

const char *xp_os_path_base(const char *path)
{
	const char *p, *base = path;

	if (((path[0] | 0x20) >= 'a' && (path[0] | 0x20) <= 'z') && path[1] == ':')
		base = path + 2;
	for (p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return base;
}

int xp_os_path_absolute(const char *path)
{
	if (path[0] == '/' || path[0] == '\\')
		return 1;
	return ((path[0] | 0x20) >= 'a' && (path[0] | 0x20) <= 'z') && path[1] == ':' &&
	       (path[2] == '/' || path[2] == '\\');
}

int xp_os_lstat(const char *path, struct stat *st)
{
	wchar_t *w = xp_win_wide(path);
	int rc;

	if (!w)
		return -1;
	rc = lstat_w(w, st);
	free(w);
	return rc;
}

int xp_os_mkdir(const char *path, mode_t mode)
{
	wchar_t *w = xp_win_wide(path);
	int rc;

	if (!w)
		return -1;
	rc = xp_win_mkdir(w, mode);
	free(w);
	return rc;
}

char *xp_os_realpath(const char *path)
{
	wchar_t *w = xp_win_wide(path), *full = NULL;
	char *s = NULL;
	DWORD n;

	if (!w)
		return NULL;
	if (GetFileAttributesW(w) == INVALID_FILE_ATTRIBUTES) {
		fail();
		goto out;
	}
	n = GetFullPathNameW(w, 0, NULL, NULL);
	full = n ? malloc(n * sizeof *full) : NULL;
	if (!full || GetFullPathNameW(w, n, full, NULL) == 0 ||
	    GetFullPathNameW(w, n, full, NULL) >= n) {
		errno = full ? win_errno() : ENOMEM;
		goto out;
	}
	/* the modules split paths at '/', which Windows takes as well */
	for (wchar_t *p = full; *p; p++)
		if (*p == L'\\')
			*p = L'/';
	s = xp_win_narrow(full);
out:
	free(w);
	free(full);
	return s;
}

int xp_os_set_blocking(int fd)
{
	(void)fd;
	return 0;
}

int xp_os_pipe(int fds[2])
{
	return _pipe(fds, 65536, _O_BINARY | _O_NOINHERIT);
}

void xp_os_pipe_grow(int fd, long size)
{
	(void)fd;
	(void)size;
}

void *xp_os_aligned_alloc(size_t align, size_t n)
{
	return _aligned_malloc(n, align);
}

void xp_os_aligned_free(void *p)
{
	_aligned_free(p);
}

int xp_os_tmpfile(const char *dir)
{
	char *tmpl = malloc(strlen(dir) + sizeof "/xpseal.XXXXXX");
	wchar_t *w = NULL;
	int fd = -1;

	if (!tmpl)
		return -1;
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		int r = make_unique(strcat(strcpy(tmpl, dir), "/xpseal.XXXXXX"), 0);

		if (r >= 0)
			_close(r); /* a name: reopened to be deleted when closed */
		free(w);
		w = r >= 0 ? xp_win_wide(tmpl) : NULL;
		if (!w)
			break;
		fd = _wopen(w, _O_RDWR | _O_BINARY | _O_NOINHERIT | _O_TEMPORARY,
		            _S_IREAD | _S_IWRITE);
		if (fd < 0)
			_wunlink(w);
	}
	free(w);
	free(tmpl);
	return fd;
}

int xp_os_fd_open(int fd)
{
	return _get_osfhandle(fd) != -1;
}

int xp_os_glob(const char *pattern, char ***paths, size_t *n)
{
	const char *slash = strrchr(pattern, '/'), *bs = strrchr(pattern, '\\');
	size_t dirlen =
	        (bs > slash ? bs : slash) ? (size_t)((bs > slash ? bs : slash) - pattern + 1) : 0;
	wchar_t *w = xp_win_wide(pattern);
	WIN32_FIND_DATAW fd;
	HANDLE h;
	int out = 0;

	*paths = NULL;
	*n = 0;
	if (!w)
		return -1;
	h = FindFirstFileW(w, &fd);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError() == ERROR_FILE_NOT_FOUND ||
		                       GetLastError() == ERROR_PATH_NOT_FOUND
		               ? 0
		               : fail();
	do {
		char *name = xp_win_narrow(fd.cFileName), *path, **np;

		if (!name || !(np = realloc(*paths, (*n + 1) * sizeof **paths)) ||
		    !(path = malloc(dirlen + strlen(name) + 1))) {
			free(name);
			out = -1;
			break;
		}
		*paths = np;
		memcpy(path, pattern, dirlen);
		strcpy(path + dirlen, name);
		free(name);
		(*paths)[(*n)++] = path;
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	if (out) {
		xp_os_glob_free(*paths, *n);
		*paths = NULL;
		*n = 0;
		errno = ENOMEM;
	}
	return out;
}

int xp_os_path_sep(int c)
{
	return c == '/' || c == '\\';
}

/* The length of "server\share\" at s (all of it there is of those three). */
static size_t share_root(const char *s)
{
	size_t n = 0;

	for (int part = 0; part < 2; part++) {
		while (s[n] && !xp_os_path_sep((unsigned char)s[n]))
			n++;
		if (s[n])
			n++;
	}
	return n;
}

/* A drive, "C:" or "C:\", at s: its length, or 0. */
static size_t drive_root(const char *s)
{
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) || s[1] != ':')
		return 0;
	return xp_os_path_sep((unsigned char)s[2]) ? 3 : 2;
}

size_t xp_os_path_root(const char *path)
{
	if (!xp_os_path_sep((unsigned char)path[0]))
		return drive_root(path);
	if (!xp_os_path_sep((unsigned char)path[1]))
		return 1; /* the current drive's root */
	/* \\?\ (or \\.\): a drive or UNC\server\share follows */
	if ((path[2] == '?' || path[2] == '.') && xp_os_path_sep((unsigned char)path[3])) {
		if (strncasecmp(path + 4, "UNC", 3) == 0 && xp_os_path_sep((unsigned char)path[7]))
			return 8 + share_root(path + 8);
		return 4 + drive_root(path + 4);
	}
	return 2 + share_root(path + 2);
}

static void (*crash_fn)(const char *signame);

static void on_crash(int sig)
{
	(void)sig;
	crash_fn("an access violation");
}

void xp_os_on_crash(void (*fn)(const char *signame))
{
	crash_fn = fn;
	signal(SIGSEGV, on_crash); /* msvcrt resets it to the default on delivery */
}

/* Where each open memory stream's text goes when it is closed. */
static struct {
	FILE *f;
	char **buf;
	size_t *len;
} streams[16];

FILE *xp_os_memstream(char **buf, size_t *len)
{
	wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
	HANDLE h;
	FILE *f = NULL;
	size_t i;
	int fd;

	for (i = 0; i < sizeof streams / sizeof streams[0] && streams[i].f; i++)
		;
	if (i == sizeof streams / sizeof streams[0]) {
		errno = EMFILE;
		return NULL;
	}
	if (!GetTempPathW(MAX_PATH + 1, dir) || !GetTempFileNameW(dir, L"xp", 0, name)) {
		fail();
		return NULL;
	}
	/* GetTempFileNameW made the file: opened again to be deleted when closed */
	h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_DELETE, NULL, CREATE_ALWAYS,
	                FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		fail();
		DeleteFileW(name);
		return NULL;
	}
	fd = _open_osfhandle((intptr_t)h, O_RDWR | O_BINARY);
	if (fd < 0)
		CloseHandle(h);
	else if (!(f = _fdopen(fd, "w+b")))
		_close(fd);
	if (!f)
		return NULL;
	streams[i].f = f;
	streams[i].buf = buf;
	streams[i].len = len;
	*buf = NULL;
	*len = 0;
	return f;
}

int xp_os_memstream_close(FILE *f)
{
	size_t i, n = 0;
	long size;
	char *b = NULL;
	int rc = -1;

	for (i = 0; i < sizeof streams / sizeof streams[0] && streams[i].f != f; i++)
		;
	if (i == sizeof streams / sizeof streams[0]) {
		errno = EINVAL;
		return -1;
	}
	if (fflush(f) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)size + 1)) && (n = fread(b, 1, (size_t)size, f)) == (size_t)size) {
		b[n] = '\0';
		*streams[i].buf = b;
		*streams[i].len = n;
		b = NULL;
		rc = 0;
	} else if (!b) {
		errno = ENOMEM;
	}
	free(b);
	streams[i].f = NULL;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int xp_os_setenv(const char *name, const char *value)
{
	/* an empty value removes the variable: Windows keeps none empty */
	errno = _putenv_s(name, value);
	return errno ? -1 : 0;
}

int xp_os_unsetenv(const char *name)
{
	errno = _putenv_s(name, "");
	return errno ? -1 : 0;
}

int xp_os_privileged(void)
{
	return 0;
}

const char *xp_os_system_state_dir(void)
{
	static char path[MAX_PATH + 16];
	const char *pd = getenv("ProgramData");

	if (!path[0])
		snprintf(path, sizeof path, "%s/xpbackup", pd && *pd ? pd : "C:/ProgramData");
	return path;
}

int xp_os_ncpu(void)
{
	DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);

	return n > 0 ? (int)n : 1;
}

int xp_os_no_core(void)
{
	/* a scheduled task has no one to answer a dialog; Windows Error Reporting would keep a
	 * dump of the memory, secrets and all */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
	return 0;
}

/* While echo is off, Ctrl+C and the like first turn it back on (the console's mode outlives
 * the process). */
static HANDLE con_in = INVALID_HANDLE_VALUE;
static DWORD con_mode;

static BOOL WINAPI con_restore(DWORD event)
{
	(void)event;
	if (con_in != INVALID_HANDLE_VALUE)
		SetConsoleMode(con_in, con_mode);
	return FALSE;
}

/* Writes UTF-8 text on the console. */
static void con_write(HANDLE out, const char *text)
{
	wchar_t *w = xp_win_wide(text);
	DWORD n;

	if (w)
		WriteConsoleW(out, w, (DWORD)wcslen(w), &n, NULL);
	free(w);
}

/* Whether someone can see our console: a task that runs whether its user is logged on or
 * not has one too, in a window station that no one sees, where a prompt would wait forever. */
static int console_seen(void)
{
	USEROBJECTFLAGS f;
	HWINSTA ws = GetProcessWindowStation();

	return ws && GetUserObjectInformationW(ws, UOI_FLAGS, &f, sizeof f, NULL) &&
	       (f.dwFlags & WSF_VISIBLE);
}

int xp_os_tty_password(const char *prompt, char *buf, size_t max, size_t *len)
{
	HANDLE in, out;
	wchar_t *w = NULL, c;
	size_t n = 0;
	DWORD got;
	int rc = -1, e = 0, b;

	*len = 0;
	buf[0] = '\0';
	in = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
	                 FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
	                  FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE ||
	    !GetConsoleMode(in, &con_mode) || !console_seen()) {
		e = ENXIO;
		goto out;
	}
	/* UTF-16 units: each is at least one byte of UTF-8, so max + 1 of them tell too long */
	w = calloc(max + 1, sizeof *w);
	if (!w) {
		e = ENOMEM;
		goto out;
	}
	con_in = in;
	SetConsoleCtrlHandler(con_restore, TRUE);
	if (!SetConsoleMode(in, (con_mode & ~(DWORD)ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT |
	                                ENABLE_PROCESSED_INPUT)) {
		e = win_errno();
		goto restore;
	}
	con_write(out, prompt);
	/* line input hands over the line and its CR LF in as many reads as it takes: all of it
	 * is read, so that no LF (or the end of a long line) is left for the next reader */
	for (;;) {
		got = 0;
		if (!ReadConsoleW(in, &c, 1, &got, NULL) || got != 1 || c == L'\n')
			break;
		if (c != L'\r' && n <= max)
			w[n++] = c;
	}
	b = n && n <= max ? WideCharToMultiByte(CP_UTF8, 0, w, (int)n, buf, (int)max, NULL, NULL)
	                  : 0;
	if (got != 1) /* Ctrl+C or Ctrl+Break: the read ends with nothing, the process is ending */
		e = EINTR;
	else if (n > max)
		e = EMSGSIZE;
	else if (n && b == 0)
		e = GetLastError() == ERROR_INSUFFICIENT_BUFFER ? EMSGSIZE : EILSEQ;
	else {
		buf[b] = '\0';
		*len = (size_t)b;
		rc = 0;
	}
restore:
	SetConsoleMode(in, con_mode);
	con_in = INVALID_HANDLE_VALUE;
	SetConsoleCtrlHandler(con_restore, FALSE);
	con_write(out, "\r\n");
out:
	if (w) {
		SecureZeroMemory(w, (max + 1) * sizeof *w);
		free(w);
	}
	c = 0;
	if (in != INVALID_HANDLE_VALUE)
		CloseHandle(in);
	if (out != INVALID_HANDLE_VALUE)
		CloseHandle(out);
	if (rc)
		errno = e;
	return rc;
}

void xp_os_kill_self(void)
{
	TerminateProcess(GetCurrentProcess(), 128 + 9);
}

void xp_os_stop_self(void)
{
}
