#include "http/head_deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <yder.h>

#include "log.h"

/* One open connection; in the list from its start to its close. */
struct watched {
  struct watched *prev, *next;
  int fd;
  bool awaiting_head;   /* no complete head since `since` */
  bool shut;
  long long since_ms;
};

static struct {
  pthread_mutex_t mu;
  struct watched *head;
  unsigned deadline_ms;
  pthread_t thread;
  bool running;
  atomic_bool stop;
} dl = {.mu = PTHREAD_MUTEX_INITIALIZER};

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Shuts every connection whose head is overdue. The socket is closed by the
 * daemon only after its CLOSED notice, which waits for this lock, so the
 * descriptor shut here is still that connection's. */
static void shut_overdue(void) {
  unsigned long shut = 0;
  long long now = now_ms();
  pthread_mutex_lock(&dl.mu);
  for (struct watched *w = dl.head; w; w = w->next) {
    if (!w->awaiting_head || w->shut || now - w->since_ms < dl.deadline_ms) continue;
    shutdown(w->fd, SHUT_RDWR);
    w->shut = true;
    shut++;
  }
  pthread_mutex_unlock(&dl.mu);
  static struct log_limiter limit = LOG_LIMITER(10);
  unsigned long held_back;
  if (shut && log_limited_allow(&limit, &held_back))
    y_log_message(Y_LOG_LEVEL_WARNING, "security: closed %lu connections that sent no request head within %u ms"
                  " (and %lu more lines held back)", shut, dl.deadline_ms, held_back);
}

static void *watch(void *arg) {
  (void)arg;
  struct timespec pause = {0, 250 * 1000 * 1000};
  while (!atomic_load(&dl.stop)) {
    shut_overdue();
    nanosleep(&pause, NULL);
  }
  return NULL;
}

bool head_deadline_start(unsigned seconds) {
  if (seconds == 0) return true;
  dl.deadline_ms = seconds * 1000;
  atomic_store(&dl.stop, false);
  dl.running = pthread_create(&dl.thread, NULL, watch, NULL) == 0;
  return dl.running;
}

void head_deadline_stop(void) {
  if (!dl.running) return;
  atomic_store(&dl.stop, true);
  pthread_join(dl.thread, NULL);
  dl.running = false;
}

void head_deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  (void)cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct watched *w = calloc(1, sizeof *w);
    *socket_context = w;
    if (w == NULL || info == NULL) return;
    w->fd = info->connect_fd;
    w->awaiting_head = true;
    w->since_ms = now_ms();
    pthread_mutex_lock(&dl.mu);
    w->next = dl.head;
    if (dl.head) dl.head->prev = w;
    dl.head = w;
    pthread_mutex_unlock(&dl.mu);
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    struct watched *w = *socket_context;
    if (w == NULL) return;
    pthread_mutex_lock(&dl.mu);
    if (w->prev) w->prev->next = w->next;
    else if (dl.head == w) dl.head = w->next;
    if (w->next) w->next->prev = w->prev;
    pthread_mutex_unlock(&dl.mu);
    free(w);
    *socket_context = NULL;
  }
}

/* The connection's entry, borrowed; NULL when it has none. */
static struct watched *watched_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? info->socket_context : NULL;
}

void head_deadline_met(struct MHD_Connection *c) {
  struct watched *w = watched_of(c);
  if (w == NULL) return;
  pthread_mutex_lock(&dl.mu);
  w->awaiting_head = false;
  pthread_mutex_unlock(&dl.mu);
}

void head_deadline_rearm(struct MHD_Connection *c) {
  struct watched *w = watched_of(c);
  if (w == NULL) return;
  pthread_mutex_lock(&dl.mu);
  w->awaiting_head = true;
  w->since_ms = now_ms();
  pthread_mutex_unlock(&dl.mu);
}
