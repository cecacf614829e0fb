#include "db/pool.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yder.h>

struct db_conn {
  struct db_pool *pool;
  PGconn *pg;
  bool busy;
  /* statements prepared on this connection, by identity; grows as new
   * statements are used, so no fixed bound can be outgrown */
  const struct db_statement **prepared;
  size_t nprepared, prepared_cap;
};

/*
 * What the pool knows of the database. After a failed connect it is "down":
 * requests that need a new connection answer IPS_UNAVAILABLE at once, and
 * only one of them at a time (the prober) tries again, no sooner than
 * next_probe_ms; the wait doubles from PROBE_MIN_MS to PROBE_MAX_MS with
 * jitter. A connect storm against a stopped database would otherwise keep
 * it from starting again (a client's ephemeral port can even land on the
 * database's own port and hold it) and flood the log.
 */
#define PROBE_MIN_MS 50
#define PROBE_MAX_MS 1000

struct db_pool {
  struct db_pool_options opt;
  struct db_conn *conns;
  pthread_mutex_t mu;
  struct waiter *first_waiter, *last_waiter; /* FIFO of threads waiting for a slot */
  atomic_uint in_use;
  atomic_ulong checkout_timeouts;
  atomic_bool down;
  atomic_bool probing;              /* a prober is connecting now */
  atomic_llong next_probe_ms;       /* monotonic ms */
  atomic_uint backoff_ms;
  atomic_ulong connect_attempts;
  atomic_ulong connect_failures;
};

static long long monotonic_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* True when this thread may try to connect now: always while the database
 * is up; while it is down, only as the one prober once its time has come. */
static bool connect_allowed(struct db_pool *pool) {
  if (!atomic_load(&pool->down)) return true;
  if (monotonic_ms() < atomic_load(&pool->next_probe_ms)) return false;
  bool expected = false;
  return atomic_compare_exchange_strong(&pool->probing, &expected, true);
}

/* Records a connect's outcome in the known state. */
static void connect_outcome(struct db_pool *pool, bool ok) {
  if (ok) {
    if (atomic_exchange(&pool->down, false))
      y_log_message(Y_LOG_LEVEL_INFO, "db: the database is reachable again");
    atomic_store(&pool->backoff_ms, PROBE_MIN_MS);
  } else {
    atomic_fetch_add(&pool->connect_failures, 1);
    unsigned backoff = atomic_load(&pool->backoff_ms);
    unsigned next = backoff * 2 > PROBE_MAX_MS ? PROBE_MAX_MS : backoff * 2;
    atomic_store(&pool->backoff_ms, next);
    /* jitter: between half and the whole of the wait, so instances spread */
    unsigned wait = backoff / 2 + (unsigned)(random() % (backoff / 2 + 1));
    atomic_store(&pool->next_probe_ms, monotonic_ms() + wait);
    atomic_store(&pool->down, true);
  }
  atomic_store(&pool->probing, false);
}

struct db_pool *db_pool_create(const struct db_pool_options *opt) {
  struct db_pool *pool = calloc(1, sizeof *pool);
  if (pool == NULL) return NULL;
  pool->opt = *opt;
  pool->conns = calloc(opt->size, sizeof *pool->conns);
  if (pool->conns == NULL) {
    free(pool);
    return NULL;
  }
  for (unsigned i = 0; i < opt->size; i++) pool->conns[i].pool = pool;
  atomic_init(&pool->backoff_ms, PROBE_MIN_MS);
  pthread_mutex_init(&pool->mu, NULL);
  return pool;
}

void db_pool_destroy(struct db_pool *pool) {
  if (pool == NULL) return;
  for (unsigned i = 0; i < pool->opt.size; i++) {
    if (pool->conns[i].pg) PQfinish(pool->conns[i].pg);
    free(pool->conns[i].prepared);
  }
  pthread_mutex_destroy(&pool->mu);
  free(pool->conns);
  free(pool);
}

static void conn_drop(struct db_conn *c) {
  if (c->pg) PQfinish(c->pg);
  c->pg = NULL;
  c->nprepared = 0;
}

/* Logs a failed connect, at most one line every 10 s with a count. */
static void log_connect_failure(PGconn *pg) {
  static struct log_limiter limit = LOG_LIMITER(10);
  unsigned long held_back;
  if (!log_limited_allow(&limit, &held_back)) return;
  char why[256];
  snprintf(why, sizeof why, "%s", pg ? PQerrorMessage(pg) : "out of memory");
  why[strcspn(why, "\n")] = '\0';
  if (held_back) y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot connect: %s (and %lu more in the last 10 s)", why, held_back);
  else y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot connect: %s", why);
}

/*
 * Connects c->pg; the URI's own settings win over our defaults. While the
 * database is known to be down, answers IPS_UNAVAILABLE at once unless this
 * call is the one probe allowed (connect_allowed).
 */
static ips_status conn_connect(struct db_conn *c) {
  static const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
  const char *values[] = {"3", "ips-api", c->pool->opt.conninfo, NULL};
  conn_drop(c);
  if (!connect_allowed(c->pool)) return IPS_UNAVAILABLE;
  atomic_fetch_add(&c->pool->connect_attempts, 1);
  c->pg = PQconnectdbParams(keys, values, 1);
  if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
    log_connect_failure(c->pg);
    conn_drop(c);
    connect_outcome(c->pool, false);
    return IPS_UNAVAILABLE;
  }
  /* Timestamps leave PostgreSQL as RFC 3339 in UTC (2026-01-31T12:00:00+00:00)
   * when the session's zone is UTC; the JSON the database builds relies on it. */
  PGresult *res = PQexec(c->pg, "SET TimeZone = 'UTC'");
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) {
    y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot set the time zone: %s", PQerrorMessage(c->pg));
    conn_drop(c);
    connect_outcome(c->pool, false);
    return IPS_UNAVAILABLE;
  }
  connect_outcome(c->pool, true);
  return IPS_OK;
}

static void deadline_after(struct timespec *ts, unsigned ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

/*
 * A thread waiting for a slot, on its own stack. A slot freed while threads
 * wait is handed to the first of them (first come, first served): the one
 * woken does not race new arrivals for it, so no request waits behind
 * later ones until its checkout timeout (a shared condition variable lets
 * them barge in), and waking it is one futex call.
 */
struct waiter {
  struct waiter *next;
  struct db_conn *given; /* set by db_checkin, under the pool's lock */
  sem_t woken;           /* posted by db_checkin after it unlocks */
};

/* A free slot, preferring a connected one so that a few busy threads reuse
 * warm connections; NULL when all are busy. Under the pool's lock. */
static struct db_conn *free_slot(struct db_pool *pool) {
  struct db_conn *unconnected = NULL;
  for (unsigned i = 0; i < pool->opt.size; i++) {
    struct db_conn *c = &pool->conns[i];
    if (c->busy) continue;
    if (c->pg) return c;
    if (unconnected == NULL) unconnected = c;
  }
  return unconnected;
}

static void waiter_remove(struct db_pool *pool, struct waiter *w) {
  struct waiter *prev = NULL;
  for (struct waiter *it = pool->first_waiter; it; prev = it, it = it->next) {
    if (it != w) continue;
    if (prev) prev->next = w->next;
    else pool->first_waiter = w->next;
    if (pool->last_waiter == w) pool->last_waiter = prev;
    return;
  }
}

/* Joins the queue and waits for a slot until the deadline; NULL on
 * timeout. Called with the pool's lock held, returns with it held. */
static struct db_conn *wait_for_slot(struct db_pool *pool, const struct timespec *deadline) {
  struct waiter w = {.next = NULL, .given = NULL};
  sem_init(&w.woken, 0, 0);
  if (pool->last_waiter) pool->last_waiter->next = &w;
  else pool->first_waiter = &w;
  pool->last_waiter = &w;
  pthread_mutex_unlock(&pool->mu);
  int rc;
  while ((rc = sem_clockwait(&w.woken, CLOCK_MONOTONIC, deadline)) != 0 && errno == EINTR) continue;
  pthread_mutex_lock(&pool->mu);
  if (rc != 0) {
    /* timed out; a slot given meanwhile is ours, its post is on the way */
    if (w.given) sem_wait(&w.woken);
    else waiter_remove(pool, &w);
  }
  sem_destroy(&w.woken);
  return w.given;
}

/* Takes a free slot, waiting until the checkout timeout; NULL on timeout. */
static struct db_conn *take_slot(struct db_pool *pool) {
  pthread_mutex_lock(&pool->mu);
  /* with threads waiting there is no free slot: they were given them */
  struct db_conn *found = pool->first_waiter ? NULL : free_slot(pool);
  if (found) {
    found->busy = true;
  } else {
    struct timespec deadline;
    deadline_after(&deadline, pool->opt.checkout_timeout_ms);
    found = wait_for_slot(pool, &deadline);
  }
  pthread_mutex_unlock(&pool->mu);
  return found;
}

/* An idle connection has nothing to read unless the server closed it
 * (stopped, restarted, or ended the session): then reading now marks it
 * bad, and the checkout connects again (or says the database is down)
 * instead of handing out a connection whose first query fails. */
static void noticed_closed(PGconn *pg) {
  /* the server's last message and the end of the stream may need two reads */
  for (int i = 0; i < 4 && PQstatus(pg) == CONNECTION_OK; i++) {
    struct pollfd pfd = {PQsocket(pg), POLLIN, 0};
    if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0) return;
    if (!PQconsumeInput(pg)) return; /* the end: PQstatus now says so */
  }
}

ips_status db_checkout(struct db_pool *pool, struct db_conn **out) {
  *out = NULL;
  struct db_conn *c = take_slot(pool);
  if (c == NULL) {
    atomic_fetch_add_explicit(&pool->checkout_timeouts, 1, memory_order_relaxed);
    static struct log_limiter limit = LOG_LIMITER(10);
    unsigned long held_back;
    if (log_limited_allow(&limit, &held_back))
      y_log_message(Y_LOG_LEVEL_WARNING, "db: no connection free within %u ms (and %lu more in the last 10 s)",
                    pool->opt.checkout_timeout_ms, held_back);
    return IPS_UNAVAILABLE;
  }
  atomic_fetch_add_explicit(&pool->in_use, 1, memory_order_relaxed);
  if (c->pg && PQstatus(c->pg) == CONNECTION_OK) noticed_closed(c->pg);
  if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
    if (conn_connect(c) != IPS_OK) {
      db_checkin(c);
      return IPS_UNAVAILABLE;
    }
  }
  *out = c;
  return IPS_OK;
}

void db_checkin(struct db_conn *c) {
  if (c == NULL) return;
  struct db_pool *pool = c->pool;
  /* A connection left inside a transaction (a handler bug) is not reused. */
  if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
    y_log_message(Y_LOG_LEVEL_ERROR, "db: connection returned inside a transaction; dropped");
    conn_drop(c);
  }
  atomic_fetch_sub_explicit(&pool->in_use, 1, memory_order_relaxed);
  pthread_mutex_lock(&pool->mu);
  struct waiter *w = pool->first_waiter;
  if (w) {
    /* the slot stays busy: it goes straight to the first waiter */
    pool->first_waiter = w->next;
    if (pool->last_waiter == w) pool->last_waiter = NULL;
    w->given = c;
  } else {
    c->busy = false;
  }
  pthread_mutex_unlock(&pool->mu);
  /* posted outside the lock, so that the waiter wakes to a free lock */
  if (w) sem_post(&w->woken);
}

PGconn *db_pgconn(struct db_conn *conn) { return conn->pg; }

ips_status db_reconnect(struct db_conn *conn) { return conn_connect(conn); }

static bool is_prepared(const struct db_conn *c, const struct db_statement *stmt) {
  for (size_t i = 0; i < c->nprepared; i++)
    if (c->prepared[i] == stmt) return true;
  return false;
}

/* Records stmt as prepared on c; false when memory ran out (then the
 * statement is prepared again on its next use, which the duplicate answer
 * below makes harmless). */
static bool remember_prepared(struct db_conn *c, const struct db_statement *stmt) {
  if (c->nprepared == c->prepared_cap) {
    size_t cap = c->prepared_cap ? c->prepared_cap * 2 : 64;
    const struct db_statement **grown = realloc(c->prepared, cap * sizeof *grown);
    if (grown == NULL) return false;
    c->prepared = grown;
    c->prepared_cap = cap;
  }
  c->prepared[c->nprepared++] = stmt;
  return true;
}

static ips_status ensure_prepared(struct db_conn *c, const struct db_statement *stmt) {
  if (is_prepared(c, stmt)) return IPS_OK;
  PGresult *res = PQprepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
  const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  ips_status st = IPS_OK;
  /* 42P05: prepared on this connection already (its record was lost) */
  bool prepared = PQresultStatus(res) == PGRES_COMMAND_OK || (state && strcmp(state, "42P05") == 0);
  if (!prepared) {
    st = PQstatus(c->pg) == CONNECTION_OK ? IPS_ERROR : IPS_UNAVAILABLE;
    y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot prepare %s: SQLSTATE %s", stmt->name, state ? state : "?");
  } else if (!remember_prepared(c, stmt)) {
    y_log_message(Y_LOG_LEVEL_WARNING, "db: out of memory recording prepared statement %s", stmt->name);
  }
  PQclear(res);
  return st;
}

static PGresult *exec_once(struct db_conn *c, const struct db_statement *stmt,
                           const char *const *values, ips_status *st) {
  *st = IPS_OK;
  if (!c->pool->opt.prepared_statements)
    return PQexecParams(c->pg, stmt->sql, stmt->nparams, NULL, values, NULL, NULL, 0);
  *st = ensure_prepared(c, stmt);
  if (*st != IPS_OK) return NULL;
  return PQexecPrepared(c->pg, stmt->name, stmt->nparams, values, NULL, NULL, 0);
}

static ips_status classify_failure(struct db_conn *c, const struct db_statement *stmt,
                                   PGresult *res) {
  if (PQstatus(c->pg) != CONNECTION_OK) return IPS_UNAVAILABLE;
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (state && strcmp(state, "23505") == 0) return IPS_CONFLICT;
  /* a foreign key or check constraint: the caller names the field */
  if (state && (strcmp(state, "23503") == 0 || strcmp(state, "23514") == 0)) return IPS_INVALID;
  /* 57P0x: the server is shutting down or restarting. */
  if (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0))
    return IPS_UNAVAILABLE;
  /* the server's message can quote the values (personal data among them):
   * the log gets the SQLSTATE, and the message only at debug level */
  y_log_message(Y_LOG_LEVEL_ERROR, "db: %s failed: SQLSTATE %s", stmt->name, state ? state : "?");
  if (log_enabled(Y_LOG_LEVEL_DEBUG))
    y_log_message(Y_LOG_LEVEL_DEBUG, "db: %s: %s", stmt->name, res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
  return IPS_ERROR;
}

static bool succeeded(PGresult *res) {
  ExecStatusType t = PQresultStatus(res);
  return t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK;
}

ips_status db_exec(struct db_conn *c, const struct db_statement *stmt,
                   const char *const *values, PGresult **out) {
  bool in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
  ips_status st;
  PGresult *res = exec_once(c, stmt, values, &st);
  if (st == IPS_OK && res && succeeded(res)) {
    *out = res;
    return IPS_OK;
  }
  if (st == IPS_OK) st = classify_failure(c, stmt, res);
  /* A read on a connection that broke while idle is retried once; a write is
   * not, since the server may have run it before the connection went. */
  if (st == IPS_UNAVAILABLE && !in_tx && !stmt->writes && PQstatus(c->pg) != CONNECTION_OK) {
    PQclear(res);
    res = NULL;
    if (conn_connect(c) == IPS_OK) {
      res = exec_once(c, stmt, values, &st);
      if (st == IPS_OK && res && succeeded(res)) {
        *out = res;
        return IPS_OK;
      }
      if (st == IPS_OK) st = classify_failure(c, stmt, res);
    }
  }
  if (st == IPS_UNAVAILABLE && c->pg && PQstatus(c->pg) != CONNECTION_OK) conn_drop(c);
  *out = res;
  return st;
}

unsigned db_pool_size(const struct db_pool *pool) { return pool->opt.size; }

unsigned db_pool_in_use(const struct db_pool *pool) {
  return atomic_load_explicit(&pool->in_use, memory_order_relaxed);
}

unsigned long db_pool_checkout_timeouts(const struct db_pool *pool) {
  return atomic_load_explicit(&pool->checkout_timeouts, memory_order_relaxed);
}

bool db_pool_up(const struct db_pool *pool) { return !atomic_load(&pool->down); }

unsigned long db_pool_connect_attempts(const struct db_pool *pool) {
  return atomic_load(&pool->connect_attempts);
}

size_t db_pool_prepared_max(const struct db_pool *pool) {
  size_t most = 0;
  for (unsigned i = 0; i < pool->opt.size; i++)
    if (pool->conns[i].nprepared > most) most = pool->conns[i].nprepared;
  return most;
}

ips_status db_exec_pipeline(struct db_conn *c, const struct db_statement *const *stmts,
                            const char *const *const *values, size_t n, PGresult **out) {
  ips_status st = IPS_OK;
  size_t failed = n;
  for (size_t i = 0; i < n; i++) out[i] = NULL;
  for (size_t i = 0; i < n && st == IPS_OK && c->pool->opt.prepared_statements; i++)
    st = ensure_prepared(c, stmts[i]);
  if (st != IPS_OK) return st;
  if (!PQenterPipelineMode(c->pg)) return classify_failure(c, stmts[0], NULL);
  bool sent = true;
  for (size_t i = 0; i < n && sent; i++) {
    sent = c->pool->opt.prepared_statements
               ? PQsendQueryPrepared(c->pg, stmts[i]->name, stmts[i]->nparams, values[i], NULL, NULL, 0)
               : PQsendQueryParams(c->pg, stmts[i]->sql, stmts[i]->nparams, NULL, values[i], NULL, NULL, 0);
  }
  if (!sent || !PQpipelineSync(c->pg)) {
    st = PQstatus(c->pg) == CONNECTION_OK ? IPS_ERROR : IPS_UNAVAILABLE;
    y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot send a pipeline");
  }
  /* one result per statement (then a NULL), then the sync */
  for (size_t i = 0; i < n && sent; i++) {
    PGresult *res = PQgetResult(c->pg);
    if (res == NULL) break;
    out[i] = res;
    while ((res = PQgetResult(c->pg)) != NULL) PQclear(res);
    if (failed == n && !succeeded(out[i])) {
      failed = i;
      if (PQresultStatus(out[i]) != PGRES_PIPELINE_ABORTED) st = classify_failure(c, stmts[i], out[i]);
    }
  }
  PGresult *res;
  while (sent && (res = PQgetResult(c->pg)) != NULL) {
    bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync) break;
  }
  if (!PQexitPipelineMode(c->pg)) {
    y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot leave pipeline mode; dropping the connection");
    conn_drop(c);
    return IPS_UNAVAILABLE;
  }
  if (st == IPS_UNAVAILABLE && c->pg && PQstatus(c->pg) != CONNECTION_OK) conn_drop(c);
  return st;
}
