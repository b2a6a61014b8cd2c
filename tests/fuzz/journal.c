/* A journal's text as every change and xpverify read it (xp_journal_parse). To let mutations
 * reach the checks of signed records, a line's chain field "@" becomes the hash of the line
 * before it, a signature field "@" a good record signature by the fixed key, and a first line
 * "@" the journal header. Each input is parsed twice: trusting nothing but signatures, and as
 * a verified catalog signature recording the first event would. The property checked: an
 * unsigned event is authentic only when that catalog covers it. */
#include "config.h"

#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "repo/journal.h"
#include "crypto/sign.h"
#include "base/encode.h"
#include "base/str.h"
#include "base/os.h"

static struct xp_signkey *key;
static struct xp_sign_pub pub;

/* A key pair made once, in a directory removed again at once. */
static void setup(void)
{
	char dir[64], secret[96];

	if (key)
		return;
	snprintf(dir, sizeof dir, "%s/xpfuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!xp_os_mkdtemp(dir))
		abort();
	snprintf(secret, sizeof secret, "%s/key", dir);
	if (xp_sign_create_key(secret, &key, NULL))
		abort();
	unlink(secret);
	rmdir(dir);
	xp_sign_pub_of(key, &pub);
}

/* The input with its "@" placeholders filled in. */
static void fill(const uint8_t *data, size_t size, struct xp_sbuf *b)
{
	uint8_t prev[32] = {0};
	char hex[65], sig[XP_SIGN_RECORD_LEN + 1];
	size_t at = 0;

	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t n = nl ? (size_t)(nl - (data + at)) : size - at, start = b->len, tabs = 0;

		if (at == 0 && n == 1 && data[0] == '@') {
			xp_sbuf_puts(b, XP_JOURNAL_HEADER);
		} else {
			for (size_t i = 0; i < n; i++) {
				uint8_t c = data[at + i];
				int last = i + 1 == n || data[at + i + 1] == '\t';
				int first = i == 0 || data[at + i - 1] == '\t';

				tabs += c == '\t';
				if (c == '@' && first && last && tabs == 5) {
					xp_hex(prev, 32, hex);
					xp_sbuf_puts(b, hex);
				} else if (c == '@' && first && last && tabs == 6 &&
				           xp_sign_record(key, b->p + start, b->len - start - 1,
				                          sig, NULL) == 0) {
					xp_sbuf_puts(b, sig);
				} else {
					xp_sbuf_add(b, &c, 1);
				}
			}
		}
		if (b->failed)
			abort();
		(void)crypto_generichash(prev, sizeof prev, (const uint8_t *)b->p + start,
		                         b->len - start, NULL, 0);
		if (nl)
			xp_sbuf_add(b, "\n", 1);
		at += n + (nl != NULL);
	}
}

struct pass {
	const struct xp_jtrust *t;
};

static int on_event(void *ctx, const struct xp_journal_event *ev)
{
	const struct pass *p = ctx;

	if (ev->authentic && !ev->is_signed && (!p->t->verified || ev->line > 1 + p->t->legacy))
		abort();
	if (!ev->event || !*ev->event || !ev->id || !ev->reason || !ev->policy)
		abort();
	return 0;
}

static void parse(const struct xp_sbuf *b, const struct xp_jtrust *t, struct xp_jstate *st)
{
	char *copy = malloc(b->len + 1);
	struct pass p = {t};

	if (!copy)
		abort();
	memcpy(copy, b->p ? b->p : "", b->len);
	copy[b->len] = '\0';
	memset(st, 0, sizeof *st);
	if (xp_journal_parse(copy, b->len, t, on_event, &p, st) != 0)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xp_sbuf b = {0};
	struct xp_jtrust t = {.pub = &pub, .mark = 1};
	struct xp_jstate st;

	setup();
	fill(data, size, &b);
	parse(&b, &t, &st);
	xp_hex(st.mark_hash, 32, t.head);
	t.verified = 1;
	t.legacy = 1;
	parse(&b, &t, &st);
	xp_sbuf_free(&b);
	return 0;
}
