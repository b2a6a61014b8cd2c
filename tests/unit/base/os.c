/* The portability layer: the same promises on POSIX and (under wine) on Windows. */
#include "config.h"

#include "base/err.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

#include "../tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <windows.h>
#endif

static char dir[4096];
static char *made[64];
static size_t nmade;

/* A file named name in the test directory, holding text (NULL: none); the caller frees the
 * name, cleanup removes the file. */
static char *file(const char *name, const char *text)
{
	char *path = xp_asprintf("%s/%s", dir, name);
	FILE *f;

	if (nmade < sizeof made / sizeof made[0])
		made[nmade++] = xp_asprintf("%s/%s", dir, name);
	if (text && (f = fopen(path, "wb"))) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return f ? buf : NULL;
}

/* A symbolic link at path to target; 0, or -1 where this system cannot make one (wine 8's
 * CreateSymbolicLinkW says it did and makes nothing: a reparse point must be there). */
static int make_link(const char *target, const char *path)
{
#ifdef _WIN32
	wchar_t wt[1024], wp[1024];
	DWORD a;

	MultiByteToWideChar(CP_UTF8, 0, target, -1, wt, 1024);
	MultiByteToWideChar(CP_UTF8, 0, path, -1, wp, 1024);
	if (!CreateSymbolicLinkW(wp, wt, 0x2 /* unprivileged */))
		return -1;
	a = GetFileAttributesW(wp);
	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_REPARSE_POINT) ? 0 : -1;
#else
	return symlink(target, path);
#endif
}

static void make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/xp-os-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!xp_os_mkdtemp(dir))
		dir[0] = '\0';
}

static void cleanup(void)
{
	while (nmade > 0) {
		nmade--;
		unlink(made[nmade]);
		rmdir(made[nmade]);
		free(made[nmade]);
	}
	if (rmdir(dir) < 0)
		printf("# could not remove %s\n", dir);
}

static void replace(void)
{
	char *a = file("a", "new"), *b = file("b", "old");

	is_int(xp_os_replace(a, b), 0, "replace renames over an existing file");
	is_str(slurp(b), "new", "the target holds the new bytes");
	ok(slurp(a) == NULL, "the old name is gone");
	errno = 0;
	ok(xp_os_replace(a, b) < 0 && errno == ENOENT, "replacing from a missing file is ENOENT");
	is_str(slurp(b), "new", "and leaves the target as it was");
	free(a);
	free(b);
}

static void replace_open(void)
{
	char *t = file("t.XXXXXX", NULL), *b = file("b2", "old");
	int fd = xp_os_mkstemp(t);

	ok(fd >= 0 && strstr(t, "XXXXXX") == NULL, "mkstemp makes a file under a fresh name");
	ok(write(fd, "written", 7) == 7, "mkstemp's file is open for writing");
	is_int(xp_os_fsync(fd), 0, "fsync of a written file");
	/* as the atomic files do: renamed while their writer still holds them open */
	is_int(xp_os_replace(t, b), 0, "a file still open is renamed over another");
	close(fd);
	is_str(slurp(b), "written", "with every byte written through the open descriptor");
	errno = 0;
	ok(xp_os_fsync(-1) < 0 && errno == EBADF, "fsync of a bad descriptor is EBADF");
	free(t);
	free(b);
}

static void mkstemp_unique(void)
{
	char *t1 = file("u.XXXXXX", NULL), *t2 = file("u.XXXXXX", NULL);
	char *bad = file("u.XXXX", NULL);
	int a = xp_os_mkstemp(t1), b = xp_os_mkstemp(t2);

	ok(a >= 0 && b >= 0 && strcmp(t1, t2) != 0, "two mkstemps make two different files");
	ok(strstr(dir, "XXXXXX") == NULL, "mkdtemp made the test directory under a fresh name");
	errno = 0;
	ok(xp_os_mkstemp(bad) < 0 && errno == EINVAL, "a template without XXXXXX is EINVAL");
	close(a);
	close(b);
	unlink(t1);
	unlink(t2);
	free(t1);
	free(t2);
	free(bad);
}

static void locks(void)
{
	char *p = file("lock", "data");
	int a = open(p, O_RDWR), b = open(p, O_RDWR);
	char buf[8] = {0};

	is_int(xp_os_lock(a, XP_LOCK_EX | XP_LOCK_NB), 0, "an exclusive lock is taken");
	errno = 0;
	ok(xp_os_lock(b, XP_LOCK_EX | XP_LOCK_NB) < 0 && errno == EWOULDBLOCK,
	   "a second open file cannot take it (EWOULDBLOCK)");
	errno = 0;
	ok(xp_os_lock(b, XP_LOCK_SH | XP_LOCK_NB) < 0 && errno == EWOULDBLOCK,
	   "nor a shared lock beside it");
	ok(read(b, buf, 4) == 4 && strcmp(buf, "data") == 0,
	   "the lock stops no reader of the data (advisory)");
	is_int(xp_os_lock(a, XP_LOCK_EX | XP_LOCK_NB), 0,
	       "locking again what one holds is no error");
	is_int(xp_os_lock(a, XP_LOCK_SH | XP_LOCK_NB), 0, "exclusive converts to shared");
	is_int(xp_os_lock(b, XP_LOCK_SH | XP_LOCK_NB), 0, "two shared locks stand together");
	errno = 0;
	ok(xp_os_lock(b, XP_LOCK_EX | XP_LOCK_NB) < 0 && errno == EWOULDBLOCK,
	   "shared does not convert to exclusive while another holds it shared");
	is_int(xp_os_lock(a, XP_LOCK_UN), 0, "unlock");
	is_int(xp_os_lock(a, XP_LOCK_UN), 0, "unlocking what is not locked is no error");
	is_int(xp_os_lock(b, XP_LOCK_EX | XP_LOCK_NB), 0, "after the unlock, exclusive is free");
	close(b);
	is_int(xp_os_lock(a, XP_LOCK_EX | XP_LOCK_NB), 0, "closing the holder releases its lock");
	errno = 0;
	ok(xp_os_lock(-1, XP_LOCK_EX) < 0 && errno == EBADF, "locking a bad descriptor is EBADF");
	close(a);
	free(p);
}

static void nofollow(void)
{
	char *p = file("plain", "x"), *l = file("link", NULL), *m = file("missing", NULL);
	struct stat st;
	int fd;

	fd = xp_os_open_nofollow(p, O_RDONLY, 0);
	ok(fd >= 0, "open_nofollow opens a regular file");
	close(fd);
	fd = xp_os_open_nofollow(m, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0 && write(fd, "made", 4) == 4, "and creates one");
	close(fd);
	is_str(slurp(m), "made", "with the bytes written to it");
	errno = 0;
	ok(xp_os_open_nofollow(m, O_WRONLY | O_CREAT | O_EXCL, 0600) < 0 && errno == EEXIST,
	   "O_EXCL refuses an existing file (EEXIST)");
	is_int(xp_os_lstat(p, &st), 0, "lstat of a file");
	ok(S_ISREG(st.st_mode) && st.st_size == 1, "is a regular file of its size");
	is_int(xp_os_lstat(dir, &st), 0, "lstat of a directory");
	ok(S_ISDIR(st.st_mode), "is a directory");
	errno = 0;
	ok(xp_os_lstat(l, &st) < 0 && errno == ENOENT, "lstat of nothing is ENOENT");
	if (make_link(p, l) < 0) {
		printf("# this system makes no symbolic links: skipping their checks\n");
	} else {
		errno = 0;
		ok(xp_os_open_nofollow(l, O_RDONLY, 0) < 0 && errno == ELOOP,
		   "open_nofollow refuses a symbolic link (ELOOP)");
		ok(xp_os_lstat(l, &st) == 0 && S_ISLNK(st.st_mode), "lstat sees the link itself");
	}
	unlink(l);
	free(p);
	free(l);
	free(m);
}

static void dirs(void)
{
	char *d = file("sub", NULL), *p = file("f", "x"), *q = file("sub/../f", NULL);
	char *none = file("none", NULL), *r1, *r2;

	is_int(xp_os_mkdir(d, 0700), 0, "mkdir");
	errno = 0;
	ok(xp_os_mkdir(d, 0700) < 0 && errno == EEXIST, "mkdir of an existing one is EEXIST");
	is_int(xp_os_fsync_dir(d), 0, "fsync_dir of a directory");
	errno = 0;
	ok(xp_os_fsync_dir(p) < 0 && errno == ENOTDIR, "fsync_dir of a file is ENOTDIR");
	errno = 0;
	ok(xp_os_fsync_dir(none) < 0 && errno == ENOENT, "fsync_dir of nothing is ENOENT");
	r1 = xp_os_realpath(p);
	r2 = xp_os_realpath(q);
	ok(r1 && r2 && strcmp(r1, r2) == 0, "realpath resolves '..' to the same name");
	ok(r1 && strlen(r1) > 2 && strcmp(r1 + strlen(r1) - 2, "/f") == 0 && !strstr(r1, ".."),
	   "an absolute name with '/' separators: %s", r1 ? r1 : "(null)");
	errno = 0;
	ok(xp_os_realpath(none) == NULL && errno == ENOENT, "realpath of nothing is NULL, ENOENT");
	free(r1);
	free(r2);
	free(d);
	free(p);
	free(q);
	free(none);
}

static void environment(void)
{
	is_int(xp_os_setenv("XP_OS_TEST", "one"), 0, "setenv");
	is_str(getenv("XP_OS_TEST"), "one", "sets the variable");
	is_int(xp_os_setenv("XP_OS_TEST", "two"), 0, "setenv again");
	is_str(getenv("XP_OS_TEST"), "two", "overwrites it");
	is_int(xp_os_unsetenv("XP_OS_TEST"), 0, "unsetenv");
	ok(getenv("XP_OS_TEST") == NULL, "removes it");
}

static void memstream(void)
{
	char *buf = NULL;
	size_t len = 99;
	FILE *f = xp_os_memstream(&buf, &len);

	ok(f != NULL, "memstream opens");
	fprintf(f, "line %d\n", 1);
	fputs("two", f);
	is_int(xp_os_memstream_close(f), 0, "memstream closes");
	is_str(buf, "line 1\ntwo", "with the text written, NUL-terminated");
	is_int((int64_t)len, 10, "and its length");
	free(buf);
	f = xp_os_memstream(&buf, &len);
	is_int(f ? xp_os_memstream_close(f) : -1, 0, "an empty memstream closes");
	ok(buf && buf[0] == '\0' && len == 0, "as an empty string");
	free(buf);
}

static void strings(void)
{
	char *p = file("lines", NULL), *line = NULL, *s;
	size_t cap = 0;
	FILE *f;
	char big[301];

	memset(big, 'b', 300);
	big[300] = '\0';
	f = fopen(p, "wb");
	fprintf(f, "one\n\n%s\nlast", big);
	fclose(f);
	f = fopen(p, "rb");
	is_int(xp_getline(&line, &cap, f), 4, "getline reads a line with its newline");
	is_str(line, "one\n", "the line");
	is_int(xp_getline(&line, &cap, f), 1, "an empty line is its newline");
	is_int(xp_getline(&line, &cap, f), 301, "a line longer than the first buffer");
	ok(line && cap > 301 && line[299] == 'b' && line[300] == '\n', "grows the buffer");
	is_int(xp_getline(&line, &cap, f), 4, "a last line without newline");
	is_str(line, "last", "is read whole");
	is_int(xp_getline(&line, &cap, f), -1, "end of file is -1");
	fclose(f);
	free(line);
	s = xp_strndup("abcdef", 3);
	is_str(s, "abc", "strndup takes at most n bytes");
	free(s);
	s = xp_strndup("ab", 10);
	is_str(s, "ab", "and stops at the end of a shorter string");
	free(s);
	s = "Bigint UNSIGNED";
	ok(xp_strcasestr(s, "unsigned") == s + 7, "strcasestr finds a word in either case");
	ok(xp_strcasestr(s, "signedx") == NULL, "and NULL where it is not");
	ok(xp_strcasestr(s, "") == s, "the empty string is at the start");
	s = "a/b/c";
	ok(xp_memrchr(s, '/', 5) == s + 3, "memrchr: the last of two");
	ok(xp_memrchr(s, '/', 3) == s + 1, "within the n bytes only");
	ok(xp_memrchr(s, 'x', 5) == NULL, "NULL when it is not there");
	free(p);
}

/* The calls added for the tools: pipes, unnamed temp files, open descriptors, globs. */
static void more(void)
{
	char *a = file("g1.tmp.x", "1"), *b = file("g2.tmp.y", "2"), *c = file("other", "3");
	char *pattern = xp_asprintf("%s/g*.tmp.*", dir), *none = xp_asprintf("%s/zz*", dir);
	char **paths = NULL, buf[8] = "";
	size_t n = 9;
	struct dirent **ents = NULL;
	int p[2] = {-1, -1}, fd, found = 0, k;

	void *al = xp_os_aligned_alloc(4096, 8192);

	ok(al && ((uintptr_t)al & 4095) == 0, "aligned_alloc: 8192 bytes on a 4096-byte boundary");
	xp_os_aligned_free(al);
	is_int(xp_os_pipe(p), 0, "pipe");
	ok(write(p[1], "abc", 3) == 3 && read(p[0], buf, 3) == 3 && strcmp(buf, "abc") == 0,
	   "a pipe carries bytes");
	is_int(xp_os_fd_open(p[0]), 1, "fd_open: an open descriptor");
	close(p[0]);
	close(p[1]);
	is_int(xp_os_fd_open(p[0]), 0, "fd_open: a closed one");
	fd = xp_os_tmpfile(dir);
	ok(fd >= 0, "tmpfile opens a file in the directory");
	ok(fd >= 0 && write(fd, "xyz", 3) == 3 && lseek(fd, 0, SEEK_SET) == 0 &&
	           read(fd, buf, 3) == 3 && memcmp(buf, "xyz", 3) == 0,
	   "that reads back what was written");
	if (fd >= 0)
		close(fd);
	k = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		found += strncmp(ents[i]->d_name, "xpseal.", 7) == 0;
		free(ents[i]);
	}
	free(ents);
	is_int(found, 0, "and is gone once closed");
	is_int(xp_os_glob(pattern, &paths, &n), 0, "glob");
	ok(n == 2 && paths &&
	           ((strcmp(paths[0], a) == 0 && strcmp(paths[1], b) == 0) ||
	            (strcmp(paths[0], b) == 0 && strcmp(paths[1], a) == 0)),
	   "finds the two names that match, as paths");
	xp_os_glob_free(paths, n);
	is_int(xp_os_glob(none, &paths, &n), 0, "glob of a pattern nothing matches");
	ok(n == 0, "finds none");
	xp_os_glob_free(paths, n);
	free(pattern);
	free(none);
	free(a);
	free(b);
	free(c);
}

/* The null device opens as a file does: the child processes of base/proc.h get it as their
 * standard input. */
static void devnull(void)
{
	char buf[4];
	int fd = xp_os_open(XP_OS_DEVNULL, O_RDWR, 0);

	ok(fd >= 0, "the null device (%s) opens for reading and writing", XP_OS_DEVNULL);
	ok(fd >= 0 && read(fd, buf, sizeof buf) == 0, "reads as empty");
	ok(fd >= 0 && write(fd, "abc", 3) == 3, "and takes what is written");
	if (fd >= 0)
		close(fd);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Paths' roots, and xp_mkdirs making every missing parent after the root. */
static void mkdirs(void)
{
	struct xp_err err = {0};
	char *deep, *name;

	is_int(xp_os_path_root("/var/lib"), 1, "the root of /var/lib is /");
	is_int(xp_os_path_root("var/lib"), 0, "a relative path has none");
	name = file("m1", NULL);
	free(file("m1/m2", NULL));
	deep = file("m1/m2/m3", NULL);
	is_int(xp_mkdirs(deep, 0700, &err), 0, "mkdirs DIR/m1/m2/m3 makes its missing parents");
	ok(is_dir(deep), "and the last one");
	is_int(xp_mkdirs(deep, 0700, &err), 0, "and again, with all of them there");
	free(deep);
	free(name);
#ifdef _WIN32
	static const struct {
		const char *path;
		size_t root;
	} roots[] = {
	        {"C:\\ProgramData\\xpbackup", 3},
	        {"c:/ProgramData", 3},
	        {"C:relative", 2},
	        {"\\ProgramData", 1},
	        {"\\\\server\\share\\x\\y", 15},
	        {"//server/share/x", 15},
	        {"\\\\server\\share", 14},
	        {"\\\\?\\C:\\x", 7},
	        {"\\\\?\\UNC\\server\\share\\x", 21},
	        {"\\\\.\\C:\\x", 7},
	};
	wchar_t wfull[4096];
	char full[4096], *win;

	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
		is_int(xp_os_path_root(roots[i].path), roots[i].root, "the root of %s is %zu bytes",
		       roots[i].path, roots[i].root);
	ok(xp_os_path_sep('\\') && xp_os_path_sep('/'), "either slash separates names");
	/* the test directory as Windows writes it: a drive letter and backslashes */
	name = xp_asprintf("%s", dir);
	for (char *c = name; *c; c++)
		if (*c == '/')
			*c = '\\';
	wchar_t *w = malloc(8192);
	MultiByteToWideChar(CP_UTF8, 0, name, -1, w, 4096);
	GetFullPathNameW(w, 4096, wfull, NULL);
	WideCharToMultiByte(CP_UTF8, 0, wfull, -1, full, sizeof full, NULL, NULL);
	free(w);
	free(name);
	name = file("w1", NULL);
	free(file("w1/w2", NULL));
	deep = file("w1/w2/w3", NULL);
	win = xp_asprintf("%s\\w1\\w2\\w3", full);
	ok(full[1] == ':' && full[2] == '\\', "the directory with its drive: %s", full);
	is_int(xp_mkdirs(win, 0700, &err), 0, "mkdirs %s makes its missing parents", win);
	ok(is_dir(deep), "each of them");
	free(win);
	free(deep);
	free(name);
	name = file("x1", NULL);
	deep = file("x1/x2", NULL);
	win = xp_asprintf("\\\\?\\%s\\x1\\x2", full);
	is_int(xp_mkdirs(win, 0700, &err), 0, "and %s, behind \\\\?\\", win);
	ok(is_dir(deep), "makes both");
	free(win);
	free(deep);
	free(name);
#else
	ok(!xp_os_path_sep('\\'), "a backslash is a letter of a name on POSIX");
	name = file("b\\c", NULL);
	deep = file("b\\c/d", NULL);
	is_int(xp_mkdirs(deep, 0700, &err), 0, "mkdirs DIR/b\\c/d");
	ok(is_dir(name) && is_dir(deep), "makes the directory b\\c, and d in it");
	free(deep);
	free(name);
#endif
}

/* Where temporary files go: TMPDIR, else TEMP, else /tmp. */
static void temp_dir(void)
{
	char *tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	char *temp = getenv("TEMP") ? strdup(getenv("TEMP")) : NULL;

	xp_os_setenv("TMPDIR", "/x/tmpdir");
	xp_os_setenv("TEMP", "/x/temp");
	is_str(xp_os_temp_dir(), "/x/tmpdir", "temp_dir: TMPDIR first");
	xp_os_setenv("TMPDIR", "");
	is_str(xp_os_temp_dir(), "/x/temp", "then TEMP (Windows') when TMPDIR is empty");
	xp_os_unsetenv("TMPDIR");
	xp_os_unsetenv("TEMP");
	is_str(xp_os_temp_dir(), "/tmp", "else /tmp");
	if (tmpdir)
		xp_os_setenv("TMPDIR", tmpdir);
	if (temp)
		xp_os_setenv("TEMP", temp);
	free(tmpdir);
	free(temp);
}

int main(int argc, char **argv)
{
	int n = argc;

	is_int(xp_os_args(&argc, &argv), 0, "args");
	ok(argc == n && argv[0] && argv[argc] == NULL, "keep their count and end in NULL");
	is_int(xp_os_stdio_binary(), 0, "standard input and output set to bytes");
	make_dir();
	if (!ok(dir[0] != '\0', "a test directory: %s", dir))
		return 1;
	replace();
	replace_open();
	mkstemp_unique();
	locks();
	nofollow();
	dirs();
	strings();
	memstream();
	environment();
	more();
	devnull();
	mkdirs();
	temp_dir();
	cleanup();
	return done_testing();
}
