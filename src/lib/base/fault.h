/* Fault injection for the crash tests. */
#ifndef XP_BASE_FAULT_H
#define XP_BASE_FAULT_H

/* Crash tests: with XP_FAULT_AT=N in the environment (and fault injection compiled in),
 * the Nth call in the process kills it with SIGKILL before the step named by `what` is done;
 * with XP_FAULT_STOP=N it stops there (SIGSTOP) until the test, having changed the
 * repository meanwhile, sends SIGCONT. XP_FAULT_TRACE=1 prints each step to stderr so tests
 * can count them. Harmless otherwise. */
void xp_fault_point(const char *what);

#endif
