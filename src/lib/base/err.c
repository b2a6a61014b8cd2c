#include "config.h"

#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *xp_progname = "xpbackup";

static __attribute__((format(XP_PRINTF, 3, 0))) void vset(struct xp_err *err, int code,
                                                          const char *fmt, va_list ap)
{
	if (!err)
		return;
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int xp_err_set(struct xp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int xp_err_sys(struct xp_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(saved));
	}
	errno = saved;
	return code;
}

void xp_err_prefix(struct xp_err *err, const char *fmt, ...)
{
	char head[256];
	size_t hl, ml, room = sizeof err->msg - 1;
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(head, sizeof head - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	hl = strlen(head);
	memcpy(head + hl, ": ", 3);
	hl += 2;
	ml = strlen(err->msg);
	if (hl + ml > room)
		ml = room - hl;
	memmove(err->msg + hl, err->msg, ml);
	memcpy(err->msg, head, hl);
	err->msg[hl + ml] = '\0';
}

int xp_exit_status(int code)
{
	switch (code) {
	case XP_OK: return XP_EXIT_OK;
	case XP_EUSAGE: return XP_EXIT_USAGE;
	case XP_EINTEGRITY:
	case XP_EAUTH: return XP_EXIT_INTEGRITY;
	default: return XP_EXIT_FAIL;
	}
}
