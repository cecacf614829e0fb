#include "http/request_deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <yder.h>

#include "log.h"

/* Where a connection's current request is. */
enum phase { AWAITING_HEAD, AWAITING_BODY, IN_HANDLER };

/* One open connection; in the list from its start to its close. */
struct watched {
  struct watched *prev, *next;
  int fd;
  enum phase phase;
  bool shut;
  long long since_ms; /* when the phase began */
};

static struct {
  pthread_mutex_t mu;
  struct watched *head;
  unsigned head_ms, body_ms; /* 0: no deadline for that phase */
  pthread_t thread;
  bool running;
  atomic_bool stop;
} dl = {.mu = PTHREAD_MUTEX_INITIALIZER};

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The deadline of a phase in ms; 0 when it has none. */
static unsigned deadline_of(enum phase p) {
  return p == AWAITING_HEAD ? dl.head_ms : p == AWAITING_BODY ? dl.body_ms : 0;
}

/* Shuts every connection whose head or body is overdue. The socket is
 * closed by the daemon only after its CLOSED notice, which waits for this
 * lock, so the descriptor shut here is still that connection's. */
static void shut_overdue(void) {
  unsigned long heads = 0, bodies = 0;
  long long now = now_ms();
  pthread_mutex_lock(&dl.mu);
  for (struct watched *w = dl.head; w; w = w->next) {
    unsigned limit = deadline_of(w->phase);
    if (limit == 0 || w->shut || now - w->since_ms < limit) continue;
    shutdown(w->fd, SHUT_RDWR);
    w->shut = true;
    if (w->phase == AWAITING_HEAD) heads++;
    else bodies++;
  }
  pthread_mutex_unlock(&dl.mu);
  static struct log_limiter limit = LOG_LIMITER(10);
  unsigned long held_back;
  if ((heads || bodies) && log_limited_allow(&limit, &held_back))
    y_log_message(Y_LOG_LEVEL_WARNING, "security: closed %lu connections that sent no request head within %u ms"
                  " and %lu that sent no whole body within %u ms (and %lu more lines held back)",
                  heads, dl.head_ms, bodies, dl.body_ms, held_back);
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

bool request_deadline_start(unsigned head_seconds, unsigned body_seconds) {
  if (head_seconds == 0 && body_seconds == 0) return true;
  dl.head_ms = head_seconds * 1000;
  dl.body_ms = body_seconds * 1000;
  atomic_store(&dl.stop, false);
  dl.running = pthread_create(&dl.thread, NULL, watch, NULL) == 0;
  return dl.running;
}

void request_deadline_stop(void) {
  if (!dl.running) return;
  atomic_store(&dl.stop, true);
  pthread_join(dl.thread, NULL);
  dl.running = false;
}

void request_deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                             enum MHD_ConnectionNotificationCode code) {
  (void)cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct watched *w = calloc(1, sizeof *w);
    *socket_context = w;
    if (w == NULL || info == NULL) return;
    w->fd = info->connect_fd;
    w->phase = AWAITING_HEAD;
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

bool request_deadline_on_call(struct MHD_Connection *c, size_t upload_data_size) {
  struct watched *w = watched_of(c);
  if (w == NULL) return false;
  bool first = false;
  pthread_mutex_lock(&dl.mu);
  if (w->phase == AWAITING_HEAD) {
    w->phase = AWAITING_BODY;
    w->since_ms = now_ms();
    first = true;
  } else if (w->phase == AWAITING_BODY && upload_data_size == 0) {
    w->phase = IN_HANDLER;
  }
  pthread_mutex_unlock(&dl.mu);
  return first;
}

void request_deadline_rearm(struct MHD_Connection *c) {
  struct watched *w = watched_of(c);
  if (w == NULL) return;
  pthread_mutex_lock(&dl.mu);
  w->phase = AWAITING_HEAD;
  w->since_ms = now_ms();
  pthread_mutex_unlock(&dl.mu);
}
