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
/* Rolls back if a transaction is open; never fails. */
void tx_rollback(struct db_conn *conn);

#endif
