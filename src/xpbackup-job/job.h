/* The job's modules: its state for one run, its messages, and the steps (run.c) and checks
 * (preflight.c) that main.c's cmd_job calls in order. */
#ifndef XP_JOB_H
#define XP_JOB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "base/os.h"
#include "base/proc.h"
#include "base/str.h"
#include "base/time.h"

/* The tools the job runs, in the order preflight checks them. */
enum job_tool { T_XPDUMP, T_XPSEAL, T_XPVERIFY, T_XPEXPIRE, T_XPCOPY, T_COUNT };
extern const char *const job_tool_names[T_COUNT];

/* A copy target of the repository on this host and its declared jurisdiction. */
struct job_target {
	char *name, *jur;
};

struct job {
	const char *config; /* the configuration file's name */
	struct job_conf c;
	int quiet;                  /* -q: messages are held back unless the run fails or warns */
	struct xp_sbuf held;        /* what -q held back */
	char *self_dir;             /* the directory of the job's own program, if known */
	char *bin[T_COUNT];         /* each tool's path */
	struct job_target *targets; /* from xpcopy list (COPY_TO only) */
	size_t ntargets;
	char *work; /* the run's work directory */
	int lock_fd;
	char *now; /* this run's start: XP_NOW as given, else the clock's */
	int64_t now_t;
	time_t start;   /* the clock when the run began (for "in Ns") */
	char **new_ids; /* the backups this run sealed */
	size_t nnew;
	char *id;                    /* the last one */
	char *warn, *copy_warn;      /* the night's warnings (status 4) */
	struct xp_sbuf vault_failed; /* the steps that did not reach a vault copy */
	int step_rc;                 /* the last step's status and last message (owned) */
	char *step_msg;
	int status; /* the run's failure: its status and message (owned) */
	char *msg;
};

/* The signal that stopped the job (SIGINT, SIGTERM, SIGHUP), or 0; the dump a handler stops. */
extern volatile sig_atomic_t job_stop;
extern struct xp_proc job_dump;

/* Prints text and a line end on stderr, or holds it back with -q. */
void job_say(struct job *j, const char *text);
/* "xpbackup-job: MESSAGE" through job_say, and to syslog unless SYSLOG=no (XP_LOG_*). */
void job_log(struct job *j, int prio, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 3, 4)));
/* Records the run's failure (the first one stays) and returns status, for
 * "return job_die(j, 1, ...)"; cmd_job prints it last. */
int job_die(struct job *j, int status, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 3, 4)));
/* When a signal stopped the job: job_die with 128 + N, "stopped by SIGNAME"; else 0. */
int job_stopped(struct job *j);
/* The user running the job, for messages (a malloc'd name, or the uid). */
char *job_user(void);

/* preflight.c: every problem the run would meet, one line each, before anything runs: 0, or
 * 1 once they are printed. Fills j->bin and j->targets. */
int job_preflight(struct job *j);

/* run.c: the steps, from the dump to the check; 0 or the run's status (4: it warned). */
int job_run(struct job *j);

/* Removes the directory tree path; 0 or -1 (errno). */
int job_rmtree(const char *path);

#endif
