/* The error model: one sentence per failure, one mapping to exit statuses. */
#include "config.h"

#include "base/err.h"

#include "../tap.h"

static void errors(void)
{
	struct xp_err err;

	is_int(xp_err_set(&err, XP_EINTEGRITY, "chunk %d", 12), XP_EINTEGRITY,
	       "err_set returns its code");
	xp_err_prefix(&err, "%s", "backup.xps");
	is_str(err.msg, "backup.xps: chunk 12", "err_prefix names the subject");
	is_int(xp_exit_status(XP_EAUTH), 3, "wrong password exits 3");
	is_int(xp_exit_status(XP_EUSAGE), 2, "usage error exits 2");
	is_int(xp_exit_status(XP_ENOENT), 1, "missing file exits 1");
}

int main(void)
{
	errors();
	return done_testing();
}
