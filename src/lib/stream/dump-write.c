#include "config.h"

#include "stream/dump-int.h"
#include "base/err.h"
#include "base/time.h"
#include "base/io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The writer: a pax tar of MANIFEST, the tables' CSV chunks and SUMMARY. */

/* The chunks go to a child process, which writes the tar entries and hashes them while this
 * process fetches: a process, not a thread, because drivers lock a mutex on every call
 * (SQLite several per value), and glibc makes those locks cheap only in a process with one
 * thread.
 *
 * Chunks are filled in SLOTS buffers of shared memory, taken in turn: one is filled while
 * the child writes the other. A chunk that outgrows its slot (a row longer than the
 * chunk size) is filled in private memory and sent through the socket pair instead.
 * Messages, parent to child: M_CHUNK (in a slot, or followed by its bytes), M_END when no
 * chunk follows, M_SUMMARY with the SUMMARY text. Notes, child to parent: N_FREED when a
 * slot's chunk is written; N_REPLY to M_END (followed by the tables' BLAKE2b) and to
 * M_SUMMARY, or at once on a failure (then followed by the error), after which the child
 * exits. A parent that closes the socket without M_SUMMARY abandons the stream: the child
 * exits without the end-of-archive blocks. */
#define SLOTS  2
#define INLINE UINT32_MAX   /* the chunk's bytes follow its message */
#define PIECE  (256 * 1024) /* bytes the child reads from the socket at a time */
/* The child writes the tar in blocks of BLOCK bytes, one write each (tar's 10240-byte records
 * cost a write and a wake-up of the reader per 10 KiB). A block is whole records and the last
 * is padded to a record, so the stream's bytes are those of 10240-byte records. */
#define RECORD 10240
#define BLOCK  (XP_PIPE_SIZE / RECORD * RECORD)

enum { M_CHUNK = 1, M_END, M_SUMMARY };
enum { N_FREED = 1, N_REPLY };

struct msg {
	uint32_t kind;
	uint32_t table;
	uint32_t chunk; /* its number in the table, from 1 */
	uint32_t last;  /* the table's last chunk: finish its hash */
	uint32_t slot;  /* where the bytes are: a slot, or INLINE */
	uint32_t pad;
	uint64_t len;
};

struct note {
	int32_t kind;
	int32_t rc; /* N_REPLY: 0, or the failure, whose struct xp_err follows */
};

struct xp_dump_writer {
	struct archive *a; /* the child's */
	int fd;
	const char *fdname;
	int werrno; /* errno of a failed write, for the message */
	struct xp_manifest *m;
	size_t chunk_size;
	char *shm; /* SLOTS slots of slotcap bytes, shared with the child */
	size_t slotcap;
	char *buf; /* the chunk being filled (header row first): a slot, or priv */
	size_t len, cap;
	char *priv; /* private memory for a chunk that outgrew its slot */
	size_t privcap;
	size_t hdr; /* length of the header row in buf */
	size_t cur; /* table being written */
	int open;   /* table cur has started */
	uint64_t rows, bytes;
	unsigned sent, freed; /* chunks sent in slots, and written by the child */
	pid_t child;
	int sock;                   /* the parent's end of the socket pair, -1 when closed */
	int ended;                  /* the child has ended, or failed: ask nothing more of it */
	crypto_generichash_state h; /* the child's: the current table's */
};

static la_ssize_t write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct xp_dump_writer *w = arg;
	struct xp_err e;

	if (xp_write_all(w->fd, buf, n, &e)) {
		w->werrno = errno ? errno : EIO;
		archive_set_error(a, w->werrno, "write failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int arch_err(struct xp_dump_writer *w, struct xp_err *err, const char *what)
{
	if (w->werrno)
		return xp_err_set(err, XP_EFAIL, "%s: write: %s", w->fdname, strerror(w->werrno));
	return xp_err_set(err, XP_EFAIL, "%s: %s", what, archive_error_string(w->a));
}

static int send_all(int sock, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(sock, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int sock, void *buf, size_t len)
{
	return xp_read_full(sock, buf, len) == (ssize_t)len ? 0 : -1;
}

static int put_data(struct xp_dump_writer *w, const char *name, const char *p, size_t n,
                    struct xp_err *err)
{
	while (n) {
		la_ssize_t k = archive_write_data(w->a, p, n);

		if (k <= 0)
			return arch_err(w, err, name);
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* An entry of len bytes from data, or from the socket when data is NULL; hashed when hash
 * is set. */
static int write_entry(struct xp_dump_writer *w, const char *name, const char *data, size_t len,
                       int hash, int sock, struct xp_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)w->m->started, 0);
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		rc = arch_err(w, err, name);
		goto out;
	}
	if (data) {
		if (hash)
			crypto_generichash_update(&w->h, (const unsigned char *)data, len);
		rc = put_data(w, name, data, len, err);
	}
	while (!data && !rc && len) {
		size_t piece = len < PIECE ? len : PIECE;

		if (recv_all(sock, w->buf, piece)) {
			rc = xp_err_set(err, XP_EFAIL, "%s: the dump ended early", name);
			break;
		}
		if (hash)
			crypto_generichash_update(&w->h, (const unsigned char *)w->buf, piece);
		rc = put_data(w, name, w->buf, piece, err);
		len -= piece;
	}
	if (!rc && archive_write_finish_entry(w->a) != ARCHIVE_OK)
		rc = arch_err(w, err, name);
out:
	archive_entry_free(e);
	return rc;
}

static int child_chunk(struct xp_dump_writer *w, int sock, const struct msg *mg, struct xp_err *err)
{
	struct xp_dump_table *t;
	char name[64 + 4096];
	int rc;

	if (mg->table >= w->m->ntables ||
	    (mg->slot != INLINE && (mg->slot >= SLOTS || mg->len > w->slotcap)))
		return xp_err_set(err, XP_EFAIL, "dump: a chunk out of range");
	t = &w->m->tables[mg->table];
	if (mg->chunk == 1)
		crypto_generichash_init(&w->h, NULL, 0, sizeof t->blake2b);
	if ((size_t)snprintf(name, sizeof name, "%s/%06" PRIu32 ".csv", t->name, mg->chunk) >=
	    sizeof name)
		return xp_err_set(err, XP_EUSAGE, "table %s: name too long", t->name);
	rc = write_entry(w, name, mg->slot == INLINE ? NULL : w->shm + mg->slot * w->slotcap,
	                 mg->len, 1, sock, err);
	if (!rc && mg->last)
		crypto_generichash_final(&w->h, t->blake2b, sizeof t->blake2b);
	return rc;
}

/* The child: MANIFEST, then what the parent sends; never returns. */
static void child_main(struct xp_dump_writer *w, int sock)
{
	struct note nt = {N_REPLY, 0};
	struct xp_err err = {0};
	struct msg mg;
	char *text = NULL;
	size_t len = 0;

	/* the parent's handlers (and their clean-up) are the parent's */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* a reader that has gone is a failed write, reported, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	w->buf = malloc(PIECE);
	w->a = archive_write_new();
	if (!w->buf || !w->a) {
		nt.rc = xp_err_set(&err, XP_ENOMEM, "out of memory");
		goto reply;
	}
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, RECORD) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		nt.rc = arch_err(w, &err, "archive");
		goto reply;
	}
	nt.rc = xp_manifest_format(w->m, &text, &len, &err);
	if (!nt.rc)
		nt.rc = write_entry(w, "MANIFEST", text, len, 0, -1, &err);
	free(text);
	while (!nt.rc) {
		if (recv_all(sock, &mg, sizeof mg))
			_exit(1); /* abandoned */
		if (mg.kind == M_CHUNK) {
			struct note freed = {N_FREED, 0};

			nt.rc = child_chunk(w, sock, &mg, &err);
			if (!nt.rc && mg.slot != INLINE && send_all(sock, &freed, sizeof freed))
				_exit(1);
			continue;
		}
		if (mg.kind == M_END) {
			if (send_all(sock, &nt, sizeof nt))
				_exit(1);
			for (size_t i = 0; i < w->m->ntables; i++)
				if (send_all(sock, w->m->tables[i].blake2b,
				             sizeof w->m->tables[i].blake2b))
					_exit(1);
			continue;
		}
		if (mg.kind != M_SUMMARY || mg.len > ((size_t)1 << 30) ||
		    !(text = malloc(mg.len ? mg.len : 1)) || recv_all(sock, text, mg.len))
			_exit(1);
		nt.rc = write_entry(w, "SUMMARY", text, mg.len, 0, -1, &err);
		if (!nt.rc && archive_write_close(w->a) != ARCHIVE_OK)
			nt.rc = arch_err(w, &err, "archive");
		break;
	}
reply:
	if (!send_all(sock, &nt, sizeof nt) && nt.rc)
		send_all(sock, &err, sizeof err);
	_exit(nt.rc ? 1 : 0);
}

/* The child has gone without a reply: how it ended. */
static int gone(struct xp_dump_writer *w, struct xp_err *err)
{
	int st = 0;

	w->ended = 1;
	if (w->sock >= 0) {
		close(w->sock);
		w->sock = -1;
	}
	while (w->child > 0 && waitpid(w->child, &st, 0) < 0 && errno == EINTR)
		;
	w->child = -1;
	if (WIFSIGNALED(st))
		return xp_err_set(err, XP_EFAIL, "dump: the writer process was killed by signal %d",
		                  WTERMSIG(st));
	return xp_err_set(err, XP_EFAIL, "dump: the writer process ended");
}

/* Reads the child's notes up to its reply (want N_REPLY), or one N_FREED (want N_FREED);
 * a failure the child reports instead ends it. */
static int get_note(struct xp_dump_writer *w, int want, struct xp_err *err)
{
	struct xp_err e;
	struct note nt;

	for (;;) {
		if (w->ended)
			return gone(w, err);
		if (recv_all(w->sock, &nt, sizeof nt))
			return gone(w, err);
		if (nt.kind == N_FREED) {
			w->freed++;
			if (want == N_FREED)
				return 0;
			continue;
		}
		if (!nt.rc)
			return 0;
		w->ended = 1;
		if (recv_all(w->sock, &e, sizeof e))
			return gone(w, err);
		e.msg[sizeof e.msg - 1] = '\0';
		if (err)
			*err = e;
		return nt.rc;
	}
}

/* Sends a message, and len bytes of data when it has them. When the child has gone, its
 * reply says why. */
static int send_msg(struct xp_dump_writer *w, const struct msg *mg, const char *data, size_t len,
                    struct xp_err *err)
{
	if (w->ended)
		return gone(w, err);
	if (send_all(w->sock, mg, sizeof *mg) || (data && send_all(w->sock, data, len))) {
		int rc = get_note(w, N_REPLY, err);

		return rc ? rc : gone(w, err);
	}
	return 0;
}

/* Makes buf the next free slot, waiting for the child to write the chunk it held. */
static int take_slot(struct xp_dump_writer *w, struct xp_err *err)
{
	while (w->sent - w->freed >= SLOTS) {
		int rc = get_note(w, N_FREED, err);

		if (rc)
			return rc;
	}
	w->buf = w->shm + (w->sent % SLOTS) * w->slotcap;
	w->cap = w->slotcap;
	return 0;
}

static int grow_buf(struct xp_dump_writer *w, size_t need, struct xp_err *err)
{
	size_t cap = w->privcap ? w->privcap : 4096;
	int in_slot = w->buf != w->priv; /* else realloc moves the chunk itself */
	char *b;

	if (need <= w->cap)
		return 0;
	/* a slot is outgrown: the chunk moves to private memory */
	while (cap < need)
		cap *= 2;
	if (cap > w->privcap) {
		b = realloc(w->priv, cap);
		if (!b)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		w->priv = b;
		w->privcap = cap;
	}
	if (in_slot)
		memcpy(w->priv, w->buf, w->len);
	w->buf = w->priv;
	w->cap = w->privcap;
	return 0;
}

/* Starts a chunk: the header row. */
static int chunk_start(struct xp_dump_writer *w, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	struct xp_field *names = calloc(t->ncols, sizeof *names);
	int rc;

	if (!names)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	w->len = 0;
	for (size_t i = 0; i < t->ncols; i++)
		names[i] = (struct xp_field){t->cols[i].name, strlen(t->cols[i].name), 0};
	rc = grow_buf(w, xp_csv_row_bound(names, t->ncols), err);
	if (!rc)
		w->hdr = w->len = xp_csv_encode_row(w->buf, names, t->ncols);
	free(names);
	return rc;
}

/* Hands the first len bytes of the chunk to the child, and takes the next slot; the bytes
 * of the chunk stay readable until the next is filled. */
static int chunk_flush(struct xp_dump_writer *w, size_t len, int last, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	int inl = w->buf == w->priv;
	struct msg mg = {
	        M_CHUNK, (uint32_t)w->cur, 0, (uint32_t)last, inl ? INLINE : w->sent % SLOTS, 0,
	        len};
	int rc;

	if (t->chunks == 999999)
		return xp_err_set(err, XP_EFAIL, "table %s: more than 999999 chunks", t->name);
	mg.chunk = ++t->chunks;
	t->bytes += len;
	w->bytes += len;
	rc = send_msg(w, &mg, inl ? w->buf : NULL, len, err);
	if (rc)
		return rc;
	if (!inl)
		w->sent++;
	return take_slot(w, err);
}

/* After a chunk goes out, the row that did not fit it is in the next: the last chunk holds a
 * row, or is a whole table's only chunk. */
static int table_end(struct xp_dump_writer *w, struct xp_err *err)
{
	int rc = 0;

	if (!w->open) /* a table without rows still gets its header-only chunk */
		rc = chunk_start(w, err);
	if (!rc)
		rc = chunk_flush(w, w->len, 1, err);
	w->len = w->hdr = 0;
	w->open = 0;
	return rc;
}

/* In the forked writer: every descriptor but the standard three, the output a and the
 * socket b is closed. A descriptor of the parent left open here (the write end of a pipe
 * another thread of the parent reads, say) would keep that pipe from ever reaching its end. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
#ifdef HAVE_CLOSE_RANGE
	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
#else
	long max = sysconf(_SC_OPEN_MAX);

	for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		if (fd != lo && fd != hi)
			close(fd);
#endif
}

int xp_dump_writer_open(struct xp_dump_writer **out, int fd, const char *fdname,
                        struct xp_manifest *m, size_t chunk_size, struct xp_err *err)
{
	struct xp_dump_writer *w = calloc(1, sizeof *w);
	long page = sysconf(_SC_PAGESIZE);
	int sv[2] = {-1, -1};
	int rc = 0;

	*out = NULL;
	if (!w || sodium_init() < 0) {
		free(w);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	w->sock = -1;
	w->child = -1;
	w->fd = fd;
	w->fdname = fdname ? fdname : "standard output";
	w->m = m;
	w->chunk_size = chunk_size ? chunk_size : XP_DUMP_CHUNK_DEFAULT;
	if (w->chunk_size < XP_DUMP_CHUNK_MIN || w->chunk_size > XP_DUMP_CHUNK_MAX) {
		rc = xp_err_set(err, XP_EUSAGE, "chunk size %zu: not between %u and %u",
		                w->chunk_size, XP_DUMP_CHUNK_MIN, XP_DUMP_CHUNK_MAX);
		goto out;
	}
	for (size_t i = 0; i < m->ntables; i++) {
		struct xp_dump_table *t = &m->tables[i];

		t->rows = t->bytes = 0;
		t->chunks = 0;
		t->has_time = 0;
	}
	/* room for a full chunk and the row that overflows it, for most rows */
	page = page > 0 ? page : 4096;
	w->slotcap = (w->chunk_size + 65536 + (size_t)page - 1) / (size_t)page * (size_t)page;
	w->shm = mmap(NULL, SLOTS * w->slotcap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	              -1, 0);
	if (w->shm == MAP_FAILED) {
		w->shm = NULL;
		rc = xp_err_sys(err, XP_ENOMEM, "dump buffers");
		goto out;
	}
	xp_pipe_grow(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "socketpair");
		goto out;
	}
	fflush(NULL);
	w->child = fork();
	if (w->child < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "fork");
		goto out;
	}
	if (w->child == 0) {
		close_others(w->fd, sv[1]);
		child_main(w, sv[1]);
	}
	w->sock = sv[0];
	sv[0] = -1;
	rc = take_slot(w, err);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rc) {
		xp_dump_writer_free(w);
		w = NULL;
	}
	*out = w;
	return rc;
}

int xp_dump_writer_row(struct xp_dump_writer *w, size_t t, const struct xp_field *f,
                       struct xp_err *err)
{
	struct xp_dump_table *tb;
	size_t rl;
	int rc;

	if (t >= w->m->ntables || t < w->cur)
		return xp_err_set(err, XP_EUSAGE, "dump: rows of table %zu out of order", t);
	while (w->cur < t) {
		rc = table_end(w, err);
		if (rc)
			return rc;
		w->cur++;
	}
	tb = &w->m->tables[t];
	if (!w->open) {
		w->open = 1;
		rc = chunk_start(w, err);
		if (rc)
			return rc;
	}
	if (xp_dump_row_time(tb, f))
		return xp_err_set(err, XP_EFAIL, "table %s: row %" PRIu64 ": %s is not a time",
		                  tb->name, tb->rows + 1, tb->cols[tb->time_col].name);
	rc = grow_buf(w, w->len + xp_csv_row_bound(f, tb->ncols), err);
	if (rc)
		return rc;
	rl = xp_csv_encode_row(w->buf + w->len, f, tb->ncols);
	if (w->len + rl > w->chunk_size && w->len > w->hdr) {
		/* the row does not fit: the chunk goes out without it; the row opens the next,
		 * after the header row, both copied from the chunk just handed over */
		const char *old = w->buf;
		size_t at = w->len;

		rc = chunk_flush(w, at, 0, err);
		if (!rc) {
			w->len = 0;
			rc = grow_buf(w, w->hdr + rl, err);
		}
		if (rc)
			return rc;
		if (w->buf != old) {
			memcpy(w->buf, old, w->hdr);
			memcpy(w->buf + w->hdr, old + at, rl);
		} else { /* private memory again (it held at + rl bytes: not reallocated) */
			memmove(w->buf + w->hdr, old + at, rl);
		}
		w->len = w->hdr;
	}
	w->len += rl;
	tb->rows++;
	w->rows++;
	return 0;
}

int xp_dump_writer_finish(struct xp_dump_writer *w, struct xp_err *err)
{
	struct msg end = {M_END, 0, 0, 0, 0, 0, 0};
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	for (; w->cur < w->m->ntables && !rc; w->cur++)
		rc = table_end(w, err);
	/* the child's hashes, once it has written every chunk */
	if (!rc)
		rc = send_msg(w, &end, NULL, 0, err);
	if (!rc)
		rc = get_note(w, N_REPLY, err);
	for (size_t i = 0; !rc && i < w->m->ntables; i++)
		if (recv_all(w->sock, w->m->tables[i].blake2b, sizeof w->m->tables[i].blake2b))
			rc = gone(w, err);
	if (!rc)
		rc = xp_summary_format(w->m, &text, &len, err);
	if (!rc) {
		struct msg sum = {M_SUMMARY, 0, 0, 0, INLINE, 0, len};

		rc = send_msg(w, &sum, text, len, err);
	}
	if (!rc)
		rc = get_note(w, N_REPLY, err);
	if (!rc) {
		w->ended = 1;
		w->m->have_summary = 1;
	}
	free(text);
	return rc;
}

void xp_dump_writer_stats(const struct xp_dump_writer *w, uint64_t *rows, uint64_t *bytes)
{
	*rows = w->rows;
	*bytes = w->bytes + w->len;
}

void xp_dump_writer_free(struct xp_dump_writer *w)
{
	if (!w)
		return;
	/* an unfinished stream is abandoned: the child ends without the end-of-archive blocks */
	if (w->sock >= 0)
		close(w->sock);
	while (w->child > 0 && waitpid(w->child, NULL, 0) < 0 && errno == EINTR)
		;
	if (w->shm)
		munmap(w->shm, SLOTS * w->slotcap);
	free(w->priv);
	free(w);
}
