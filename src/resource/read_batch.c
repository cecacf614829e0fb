#include "resource/read_batch.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/pool.h"
#include "util/strbuf.h"

/* At most this many ids in one statement; more wait for the next. */
#define READ_BATCH_MAX 128

/* A request waiting in a batch, on its thread's stack. */
struct waiting {
  struct waiting *next;
  const char *id;
  const char *scope;
  sem_t woken;            /* posted when its batch is read, or when it is to send the next */
  bool send_next;         /* woken to send the next batch itself */
  struct batch *batch;    /* the batch that read it */
  int row;
};

/* One statement's result, shared by its requests until the last releases it. */
struct batch {
  PGresult *res;
  ips_status status;
  int col;                /* of the version: 1 after get_many's place, 0 for get */
  bool shared;            /* more than one request's id */
  atomic_int users;
};

struct read_batcher {
  const struct db_statement *get_many;
  const struct db_statement *get;
  pthread_mutex_t mu;
  struct waiting *first, *last;
  unsigned in_flight;     /* batches being read now */
};

/* At most this many batches of a resource in flight; 0: half the cores. */
static atomic_uint senders_max;

void read_batch_set_senders(unsigned senders) { atomic_store(&senders_max, senders); }

/* Half the cores, at least one: the database runs each batch on one
 * backend, the rest of the machine serves the requests (measured on two
 * cores: one sender 20-21k reads a second, two 17-19k, one each 15k). */
static unsigned senders(void) {
  unsigned n = atomic_load(&senders_max);
  if (n) return n;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 1 ? (unsigned)(cores / 2) : 1;
}

struct read_batcher *read_batcher_create(const struct db_statement *get_many, const struct db_statement *get) {
  struct read_batcher *b = calloc(1, sizeof *b);
  if (b == NULL) return NULL;
  b->get_many = get_many;
  b->get = get;
  pthread_mutex_init(&b->mu, NULL);
  return b;
}

void read_batcher_destroy(struct read_batcher *b) {
  if (b == NULL) return;
  pthread_mutex_destroy(&b->mu);
  free(b);
}

/* Appends s to an array literal as a quoted element, or NULL. */
static void array_element(struct strbuf *a, const char *s) {
  if (a->len > 1) strbuf_putc(a, ',');
  if (s == NULL) {
    strbuf_puts(a, "NULL");
    return;
  }
  strbuf_putc(a, '"');
  for (const char *c = s; *c; c++) {
    if (*c == '"' || *c == '\\') strbuf_putc(a, '\\');
    strbuf_putc(a, *c);
  }
  strbuf_putc(a, '"');
}

/* Takes up to READ_BATCH_MAX waiting requests off the queue, in order;
 * under the lock. */
static struct waiting *take_batch(struct read_batcher *b, size_t *n) {
  struct waiting *head = b->first, *tail = NULL;
  *n = 0;
  for (struct waiting *w = head; w && *n < READ_BATCH_MAX; w = w->next) tail = w, (*n)++;
  if (tail == NULL) return NULL;
  b->first = tail->next;
  if (b->first == NULL) b->last = NULL;
  tail->next = NULL;
  return head;
}

/* Reads one request's record alone, with the plain statement (cheaper for
 * the database than the batch's for one id). */
static void read_alone(struct read_batcher *b, struct db_conn *conn, struct waiting *w, struct batch *batch) {
  const char *values[] = {w->id, w->scope};
  batch->res = NULL;
  batch->col = 0;
  batch->status = db_exec(conn, b->get, values, &batch->res);
  atomic_init(&batch->users, 1);
  w->batch = batch;
  w->row = batch->status == IPS_OK && PQntuples(batch->res) == 1 ? 0 : -1;
}

/* Reads the records of the list on conn and gives each its row. */
static void read_list(struct read_batcher *b, struct db_conn *conn, struct waiting *list, size_t n,
                      struct batch *batch) {
  if (n == 1) {
    read_alone(b, conn, list, batch);
    return;
  }
  struct strbuf ids, scopes;
  strbuf_init(&ids);
  strbuf_init(&scopes);
  strbuf_putc(&ids, '{');
  strbuf_putc(&scopes, '{');
  for (struct waiting *w = list; w; w = w->next) {
    array_element(&ids, w->id);
    array_element(&scopes, w->scope);
  }
  strbuf_putc(&ids, '}');
  strbuf_putc(&scopes, '}');
  const char *values[] = {ids.data, scopes.data};
  batch->res = NULL;
  batch->col = 1;
  batch->shared = true;
  batch->status = ids.data && scopes.data ? db_exec(conn, b->get_many, values, &batch->res) : IPS_ERROR;
  atomic_init(&batch->users, (int)n);
  struct waiting **by_place = calloc(n, sizeof *by_place);
  size_t i = 0;
  for (struct waiting *w = list; w; w = w->next) {
    w->batch = batch;
    w->row = -1;
    if (by_place) by_place[i++] = w;
  }
  if (batch->status == IPS_OK && by_place == NULL) batch->status = IPS_ERROR;
  for (int r = 0; batch->status == IPS_OK && r < PQntuples(batch->res); r++) {
    long place = atol(PQgetvalue(batch->res, r, 0));
    if (place >= 1 && (size_t)place <= n) by_place[place - 1]->row = r;
  }
  free(by_place);
  strbuf_free(&ids);
  strbuf_free(&scopes);
}

/* Passes this thread's place as a sender on: to the first request waiting
 * (taken off the queue, it sends the next batch, itself in it), or, when
 * none waits, gives it up. Under the lock; returns the one to wake. */
static struct waiting *hand_on(struct read_batcher *b) {
  struct waiting *next = b->first;
  if (next == NULL) {
    b->in_flight--;
    return NULL;
  }
  b->first = next->next;
  if (b->first == NULL) b->last = NULL;
  next->next = NULL;
  next->send_next = true;
  return next;
}

/* Sends one batch on conn: self and whatever waits; fills every request's
 * result, then wakes the others and hands the sending on. */
static void lead(struct read_batcher *b, struct db_conn *conn, struct waiting *self) {
  pthread_mutex_lock(&b->mu);
  size_t n;
  struct waiting *others = take_batch(b, &n);
  pthread_mutex_unlock(&b->mu);
  self->next = others;
  struct batch *batch = calloc(1, sizeof *batch);
  if (batch) {
    read_list(b, conn, self, n + 1, batch);
  } else {
    for (struct waiting *w = self; w; w = w->next) w->batch = NULL, w->row = -1;
  }
  pthread_mutex_lock(&b->mu);
  struct waiting *next_sender = hand_on(b);
  pthread_mutex_unlock(&b->mu);
  /* a woken request may return at once: read its next before waking it */
  for (struct waiting *w = others, *next; w; w = next) {
    next = w->next;
    sem_post(&w->woken);
  }
  if (next_sender) sem_post(&next_sender->woken);
}

static void enqueue(struct read_batcher *b, struct waiting *w) {
  if (b->last) b->last->next = w;
  else b->first = w;
  b->last = w;
}

/* Waits until this request is read by another's batch, or is to send the
 * next one itself; true for the latter. */
static bool wait_turn(struct waiting *w) {
  while (sem_wait(&w->woken) != 0 && errno == EINTR) continue;
  return w->send_next;
}

ips_status read_batch_get(struct read_batcher *b, struct ips_request *req, const char *id, const char *scope,
                          struct read_result *out) {
  struct waiting w = {.next = NULL, .id = id, .scope = scope, .send_next = false, .batch = NULL, .row = -1};
  ips_status st = IPS_OK;
  sem_init(&w.woken, 0, 0);
  out->res = NULL;
  out->row = -1;
  out->col = 0;
  out->shared = false;
  out->batch = NULL;
  /* a waiting request holds no connection (the token check may have taken
   * one): waiting ones holding them all would leave none for the sender */
  if (req->db) request_db_release(req);
  pthread_mutex_lock(&b->mu);
  /* fewer batches in flight than allowed: send at once, alone if need be */
  bool sends = b->in_flight < senders();
  if (sends) b->in_flight++;
  else enqueue(b, &w);
  pthread_mutex_unlock(&b->mu);
  if (!sends) sends = wait_turn(&w);
  if (sends) {
    struct db_conn *conn;
    st = request_db(req, &conn);
    if (st == IPS_OK) {
      lead(b, conn, &w);
    } else {
      /* no connection: the others' batch goes with the next sender */
      pthread_mutex_lock(&b->mu);
      struct waiting *next_sender = hand_on(b);
      pthread_mutex_unlock(&b->mu);
      if (next_sender) sem_post(&next_sender->woken);
    }
  }
  sem_destroy(&w.woken);
  if (st != IPS_OK) return st;
  if (w.batch == NULL) return IPS_ERROR;
  out->batch = w.batch;
  if (w.batch->status != IPS_OK) {
    st = w.batch->status;
    read_result_release(out);
    return st;
  }
  out->res = w.batch->res;
  out->row = w.row;
  out->col = w.batch->col;
  out->shared = w.batch->shared;
  return IPS_OK;
}

void read_result_release(struct read_result *r) {
  struct batch *batch = r->batch;
  if (batch == NULL) return;
  if (atomic_fetch_sub(&batch->users, 1) == 1) {
    PQclear(batch->res);
    free(batch);
  }
  r->batch = NULL;
  r->res = NULL;
}
