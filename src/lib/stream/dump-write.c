#include "config.h"

#include "stream/dump-int.h"
#include "base/err.h"
#include "base/time.h"
#include "base/io.h"
#include "base/worker.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The writer: a pax tar of MANIFEST, the tables' CSV chunks and SUMMARY. */

/* The chunks go to a child (a worker, base/worker.h), which writes the tar entries and hashes
 * them while this process fetches: on POSIX a process, not a thread, because drivers lock a
 * mutex on every call (SQLite several per value), and glibc makes those locks cheap only in a
 * process with one thread; on Windows, which has no fork, a thread. The child therefore keeps
 * its own state (struct child) and only reads the manifest's table names.
 *
 * Chunks are filled in SLOTS buffers of shared memory, taken in turn: one is filled while
 * the child writes the other. A chunk that outgrows its slot (a row longer than the
 * chunk size) is filled in private memory and sent through the channel instead.
 * Messages, parent to child: M_CHUNK (in a slot, or followed by its bytes), M_END when no
 * chunk follows, M_SUMMARY with the SUMMARY text. Notes, child to parent: N_FREED when a
 * slot's chunk is written; N_REPLY to M_END (followed by the tables' BLAKE2b) and to
 * M_SUMMARY, or at once on a failure (then followed by the error), after which the child
 * exits. A parent that closes the channel without M_SUMMARY abandons the stream: the child
 * ends without the end-of-archive blocks. */
#define SLOTS  2
#define INLINE UINT32_MAX   /* the chunk's bytes follow its message */
#define PIECE  (256 * 1024) /* bytes the child reads from the channel at a time */
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
	int fd;
	const char *fdname;
	struct xp_manifest *m;
	char *manifest; /* MANIFEST's text, formatted before the child starts */
	size_t manifest_len;
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
	unsigned sent, freed;    /* chunks sent in slots, and written by the child */
	struct xp_worker *child; /* NULL once waited for */
	struct xp_chan chan;     /* the parent's end of the channel, -1 when closed */
	struct xp_chan cchan;    /* the child's end */
	int ended;               /* the child has ended, or failed: ask nothing more of it */
};

/* What the child has of its own; w it only reads (fd, fdname, the tables' names, shm). */
struct child {
	const struct xp_dump_writer *w;
	struct archive *a;
	char *buf;                  /* PIECE bytes read from the channel */
	int werrno;                 /* errno of a failed write, for the message */
	crypto_generichash_state h; /* the current table's */
	uint8_t (*hash)[32];        /* per table: its CSV's BLAKE2b */
};

static la_ssize_t write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct child *w = arg;
	struct xp_err e;

	if (xp_write_all(w->w->fd, buf, n, &e)) {
		w->werrno = errno ? errno : EIO;
		archive_set_error(a, w->werrno, "write failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int arch_err(struct child *w, struct xp_err *err, const char *what)
{
	if (w->werrno)
		return xp_err_set(err, XP_EFAIL, "%s: write: %s", w->w->fdname,
		                  strerror(w->werrno));
	return xp_err_set(err, XP_EFAIL, "%s: %s", what, archive_error_string(w->a));
}

static int recv_all(const struct xp_chan *c, void *buf, size_t len)
{
	return xp_read_full(c->rd, buf, len) == (ssize_t)len ? 0 : -1;
}

static int put_data(struct child *w, const char *name, const char *p, size_t n, struct xp_err *err)
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

/* An entry of len bytes from data, or from the channel when data is NULL; hashed when hash
 * is set. */
static int write_entry(struct child *w, const char *name, const char *data, size_t len, int hash,
                       const struct xp_chan *c, struct xp_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)w->w->m->started, 0);
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

		if (recv_all(c, w->buf, piece)) {
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

static int child_chunk(struct child *w, const struct xp_chan *c, const struct msg *mg,
                       struct xp_err *err)
{
	const struct xp_dump_table *t;
	char name[64 + 4096];
	int rc;

	if (mg->table >= w->w->m->ntables ||
	    (mg->slot != INLINE && (mg->slot >= SLOTS || mg->len > w->w->slotcap)))
		return xp_err_set(err, XP_EFAIL, "dump: a chunk out of range");
	t = &w->w->m->tables[mg->table];
	if (mg->chunk == 1)
		crypto_generichash_init(&w->h, NULL, 0, sizeof w->hash[0]);
	if ((size_t)snprintf(name, sizeof name, "%s/%06" PRIu32 ".csv", t->name, mg->chunk) >=
	    sizeof name)
		return xp_err_set(err, XP_EUSAGE, "table %s: name too long", t->name);
	rc = write_entry(w, name, mg->slot == INLINE ? NULL : w->w->shm + mg->slot * w->w->slotcap,
	                 mg->len, 1, c, err);
	if (!rc && mg->last)
		crypto_generichash_final(&w->h, w->hash[mg->table], sizeof w->hash[0]);
	return rc;
}

/* The child's loop: MANIFEST, then what the parent sends; 1 when the parent abandons the
 * stream or goes, and on a failure, which it reports first. */
static int child_run(struct child *w, const struct xp_chan *c)
{
	const struct xp_manifest *m = w->w->m;
	struct note nt = {N_REPLY, 0};
	struct xp_err err = {0};
	struct msg mg;
	char *text = NULL;

	if (!w->buf || !w->a || !w->hash) {
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
	nt.rc = write_entry(w, "MANIFEST", w->w->manifest, w->w->manifest_len, 0, NULL, &err);
	while (!nt.rc) {
		if (recv_all(c, &mg, sizeof mg))
			return 1; /* abandoned */
		if (mg.kind == M_CHUNK) {
			struct note freed = {N_FREED, 0};

			nt.rc = child_chunk(w, c, &mg, &err);
			if (!nt.rc && mg.slot != INLINE && xp_chan_send(c, &freed, sizeof freed))
				return 1;
			continue;
		}
		if (mg.kind == M_END) {
			if (xp_chan_send(c, &nt, sizeof nt) ||
			    xp_chan_send(c, w->hash, m->ntables * sizeof w->hash[0]))
				return 1;
			continue;
		}
		if (mg.kind != M_SUMMARY || mg.len > ((size_t)1 << 30) ||
		    !(text = malloc(mg.len ? mg.len : 1)) || recv_all(c, text, mg.len)) {
			free(text);
			return 1;
		}
		nt.rc = write_entry(w, "SUMMARY", text, mg.len, 0, NULL, &err);
		free(text);
		if (!nt.rc && archive_write_close(w->a) != ARCHIVE_OK)
			nt.rc = arch_err(w, &err, "archive");
		break;
	}
reply:
	if (!xp_chan_send(c, &nt, sizeof nt) && nt.rc)
		xp_chan_send(c, &err, sizeof err);
	return nt.rc ? 1 : 0;
}

/* The child (the worker's function); it owns its end of the channel. */
static int child_main(void *arg)
{
	const struct xp_dump_writer *pw = arg;
	struct xp_chan c = pw->cchan;
	struct child w = {pw, NULL, NULL, 0, {{0}}, NULL};
	int rc;

	w.buf = malloc(PIECE);
	w.a = archive_write_new();
	w.hash = calloc(pw->m->ntables ? pw->m->ntables : 1, sizeof *w.hash);
	rc = child_run(&w, &c);
	if (w.a)
		archive_write_free(w.a);
	free(w.hash);
	free(w.buf);
	xp_chan_close(&c);
	return rc;
}

/* Waits for the child, once. */
static void reap(struct xp_dump_writer *w, struct xp_worker_end *end)
{
	struct xp_worker_end none = {0, 0, 0};

	*end = none;
	if (w->child)
		xp_worker_wait(w->child, end);
	w->child = NULL;
}

/* The child has gone without a reply: how it ended. */
static int gone(struct xp_dump_writer *w, struct xp_err *err)
{
	struct xp_worker_end end;

	w->ended = 1;
	xp_chan_close(&w->chan);
	reap(w, &end);
	if (end.signal)
		return xp_err_set(err, XP_EFAIL, "dump: the writer process was killed by signal %d",
		                  end.signal);
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
		if (recv_all(&w->chan, &nt, sizeof nt))
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
		if (recv_all(&w->chan, &e, sizeof e))
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
	if (xp_chan_send(&w->chan, mg, sizeof *mg) || (data && xp_chan_send(&w->chan, data, len))) {
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

int xp_dump_writer_open(struct xp_dump_writer **out, int fd, const char *fdname,
                        struct xp_manifest *m, size_t chunk_size, struct xp_err *err)
{
	struct xp_dump_writer *w = calloc(1, sizeof *w);
	struct xp_worker_fd fds[5];
	size_t nfds = 0;
	int rc = 0;

	*out = NULL;
	if (!w || sodium_init() < 0) {
		free(w);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	w->chan.rd = w->chan.wr = w->cchan.rd = w->cchan.wr = -1;
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
	/* room for a full chunk and the row that overflows it, for most rows, in whole pages */
	w->slotcap = (w->chunk_size + 65536 + 4095) / 4096 * 4096;
	w->shm = xp_worker_shm(SLOTS * w->slotcap);
	if (!w->shm) {
		rc = xp_err_sys(err, XP_ENOMEM, "dump buffers");
		goto out;
	}
	if ((rc = xp_manifest_format(m, &w->manifest, &w->manifest_len, err)) != 0)
		goto out;
	xp_pipe_grow(fd);
	if ((rc = xp_chan_open(&w->chan, &w->cchan, err)) != 0)
		goto out;
	/* the output, the child's end of the channel; the parent's end it must not hold (a
	 * descriptor of the parent left open in a process, the write end of a pipe another thread
	 * of the parent reads, say, would keep that pipe from ever reaching its end) */
	fds[nfds++] = (struct xp_worker_fd){fd, XP_FD_SHARED};
	fds[nfds++] = (struct xp_worker_fd){w->cchan.rd, XP_FD_GIVEN};
	if (w->cchan.wr != w->cchan.rd)
		fds[nfds++] = (struct xp_worker_fd){w->cchan.wr, XP_FD_GIVEN};
	fds[nfds++] = (struct xp_worker_fd){w->chan.rd, XP_FD_CALLERS};
	if (w->chan.wr != w->chan.rd)
		fds[nfds++] = (struct xp_worker_fd){w->chan.wr, XP_FD_CALLERS};
	rc = xp_worker_start(&w->child, child_main, w, fds, nfds,
	                     XP_WORKER_CLOSE_OTHERS | XP_WORKER_OWN_SIGNALS | XP_WORKER_PIPE_FAILS,
	                     err);
	if (rc) {
		xp_chan_close(&w->cchan);
		goto out;
	}
	rc = take_slot(w, err); /* from here on cchan is the child's */
out:
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
		if (recv_all(&w->chan, w->m->tables[i].blake2b, sizeof w->m->tables[i].blake2b))
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
	struct xp_worker_end end;

	if (!w)
		return;
	/* an unfinished stream is abandoned: the child ends without the end-of-archive blocks */
	xp_chan_close(&w->chan);
	reap(w, &end);
	xp_worker_shm_free(w->shm, SLOTS * w->slotcap);
	free(w->manifest);
	free(w->priv);
	free(w);
}
