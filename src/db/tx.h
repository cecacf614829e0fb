/*
 * One transaction per writing request. tx_begin checks a connection out for
 * the request, opens the transaction and sets the actor, partner, role and
 * request id for the triggers that write the audit log (set_config(...,
 * true): they end with the transaction).
 */
#ifndef IPS_DB_TX_H
#define IPS_DB_TX_H

#include "db/pool.h"
#include "http/request.h"
#include "ips.h"

ips_status tx_begin(struct ips_request *req, struct db_conn **out);
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
