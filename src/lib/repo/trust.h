/* Trust pins: what a host trusts about a repository, kept outside it. Whoever can write the
 * storage can replace its loose keys (keys/repo.pub, keys/signer.pub), put an old catalog and
 * its signature back or cut the journal; so the host remembers, per repository id, in
 * STATE/trust/ID/ (directories 0700, files 0600, written atomically):
 *   pins        "repository ID", "repo-key KEYID" (hex), "signer SIGNERID" (minisign's id),
 *               "path REALPATH" (where it was pinned; for people)
 *   signer.pub  the signer's public key (minisign's format): signatures are checked with it
 *   seen        "catalog N": the highest catalog generation verified here (the journal length
 *               its signature records), "journal N HEX": the journal length and the BLAKE2b-256
 *               of its last event, the longest journal verified here
 * and STATE/trust/paths/HASH (HASH: hex BLAKE2b-128 of the repository's real path) holding the
 * id pinned at that path, so a repository whose id changes in place is refused, never trusted
 * anew. STATE is this host's state directory (xp_repo_state_dir, repo.h).
 *
 * A repository without pins on this host (one made before pins, or a host that never saw it)
 * is pinned as found on first use, and the caller says so; `xpseal trust` pins after showing
 * the ids. Every refusal is XP_EINTEGRITY with one sentence naming the pin that failed and
 * ending in how to re-trust when the change was intended. */
#ifndef XP_TRUST_H
#define XP_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "repo/keys.h"
#include "crypto/sign.h"
#include "base/err.h"

/* Where the signer trusted by a check came from. */
enum xp_trust_from {
	XP_TRUST_FROM_PIN,     /* pinned on this host before */
	XP_TRUST_FROM_OPTION,  /* the caller's public key file (-p) */
	XP_TRUST_FROM_KEYFILE, /* repo.key, unlocked with the password */
	XP_TRUST_FROM_REPO     /* keys/signer.pub, trusted on first use */
};

/* Check options. */
#define XP_TRUST_MARKS 0x1u /* refuse a catalog or journal older than this host has seen */
#define XP_TRUST_RESET 0x4u /* pin what is found now, replacing any pins (xpseal trust --reset) */

struct xp_trust_opts {
	unsigned flags;
	const char *pubkey;                /* -p: the signer to trust for this run, or NULL */
	const struct xp_keys_bound *bound; /* what the password unlocked (keys.h), or NULL */
	/* xpseal rekey resuming a rotation: the new key's id (XP_KEYS_ID_LEN bytes), which a pin
	 * may already name while keys/repo.pub is still the old key; NULL otherwise */
	const uint8_t *rotating;
};

/* The outcome of a check. Owned by the caller; xp_trust_free releases it. */
struct xp_trust {
	char repo_id[XP_KEYS_REPO_ID_HEX];
	uint8_t key_id[XP_KEYS_ID_LEN];  /* the repository key id, as pinned */
	uint8_t signer[XP_SIGN_PUB_LEN]; /* the signer trusted */
	char signer_id[17];
	enum xp_trust_from from;
	char *signer_path; /* a file holding signer (the pin's signer.pub or -p's file), malloc'd */
	int had_pins;      /* this host had pins for the repository before the call */
	int pinned_now;    /* the call wrote pins (first use, or XP_TRUST_RESET) */
	char *dir;         /* STATE/trust/ID, malloc'd */
};

/* Checks REPO against this host's pins: the repository id (keys/repo.id, and the id pinned at
 * this path), the repository key id (keys/repo.pub), the signer (keys/signer.pub must be the
 * trusted signer: -p's, else the pinned one; what the password unlocked must agree with both),
 * and with XP_TRUST_MARKS the catalog generation and journal against what this host has seen.
 * Without pins: the signer is -p's, else the key file's, else the repository's; all found is
 * pinned with the catalog and journal as they are. An unreadable keys/signer.pub is no error
 * when another signer is trusted (the catalog check reports it). 0, XP_EINTEGRITY
 * (a pin does not hold), or XP_EFAIL/XP_ENOENT/XP_ENOMEM (I/O). t is filled on success. */
int xp_trust_check(const char *repo, const struct xp_trust_opts *o, struct xp_trust *t,
                   struct xp_err *err);

/* The XP_TRUST_MARKS part of a check on its own, for a caller that checks everything else
 * first (t from a successful xp_trust_check): 0; XP_EINTEGRITY when the catalog or journal is
 * older than this host has seen; another code when they cannot be read (nothing pinned: 0). */
int xp_trust_check_marks(const char *repo, const struct xp_trust *t, struct xp_err *err);

/* What REPO's loose files say (id, repository key id, signer), for showing before pinning;
 * t->had_pins says whether this host has pins. Pins nothing, checks nothing. */
int xp_trust_describe(const char *repo, struct xp_trust *t, struct xp_err *err);

/* A key rotation on this host (xpseal rekey): the pinned repository key old_id becomes
 * new_id, before keys/repo.pub does (a pin of new_id already is left alone; any other is
 * XP_EINTEGRITY). Nothing pinned: 0, nothing written. */
int xp_trust_rotate(const char *repo, const uint8_t old_id[XP_KEYS_ID_LEN],
                    const uint8_t new_id[XP_KEYS_ID_LEN], struct xp_err *err);

/* Records the catalog generation and journal head REPO has now as seen, when they are newer
 * than what t's pins hold (never goes back). Call after a run verified or wrote them. */
int xp_trust_seen(const char *repo, const struct xp_trust *t, struct xp_err *err);

/* Where the signer came from, for people: "pinned on this host", "given with -p"... */
const char *xp_trust_from_name(enum xp_trust_from from);
/* A sentence for people: "signer ID (pinned on this host)" and the like, into buf. */
void xp_trust_describe_signer(const struct xp_trust *t, char *buf, size_t len);
/* After a check that pinned on first use: the one sentence the tool shows, into buf. */
void xp_trust_first_use(const struct xp_trust *t, const char *repo, char *buf, size_t len);

void xp_trust_free(struct xp_trust *t);

#endif
