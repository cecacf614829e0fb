#include "util/slots.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct slots {
  pthread_mutex_t lock;
  pthread_cond_t freed;   /* on CLOCK_MONOTONIC */
  unsigned free;
};

struct slots *slots_create(unsigned n) {
  struct slots *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->freed, &attr);
  pthread_condattr_destroy(&attr);
  s->free = n;
  return s;
}

bool slots_acquire(struct slots *s, unsigned wait_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += wait_ms / 1000;
  deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->lock);
  int rc = 0;
  while (s->free == 0 && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&s->freed, &s->lock, &deadline);
  bool got = s->free > 0;
  if (got) s->free--;
  pthread_mutex_unlock(&s->lock);
  return got;
}

void slots_release(struct slots *s) {
  pthread_mutex_lock(&s->lock);
  s->free++;
  pthread_cond_signal(&s->freed);
  pthread_mutex_unlock(&s->lock);
}

void slots_destroy(struct slots *s) {
  if (s == NULL) return;
  pthread_cond_destroy(&s->freed);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
