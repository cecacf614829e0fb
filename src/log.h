/*
 * Logging through yder, initialised once before the server starts. Lines go
 * to stderr: faults (ERROR), security events (WARNING, "security: ..."),
 * business events and access lines (INFO). Never a token, password or PII.
 */
#ifndef IPS_LOG_H
#define IPS_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

void log_start(int level);
void log_stop(void);

/* True when a message of this yder level would be written: yder formats a
 * message before it filters it, so hot paths ask first. */
bool log_enabled(unsigned long level);

/*
 * A limit on how often one kind of line is written: at most one line per
 * window, the next one saying how many were held back in between. Define
 * one as a static LOG_LIMITER(seconds) next to the line it guards.
 */
struct log_limiter {
  pthread_mutex_t mu;
  unsigned window_s;
  time_t last;              /* when a line was last written; 0: never */
  unsigned long held_back;  /* lines not written since */
};
#define LOG_LIMITER(seconds) {PTHREAD_MUTEX_INITIALIZER, (seconds), 0, 0}

/*
 * True when the guarded line may be written now; then *held_back is how many
 * were skipped since the last one (to say so in the line). False, and the
 * line is counted, while the window has not passed. This function can't fail.
 */
bool log_limited_allow(struct log_limiter *l, unsigned long *held_back);

#endif
