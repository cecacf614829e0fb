#include "db/tx.h"

static const struct db_statement BEGIN_TX = {"tx_begin", "BEGIN", 0, true};
static const struct db_statement COMMIT_TX = {"tx_commit", "COMMIT", 0, true};
static const struct db_statement ROLLBACK_TX = {"tx_rollback", "ROLLBACK", 0, true};
static const struct db_statement SET_ACTOR = {
  "tx_set_actor",
  "SELECT set_config('ips.actor', coalesce($1, ''), true), set_config('ips.partner', coalesce($2, ''), true),"
  " set_config('ips.role', coalesce($3, ''), true), set_config('ips.request_id', $4, true)",
  4, true};

ips_status tx_begin(struct db_conn *conn, const struct tx_actor *actor) {
  const char *values[] = {actor->sub, actor->partner, actor->role, actor->request_id};
  /* BEGIN and the settings in one round trip */
  const struct db_statement *stmts[] = {&BEGIN_TX, &SET_ACTOR};
  const char *const *params[] = {NULL, values};
  PGresult *results[2];
  ips_status st = db_exec_pipeline(conn, stmts, params, 2, results);
  PQclear(results[0]);
  PQclear(results[1]);
  /* nothing has been written yet: a connection broken while idle (after a
   * database restart) is replaced and the start tried once more */
  if (st == IPS_UNAVAILABLE && db_reconnect(conn) == IPS_OK) {
    st = db_exec_pipeline(conn, stmts, params, 2, results);
    PQclear(results[0]);
    PQclear(results[1]);
  }
  if (st != IPS_OK) tx_rollback(conn);
  return st;
}

ips_status tx_exec_commit(struct db_conn *conn, const struct db_statement *stmt, const char *const *values,
                          PGresult **out) {
  const struct db_statement *stmts[] = {stmt, &COMMIT_TX};
  const char *const *params[] = {values, NULL};
  PGresult *results[2];
  ips_status st = db_exec_pipeline(conn, stmts, params, 2, results);
  *out = results[0];
  PQclear(results[1]);
  if (st != IPS_OK) tx_rollback(conn);
  return st;
}

ips_status tx_commit(struct db_conn *conn) {
  PGresult *res = NULL;
  ips_status st = db_exec(conn, &COMMIT_TX, NULL, &res);
  PQclear(res);
  if (st != IPS_OK) tx_rollback(conn);
  return st;
}

void tx_rollback(struct db_conn *conn) {
  PGconn *pg = db_pgconn(conn);
  if (pg == NULL || PQtransactionStatus(pg) == PQTRANS_IDLE) return;
  PGresult *res = NULL;
  db_exec(conn, &ROLLBACK_TX, NULL, &res);
  PQclear(res);
}
