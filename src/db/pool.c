#include "db/pool.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yder.h>

#define DB_MAX_PREPARED 128

struct db_conn {
  struct db_pool *pool;
  PGconn *pg;
  bool busy;
  /* statements prepared on this connection, by identity */
  const struct db_statement *prepared[DB_MAX_PREPARED];
  unsigned nprepared;
};

struct db_pool {
  struct db_pool_options opt;
  struct db_conn *conns;
  pthread_mutex_t mu;
  pthread_cond_t freed;
  atomic_uint in_use;
  atomic_ulong checkout_timeouts;
};

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
  pthread_mutex_init(&pool->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&pool->freed, &attr);
  pthread_condattr_destroy(&attr);
  return pool;
}

void db_pool_destroy(struct db_pool *pool) {
  if (pool == NULL) return;
  for (unsigned i = 0; i < pool->opt.size; i++)
    if (pool->conns[i].pg) PQfinish(pool->conns[i].pg);
  pthread_mutex_destroy(&pool->mu);
  pthread_cond_destroy(&pool->freed);
  free(pool->conns);
  free(pool);
}

static void conn_drop(struct db_conn *c) {
  if (c->pg) PQfinish(c->pg);
  c->pg = NULL;
  c->nprepared = 0;
}

/* Connects c->pg; the URI's own settings win over our defaults. */
static ips_status conn_connect(struct db_conn *c) {
  static const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
  const char *values[] = {"3", "ips-api", c->pool->opt.conninfo, NULL};
  conn_drop(c);
  c->pg = PQconnectdbParams(keys, values, 1);
  if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
    y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot connect: %s",
                  c->pg ? PQerrorMessage(c->pg) : "out of memory");
    conn_drop(c);
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
    return IPS_UNAVAILABLE;
  }
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

/* Takes a free slot, waiting until the deadline; NULL on timeout. */
static struct db_conn *take_slot(struct db_pool *pool) {
  struct timespec deadline;
  deadline_after(&deadline, pool->opt.checkout_timeout_ms);
  struct db_conn *found = NULL;
  pthread_mutex_lock(&pool->mu);
  for (;;) {
    /* Prefer a connected slot, so that a few busy threads reuse warm ones. */
    for (unsigned i = 0; i < pool->opt.size && found == NULL; i++)
      if (!pool->conns[i].busy && pool->conns[i].pg) found = &pool->conns[i];
    for (unsigned i = 0; i < pool->opt.size && found == NULL; i++)
      if (!pool->conns[i].busy) found = &pool->conns[i];
    if (found) break;
    if (pthread_cond_timedwait(&pool->freed, &pool->mu, &deadline) == ETIMEDOUT) break;
  }
  if (found) found->busy = true;
  pthread_mutex_unlock(&pool->mu);
  return found;
}

ips_status db_checkout(struct db_pool *pool, struct db_conn **out) {
  *out = NULL;
  struct db_conn *c = take_slot(pool);
  if (c == NULL) {
    atomic_fetch_add_explicit(&pool->checkout_timeouts, 1, memory_order_relaxed);
    y_log_message(Y_LOG_LEVEL_WARNING, "db: no connection free within %u ms",
                  pool->opt.checkout_timeout_ms);
    return IPS_UNAVAILABLE;
  }
  atomic_fetch_add_explicit(&pool->in_use, 1, memory_order_relaxed);
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
  c->busy = false;
  pthread_cond_signal(&pool->freed);
  pthread_mutex_unlock(&pool->mu);
}

PGconn *db_pgconn(struct db_conn *conn) { return conn->pg; }

ips_status db_reconnect(struct db_conn *conn) { return conn_connect(conn); }

static bool is_prepared(const struct db_conn *c, const struct db_statement *stmt) {
  for (unsigned i = 0; i < c->nprepared; i++)
    if (c->prepared[i] == stmt) return true;
  return false;
}

static ips_status ensure_prepared(struct db_conn *c, const struct db_statement *stmt) {
  if (is_prepared(c, stmt)) return IPS_OK;
  PGresult *res = PQprepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
  ips_status st = IPS_OK;
  if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    st = PQstatus(c->pg) == CONNECTION_OK ? IPS_ERROR : IPS_UNAVAILABLE;
    y_log_message(Y_LOG_LEVEL_ERROR, "db: cannot prepare %s: %s", stmt->name,
                  PQerrorMessage(c->pg));
  } else if (c->nprepared < DB_MAX_PREPARED) {
    c->prepared[c->nprepared++] = stmt;
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
