/* What xp_proc_capture does alike on both systems, once its output is read. */
#include "config.h"
#include "base/proc.h"
#include "base/err.h"
#include "base/str.h"

int xp_proc_capture_end(struct xp_proc *p, int late, struct xp_sbuf *b, const char *name,
                        int *status, char **out, size_t *len, struct xp_err *err)
{
	int rc;

	if (late)
		xp_proc_term(p);
	if ((rc = xp_proc_wait(p, -1, status, err)) != 0)
		goto out;
	if (late)
		*status = XP_PROC_TIMEOUT;
	xp_sbuf_add(b, "", 1);
	if (b->failed) {
		rc = xp_err_set(err, XP_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	if (len)
		*len = b->len - 1;
	*out = b->p;
	b->p = NULL;
out:
	return rc;
}
