#include "db/notify.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yder.h>

#define CHANNEL "ips_changes"

struct notifier {
  const char *conninfo;
  unsigned max_waiters;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t changed;
  long long latest;        /* highest seq announced */
  unsigned waiters;
  bool closing;
  atomic_bool stop;
};

static PGconn *listen_connect(const char *conninfo) {
  static const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
  const char *values[] = {"3", "ips-api-listener", conninfo, NULL};
  PGconn *c = PQconnectdbParams(keys, values, 1);
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult *r = PQexec(c, "LISTEN " CHANNEL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok) return c;
  }
  PQfinish(c);
  return NULL;
}

static void announce(struct notifier *n, long long seq) {
  pthread_mutex_lock(&n->mu);
  if (seq > n->latest) n->latest = seq;
  pthread_cond_broadcast(&n->changed);
  pthread_mutex_unlock(&n->mu);
}

static void *listen_loop(void *arg) {
  struct notifier *n = arg;
  PGconn *c = NULL;
  while (!atomic_load(&n->stop)) {
    if (c == NULL && (c = listen_connect(n->conninfo)) == NULL) {
      struct timespec pause = {1, 0};
      nanosleep(&pause, NULL);
      continue;
    }
    struct pollfd pfd = {PQsocket(c), POLLIN, 0};
    if (poll(&pfd, 1, 500) < 0) continue;
    if (!PQconsumeInput(c)) {
      y_log_message(Y_LOG_LEVEL_WARNING, "notify: listener connection lost; reconnecting");
      PQfinish(c);
      c = NULL;
      continue;
    }
    PGnotify *note;
    while ((note = PQnotifies(c)) != NULL) {
      announce(n, atoll(note->extra));
      PQfreemem(note);
    }
  }
  PQfinish(c);
  return NULL;
}

struct notifier *notifier_start(const char *conninfo, unsigned max_waiters) {
  struct notifier *n = calloc(1, sizeof *n);
  if (n == NULL) return NULL;
  n->conninfo = conninfo;
  n->max_waiters = max_waiters ? max_waiters : 1;
  pthread_mutex_init(&n->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&n->changed, &attr);
  pthread_condattr_destroy(&attr);
  if (pthread_create(&n->thread, NULL, listen_loop, n) != 0) {
    free(n);
    return NULL;
  }
  return n;
}

void notifier_shutdown(struct notifier *n) {
  if (n == NULL) return;
  pthread_mutex_lock(&n->mu);
  n->closing = true;
  pthread_cond_broadcast(&n->changed);
  pthread_mutex_unlock(&n->mu);
}

void notifier_stop(struct notifier *n) {
  if (n == NULL) return;
  notifier_shutdown(n);
  atomic_store(&n->stop, true);
  pthread_join(n->thread, NULL);
  pthread_mutex_destroy(&n->mu);
  pthread_cond_destroy(&n->changed);
  free(n);
}

bool notifier_enter(struct notifier *n) {
  bool ok;
  pthread_mutex_lock(&n->mu);
  ok = !n->closing && n->waiters < n->max_waiters;
  if (ok) n->waiters++;
  pthread_mutex_unlock(&n->mu);
  return ok;
}

void notifier_leave(struct notifier *n) {
  pthread_mutex_lock(&n->mu);
  n->waiters--;
  pthread_mutex_unlock(&n->mu);
}

bool notifier_closing(struct notifier *n) {
  pthread_mutex_lock(&n->mu);
  bool closing = n->closing;
  pthread_mutex_unlock(&n->mu);
  return closing;
}

bool notifier_wait(struct notifier *n, long long after, unsigned timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  if (timeout_ms > 1000) timeout_ms = 1000;
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&n->mu);
  while (n->latest <= after && !n->closing)
    if (pthread_cond_timedwait(&n->changed, &n->mu, &deadline) != 0) break;
  bool newer = n->latest > after;
  pthread_mutex_unlock(&n->mu);
  return newer;
}
