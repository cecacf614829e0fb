/*
 * One transaction per writing request. tx_begin opens the transaction on a
 * checked-out connection and sets the actor, partner, role and request id
 * for the triggers that write the audit log (set_config(..., true): they end
 * with the transaction). Knows nothing of HTTP: the request layer passes the
 * actor (request_tx_begin).
 */
#ifndef IPS_DB_TX_H
#define IPS_DB_TX_H

#include "db/pool.h"
#include "ips.h"

/* Who writes: every member borrowed, NULL for none (an unauthenticated
 * sign-in); request_id is required. */
struct tx_actor {
  const char *sub;
  const char *partner;
  const char *role;
  const char *request_id;
};

ips_status tx_begin(struct db_conn *conn, const struct tx_actor *actor);
/* Commits; IPS_CONFLICT for a deferred unique violation, IPS_UNAVAILABLE when
 * the connection broke (the outcome is then unknown). */
ips_status tx_commit(struct db_conn *conn);
/* Runs the transaction's last statement and COMMIT in one round trip (a
 * pipeline); *out is the statement's result (PQclear it). On failure the
 * transaction is rolled back and the status says why, as db_exec does. */
ips_status tx_exec_commit(struct db_conn *conn, const struct db_statement *stmt, const char *const *values,
                          PGresult **out);

/* Rolls back if a transaction is open; never fails. */
void tx_rollback(struct db_conn *conn);

#endif
