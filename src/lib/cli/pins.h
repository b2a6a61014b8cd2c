/* The trust check a tool makes before it changes a repository or acts on its copies, with the
 * one sentence a first use prints. */
#ifndef XP_CLI_PINS_H
#define XP_CLI_PINS_H

#include "base/err.h"
#include "repo/trust.h"

/* xp_trust_check with XP_TRUST_MARKS: the repository must match this host's pins, its catalog
 * and journal be no older than this host has seen. A first use pins it and says so on stderr.
 * t is the caller's (xp_trust_free). */
int xp_cli_trust_marks(const char *repo, struct xp_trust *t, struct xp_err *err);

#endif
