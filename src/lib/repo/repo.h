/* The repository's layout: every path under REPO, what a backup id is, and how a repository
 * file is opened. Other modules get their paths here and build none by hand (the vault, vault.h,
 * adds ID.key to the keys/shred directory of repositories made before it).
 *
 *   REPO/config               repository settings (text)
 *   REPO/keys/repo.pub        X25519 public key; its presence makes REPO a repository
 *   REPO/keys/repo.key        X25519 secret key sealed to the password
 *   REPO/keys/signer.pub      the host's signing public key
 *   REPO/keys/shred/ID.key    the data key of a shreddable backup, in repositories made
 *                             before the vault (vault.h) until they are migrated
 *   REPO/catalog              the catalog, and catalog.minisig (catalog.minisig.new while
 *                             a rewrite is under way)
 *   REPO/journal              the event journal
 *   REPO/lock                 flock(2) target
 *   REPO/data/XX/ID.xps       a backup (XX: the id's first two hex digits), ID.xps.minisig
 *
 * The storage may be writable by others (a NAS, a travelling disk). xp_repo_open and
 * xp_repo_read follow no symbolic link below REPO (REPO itself is the administrator's choice
 * and may be one), never wait on a FIFO or device, and refuse anything that is not a regular
 * file with one sentence naming it: the lock, journal, catalog, keys, config and shred keys
 * are opened that way, and data/ is listed that way. Files written whole (catalog, keys,
 * signatures) go through xp_afile_open, which replaces a link rather than follow it. Backups
 * and their signatures, only read and verified, are opened with xp_open_regular (a FIFO is
 * refused; a link in the last component is followed, and what it reaches must verify).
 *
 * Every path returned is malloc'd, owned by the caller (free(3)), NULL when out of memory. */
#ifndef XP_REPO_H
#define XP_REPO_H

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

#define XP_REPO_ID_HEX  33 /* a backup id: 32 lower-case hex digits and NUL */
#define XP_REPO_REL_MAX 48 /* "data/XX/ID.xps" and NUL */

/* The repository's own files, by role. */
enum xp_repo_file {
	XP_REPO_CONFIG,
	XP_REPO_CATALOG,
	XP_REPO_CATALOG_SIG,
	XP_REPO_CATALOG_SIG_NEW,
	XP_REPO_JOURNAL,
	XP_REPO_LOCK,
	XP_REPO_KEYS,
	XP_REPO_PUBLIC_KEY,
	XP_REPO_SECRET_KEY,
	XP_REPO_REPO_ID,
	XP_REPO_SIGNER_PUB,
	XP_REPO_SHRED_DIR,
	XP_REPO_DATA,
	XP_REPO_ERASURES /* the erasure ledger (erase.h) */
};

/* This host's state directory, outside every repository (trust pins, trust.h; the key vault,
 * vault.h): $XP_STATE_DIR, else /var/lib/xpbackup for root, else $XDG_STATE_HOME/xpbackup,
 * else ~/.local/state/xpbackup. A static string, computed once. */
const char *xp_repo_state_dir(void);

/* The name of f relative to REPO ("catalog", "keys/signer.pub"); a static string. */
const char *xp_repo_name(enum xp_repo_file f);
/* "REPO/NAME" of f. */
char *xp_repo_file(const char *repo, enum xp_repo_file f);
/* "REPO/rel" for a name relative to REPO (a catalog entry's path, a directory entry). */
char *xp_repo_join(const char *repo, const char *rel);

/* Whether id is a backup id: exactly 32 lower-case hex digits. */
int xp_repo_valid_id(const char *id);
/* Whether name is a data/ subdirectory's name: two lower-case hex digits. */
int xp_repo_valid_sub(const char *name);
/* Whether id is a backup id whose file belongs in data/SUB (SUB: its first two digits). */
int xp_repo_id_in_sub(const char *sub, const char *id);
/* The id in a file name "ID.xps" (the part after the last '/'), into id: 0, or -1 when the
 * name is not a backup's. */
int xp_repo_id_of_name(const char *name, char id[XP_REPO_ID_HEX]);

/* "data/XX/ID.xps", relative to REPO, into buf; id must be valid. */
void xp_repo_backup_rel(const char *id, char buf[XP_REPO_REL_MAX]);
/* "REPO/data/XX/ID.xps" followed by suffix ("" or ".minisig"). */
char *xp_repo_backup(const char *repo, const char *id, const char *suffix);
/* "REPO/data/SUB": the directory of the backups whose ids start with SUB. */
char *xp_repo_data_sub(const char *repo, const char *sub);

/* Removes the file path under REPO, reaching its directory without following a link (a link
 * planted as data/XX makes it fail, never removes a file elsewhere); a missing file or
 * directory is 0. */
int xp_repo_unlink(const char *repo, const char *path, struct xp_err *err);
/* Opens path, a file of the repository REPO, into *fd (the caller closes it). flags are
 * open(2)'s access and creation flags (O_RDONLY, O_WRONLY | O_APPEND | O_CREAT, ...); the
 * descriptor is close-on-exec and blocking. When path is under REPO no component below REPO
 * may be a symbolic link; otherwise only its last may not. A symbolic link, FIFO, device,
 * socket or directory is refused, XP_EFAIL "PATH: not a regular file (a FIFO)", without being
 * opened for reading or writing; a missing file is XP_ENOENT. repo may be NULL. */
int xp_repo_open(const char *repo, const char *path, int flags, mode_t mode, int *fd,
                 struct xp_err *err);
/* Opens the directory path under REPO (for readdir) with the same rule; the caller closes *d
 * with xp_os_closedir. */
int xp_repo_opendir(const char *repo, const char *path, DIR **d, struct xp_err *err);
/* xp_file_read for a repository file, opened by xp_repo_open: at most max bytes into a
 * malloc'd, NUL-terminated *buf (the caller frees it); len may be NULL. */
int xp_repo_read(const char *repo, const char *path, size_t max, char **buf, size_t *len,
                 struct xp_err *err);
/* xp_repo_read, but a missing file is 0 with *buf NULL and *len 0 (err untouched). */
int xp_repo_read_optional(const char *repo, const char *path, size_t max, char **buf, size_t *len,
                          struct xp_err *err);

#endif
