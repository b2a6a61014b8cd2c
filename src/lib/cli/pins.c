/* The trust check before a change (pins.h). */
#include "config.h"

#include "cli/pins.h"
#include "cli/cli.h"

int xp_cli_trust_marks(const char *repo, struct xp_trust *t, struct xp_err *err)
{
	char note[512];
	int rc;

	rc = xp_trust_check(repo, &(struct xp_trust_opts){.flags = XP_TRUST_MARKS}, t, err);
	if (rc == 0 && t->pinned_now) {
		xp_trust_first_use(t, repo, note, sizeof note);
		xp_warn("%s", note);
	}
	return rc;
}
