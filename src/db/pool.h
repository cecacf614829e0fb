/*
 * A fixed-size pool of libpq connections.
 *
 * A PGconn is used by one thread at a time: a request checks a connection out,
 * runs its statements and checks it back in at its handler's one exit.
 * Connections are made lazily, replaced when broken, and prepare each named
 * statement once, on first use.
 */
#ifndef IPS_DB_POOL_H
#define IPS_DB_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "ips.h"

/* A statement known by name; define these as static constants in the module
 * that owns the SQL. */
struct db_statement {
  const char *name;
  const char *sql;
  int nparams;
  bool writes;   /* true: never retried after a broken connection */
};

struct db_pool;
struct db_conn;

struct db_pool_options {
  const char *conninfo;      /* libpq URI; borrowed for the pool's lifetime */
  unsigned size;
  unsigned checkout_timeout_ms;
  bool prepared_statements;  /* off for PgBouncer in transaction mode */
};

/* Returns a new pool (free with db_pool_destroy), or NULL on allocation failure. */
struct db_pool *db_pool_create(const struct db_pool_options *opt);
void db_pool_destroy(struct db_pool *pool);

/*
 * Checks a connection out, waiting at most the checkout timeout, and makes
 * sure it is connected. IPS_UNAVAILABLE when none came free in time or the
 * database cannot be reached.
 */
ips_status db_checkout(struct db_pool *pool, struct db_conn **out);
void db_checkin(struct db_conn *conn);

/* Replaces the connection of a checked-out slot with a new one. */
ips_status db_reconnect(struct db_conn *conn);

/* The raw connection, borrowed while checked out. */
PGconn *db_pgconn(struct db_conn *conn);

/*
 * Runs a statement with text parameters (values[i] may be NULL for SQL NULL).
 * Returns the result (PQclear() it) in *out when the statement succeeded
 * (PGRES_TUPLES_OK or PGRES_COMMAND_OK). On failure *out is the failed result
 * or NULL, and the status says why: IPS_UNAVAILABLE when the connection broke
 * (it is replaced on next checkout), IPS_CONFLICT for a unique violation,
 * IPS_INVALID for a foreign key or check violation (the result names it),
 * IPS_ERROR otherwise (logged). A reading statement outside a transaction is
 * retried once on a fresh connection when the old one turned out to be broken
 * (after a database restart every pooled connection is broken once).
 */
ips_status db_exec(struct db_conn *conn, const struct db_statement *stmt,
                   const char *const *values, PGresult **out);

/*
 * Runs n statements in one round trip (libpq pipeline mode). out[i] gets
 * statement i's result or NULL (PQclear each). Returns the status of the
 * first statement that failed, as db_exec does; the statements after it
 * did not run. Never retried.
 */
ips_status db_exec_pipeline(struct db_conn *conn, const struct db_statement *const *stmts,
                            const char *const *const *values, size_t n, PGresult **out);

/* Numbers for /metrics. */
unsigned db_pool_size(const struct db_pool *pool);
unsigned db_pool_in_use(const struct db_pool *pool);
unsigned long db_pool_checkout_timeouts(const struct db_pool *pool);
/* False while the database is known to be unreachable (a connect failed and
 * none has succeeded since). */
bool db_pool_up(const struct db_pool *pool);
unsigned long db_pool_connect_attempts(const struct db_pool *pool);
/* The most statements prepared on one connection (a racy read, for metrics). */
size_t db_pool_prepared_max(const struct db_pool *pool);

#endif
