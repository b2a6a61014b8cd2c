#include "config.h"

#include "repo/journal.h"
#include "repo/repo.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/os.h"
#include "base/time.h"
#include "base/io.h"
#include "base/fault.h"
#include "base/encode.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define JOURNAL_MAX ((size_t)1 << 30)
#define JOURNAL_NF  7 /* six fields and the record signature (absent from older lines) */

static void line_hash(const char *line, size_t len, uint8_t out[32])
{
	/* Cannot fail for these sizes and no key. */
	(void)crypto_generichash(out, 32, (const unsigned char *)line, len, NULL, 0);
}

static void broken(struct xp_jstate *st, size_t line, const char *why)
{
	if (st->broken_line)
		return;
	st->broken_line = line;
	snprintf(st->broken_msg, sizeof st->broken_msg, "%s", why);
}

/* Parses one event line (modified in place) and checks it chains to st->head. Its record
 * signature is checked only when nothing else makes it authentic (in_prefix). */
static int event_line(char *line, size_t len, size_t no, struct xp_jstate *st,
                      const struct xp_jtrust *t, int in_prefix, struct xp_journal_event *ev)
{
	char *f[JOURNAL_NF], why[64];
	uint8_t prev[32];
	size_t nf, tabs = 0;
	int sig_ok = 0;

	for (size_t i = 0; i < len; i++)
		tabs += line[i] == '\t';
	if (tabs == JOURNAL_NF - 1 && !in_prefix && t && t->pub) {
		/* len, not the string: a NUL byte in the line must not move the field */
		char *last = xp_memrchr(line, '\t', len);

		sig_ok = xp_sign_record_check(t->pub, line, (size_t)(last - line), last + 1) == 0;
	}
	nf = xp_field_split(line, f, JOURNAL_NF);
	if ((nf != JOURNAL_NF - 1 && nf != JOURNAL_NF) || xp_unhex(f[5], prev, 32)) {
		broken(st, no, "malformed line");
		return -1;
	}
	if (sodium_memcmp(prev, st->head, 32) != 0)
		broken(st, no, "chain broken: a line before it was removed, edited or reordered");
	if (xp_time_parse(f[0], &ev->time, NULL) || xp_field_unescape(f[1]) ||
	    xp_field_unescape(f[2]) || xp_field_unescape(f[3]) || xp_field_unescape(f[4]) ||
	    !*f[2]) {
		broken(st, no, "malformed line");
		return -1;
	}
	/* No writer puts a longer text there (xp_journal_put_lines refuses it): a forged line,
	 * never acted on, or it would be journaled again and refused on every later change. */
	if (strlen(f[3]) > XP_JOURNAL_TEXT_MAX || strlen(f[4]) > XP_JOURNAL_TEXT_MAX) {
		snprintf(why, sizeof why, "reason or policy longer than %d bytes",
		         XP_JOURNAL_TEXT_MAX);
		broken(st, no, why);
		return -1;
	}
	ev->line = no;
	ev->id = f[1];
	ev->event = f[2];
	ev->reason = f[3];
	ev->policy = f[4];
	ev->is_signed = nf == JOURNAL_NF;
	ev->authentic = in_prefix || sig_ok;
	return 0;
}

/* Whether the journal's first t->mark events are those the catalog's verified signature
 * recorded: they chain unbroken from the header and the last hashes to t->head. Reads buf
 * (whole lines) without changing it. */
static int prefix_trusted(const char *buf, size_t len, const struct xp_jtrust *t)
{
	uint8_t h[32], want[32], prev[32];
	const char *p, *end = NULL;
	char hex[65];
	size_t no = 0;

	if (!t || !t->verified || !t->mark || !t->legacy || xp_unhex(t->head, want, 32))
		return 0;
	for (p = buf; p < buf + len && no <= t->mark; p = end + 1, no++) {
		const char *f = p;

		end = memchr(p, '\n', (size_t)(buf + len - p));
		if (!end)
			return 0;
		for (int k = 0; no > 0 && k < 5 && f; k++) { /* the sixth field: prev */
			f = memchr(f, '\t', (size_t)(end - f));
			f = f ? f + 1 : NULL;
		}
		if (no > 0) {
			if (!f || end - f < 64 || (end - f > 64 && f[64] != '\t'))
				return 0;
			memcpy(hex, f, 64);
			hex[64] = '\0';
			if (xp_unhex(hex, prev, 32) || sodium_memcmp(prev, h, 32) != 0)
				return 0;
		}
		line_hash(p, (size_t)(end - p), h);
	}
	return no == t->mark + 1 && sodium_memcmp(h, want, 32) == 0;
}

int xp_journal_parse(char *buf, size_t len, const struct xp_jtrust *trust, xp_journal_fn *fn,
                     void *ctx, struct xp_jstate *st)
{
	int prefix = prefix_trusted(buf, len, trust), rc;
	size_t no = 0;
	char *p, *end;

	for (p = buf; p < buf + len; p = end + 1) {
		struct xp_journal_event ev;
		uint8_t h[32];

		end = memchr(p, '\n', (size_t)(buf + len - p));
		if (!end)
			end = buf + len; /* buf has room for the NUL at buf[len] */
		*end = '\0';
		line_hash(p, (size_t)(end - p), h);
		if (no++ == 0) {
			if (strcmp(p, XP_JOURNAL_HEADER) != 0 &&
			    strcmp(p, XP_JOURNAL_HEADER_1) != 0)
				broken(st, 1, "first line is not the journal header");
			memcpy(st->head, h, 32);
			continue;
		}
		st->lines++;
		if (event_line(p, (size_t)(end - p), no, st, trust,
		               prefix && st->lines <= trust->legacy, &ev) == 0 &&
		    fn) {
			rc = fn(ctx, &ev);
			if (rc)
				return rc;
		}
		memcpy(st->head, h, 32);
		if (trust && st->lines == trust->mark)
			memcpy(st->mark_hash, h, 32);
	}
	return 0;
}

static int cut_torn_tail(const char *repo, const char *path, size_t keep, struct xp_err *err)
{
	int fd, rc;

	rc = xp_repo_open(repo, path, O_WRONLY, 0, &fd, err);
	if (rc)
		return rc;
	xp_fault_point("journal: cut torn line");
	if (ftruncate(fd, (off_t)keep) < 0 || xp_os_fsync(fd) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s: cutting a torn last line", path);
	close(fd);
	return rc;
}

int xp_journal_scan(const char *repo, int repair, const struct xp_jtrust *trust, xp_journal_fn *fn,
                    void *ctx, struct xp_jstate *st, struct xp_err *err)
{
	char *path = NULL, *buf = NULL, *end;
	size_t len = 0;
	int rc, torn = 0;

	memset(st, 0, sizeof *st);
	st->empty = 1;
	line_hash(XP_JOURNAL_HEADER, strlen(XP_JOURNAL_HEADER), st->head);
	path = xp_repo_file(repo, XP_REPO_JOURNAL);
	if (!path) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_repo_read_optional(repo, path, JOURNAL_MAX, &buf, &len, err);
	if (rc || !buf)
		goto out;
	if (len > 0 && buf[len - 1] != '\n') {
		end = xp_memrchr(buf, '\n', len);
		st->cut = len - (end ? (size_t)(end - buf) + 1 : 0);
		len -= st->cut;
		if (repair) {
			rc = cut_torn_tail(repo, path, len, err);
			if (rc)
				goto out;
		} else {
			torn = 1;
		}
		buf[len] = '\0';
	}
	st->empty = len == 0;
	rc = xp_journal_parse(buf, len, trust, fn, ctx, st);
	if (rc)
		goto out;
	if (torn)
		broken(st, st->lines + 2, "torn line (an append was interrupted)");
out:
	free(buf);
	free(path);
	return rc;
}

int xp_journal_repaired(const char *repo, struct xp_jstate *st, struct xp_err *err)
{
	char why[80];
	int rc;

	if (!st->cut)
		return 0;
	snprintf(why, sizeof why, "cut a torn last line of %zu bytes", st->cut);
	rc = xp_journal_put(repo, st, NULL, "repaired", why, NULL, err);
	if (rc == 0)
		st->cut = 0;
	return rc;
}

int xp_journal_put(const char *repo, struct xp_jstate *st, const char *id, const char *event,
                   const char *reason, const char *policy, struct xp_err *err)
{
	const struct xp_jline line = {id, event, reason, policy};

	return xp_journal_put_lines(repo, st, &line, 1, err);
}

int xp_journal_put_lines(const char *repo, struct xp_jstate *st, const struct xp_jline *v, size_t n,
                         struct xp_err *err)
{
	struct xp_sbuf b = {0};
	char *path = NULL, now[XP_TIME_LEN], prev[65];
	uint8_t head[32];
	struct stat was;
	size_t i, start;
	int fd = -1, rc;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((v[i].reason && strlen(v[i].reason) > XP_JOURNAL_TEXT_MAX) ||
		    (v[i].policy && strlen(v[i].policy) > XP_JOURNAL_TEXT_MAX))
			return xp_err_set(err, XP_EUSAGE,
			                  "journal: reason or policy longer than %d bytes",
			                  XP_JOURNAL_TEXT_MAX);
	path = xp_repo_file(repo, XP_REPO_JOURNAL);
	if (!path) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(head, st->head, sizeof head);
	if (st->empty) {
		xp_sbuf_puts(&b, XP_JOURNAL_HEADER "\n");
		line_hash(XP_JOURNAL_HEADER, strlen(XP_JOURNAL_HEADER), head);
	}
	xp_time_format(xp_now(), now);
	for (i = 0; i < n; i++) {
		xp_hex(head, 32, prev);
		start = b.len;
		xp_sbuf_printf(&b, "%s\t", now);
		xp_sbuf_escape(&b, v[i].id);
		xp_sbuf_add(&b, "\t", 1);
		xp_sbuf_escape(&b, v[i].event);
		xp_sbuf_add(&b, "\t", 1);
		xp_sbuf_escape(&b, v[i].reason);
		xp_sbuf_add(&b, "\t", 1);
		xp_sbuf_escape(&b, v[i].policy);
		xp_sbuf_printf(&b, "\t%s", prev);
		if (st->key && !b.failed) {
			char sig[XP_SIGN_RECORD_LEN + 1];

			rc = xp_sign_record(st->key, b.p + start, b.len - start, sig, err);
			if (rc)
				goto out;
			xp_sbuf_printf(&b, "\t%s", sig);
		}
		if (b.failed)
			break;
		line_hash(b.p + start, b.len - start, head);
		xp_sbuf_add(&b, "\n", 1);
	}
	if (b.failed) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_repo_open(repo, path, O_WRONLY | O_APPEND | O_CREAT, 0600, &fd, err);
	if (rc)
		goto out;
	if (fstat(fd, &was) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	/* One write(2) for all the lines: a crash leaves whole lines and perhaps a torn tail
	 * that the next change under the lock cuts off. */
	xp_fault_point("journal: append");
	rc = xp_write_all(fd, b.p, b.len, err);
	if (rc) {
		xp_err_prefix(err, "%s", path);
	} else {
		xp_fault_point("journal: fsync");
		if (xp_os_fsync(fd) < 0)
			rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", path);
	}
	if (rc) {
		/* A full disk can take part of the lines: a torn line, which checks report.
		 * Cutting back needs no space; if even that fails, the next change cuts it. */
		if (ftruncate(fd, was.st_size) == 0)
			(void)xp_os_fsync(fd);
		goto out;
	}
	if (st->empty) {
		rc = xp_fsync_dir(path, err);
		if (rc)
			goto out;
		st->empty = 0;
	}
	memcpy(st->head, head, 32);
	st->lines += n;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	xp_sbuf_free(&b);
	free(path);
	return rc;
}
