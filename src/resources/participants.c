/* Attendance of deliveries: who took part, and whether they attended. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/tx.h"
#include "domain/ids.h"
#include "http/body.h"
#include "http/problem.h"
#include "http/response.h"
#include "resource/list.h"
#include "resources/deliveries.h"

#define PARTICIPANT_JSON                                                                        \
  "json_build_object('beneficiary_id', p.beneficiary_id, 'attended', p.attended,"               \
  " 'first_name', b.first_name, 'last_name', b.last_name, 'partner', b.partner)::text"

static const struct db_statement DELIVERY_OWNER = {
  "participants_delivery_owner",
  "SELECT partner FROM deliveries WHERE id = $1::uuid AND deleted_at IS NULL", 1, false};

/* $1 delivery, $2 cursor beneficiary id, $3 limit + 1 */
static const struct db_statement LIST = {
  "participants_list",
  "SELECT p.beneficiary_id::text AS sort_key, " PARTICIPANT_JSON " AS body"
  " FROM participants p JOIN beneficiaries b ON b.id = p.beneficiary_id"
  " WHERE p.delivery_id = $1::uuid AND p.deleted_at IS NULL"
  " AND ($2::uuid IS NULL OR p.beneficiary_id > $2::uuid) ORDER BY p.beneficiary_id LIMIT $3::integer",
  3, false};

/*
 * Attendance PUT in a transaction of up to three statements, so that
 * concurrent PUTs of the same new pair answer one 201 and 200s. One
 * statement cannot tell: all of it reads one snapshot, and a row another
 * transaction inserted after that snapshot is invisible to it even once
 * ON CONFLICT has waited for that insert (that is how every concurrent PUT
 * of a new pair used to answer 201).
 *
 * ADD: $1 delivery, $2 beneficiary, $3 partner, $4 attended. Whether the
 * beneficiary may attend (live, not erased), and whether this statement
 * added the row; a row already there (or being added by another
 * transaction, which ON CONFLICT waits for) is left alone.
 */
static const struct db_statement ADD = {
  "participants_add",
  "WITH who AS (SELECT deleted_at IS NULL AND NOT erased AS ok FROM beneficiaries WHERE id = $2::uuid),"
  " added AS (INSERT INTO participants (delivery_id, beneficiary_id, partner, attended)"
  "           SELECT $1::uuid, $2::uuid, $3, $4::boolean WHERE (SELECT ok FROM who)"
  "           ON CONFLICT (delivery_id, beneficiary_id) DO NOTHING RETURNING 1)"
  " SELECT coalesce((SELECT ok FROM who), false), EXISTS (SELECT 1 FROM added)",
  4, true};

/* The row ADD found, locked to the end of the transaction, as committed
 * now (a new statement, a new snapshot): live?, attended as asked? */
static const struct db_statement CURRENT = {
  "participants_current",
  "SELECT deleted_at IS NULL, attended = $3::boolean FROM participants"
  " WHERE delivery_id = $1::uuid AND beneficiary_id = $2::uuid FOR UPDATE",
  3, true};

/* The locked row, changed or taken back onto the delivery. */
static const struct db_statement MARK = {
  "participants_mark",
  "UPDATE participants SET attended = $3::boolean, deleted_at = NULL, version = version + 1, updated_at = now()"
  " WHERE delivery_id = $1::uuid AND beneficiary_id = $2::uuid",
  3, true};

static const struct db_statement REMOVE = {
  "participants_remove",
  "UPDATE participants SET deleted_at = now(), version = version + 1, updated_at = now()"
  " WHERE delivery_id = $1::uuid AND beneficiary_id = $2::uuid AND deleted_at IS NULL RETURNING 1", 2, true};

static const struct db_statement ONE = {
  "participants_one",
  "SELECT " PARTICIPANT_JSON " FROM participants p JOIN beneficiaries b ON b.id = p.beneficiary_id"
  " WHERE p.delivery_id = $1::uuid AND p.beneficiary_id = $2::uuid", 2, false};

static const char *const LIST_PARAMS[] = {"limit", "cursor", NULL};
static const struct list_sort SORTS[] = {{"beneficiary_id", 1}, {NULL, 0}};

/*
 * The delivery of the path, checked: 404 when it does not exist, 403 when
 * the caller may not do the route's action to its attendance. Writes its
 * partner into owner (33 bytes). Returns false when it answered.
 */
static bool delivery_allows(struct ips_request *req, struct db_conn *conn, const char *delivery, char *owner) {
  PGresult *res = NULL;
  const char *values[] = {delivery};
  ips_status st = db_exec(conn, &DELIVERY_OWNER, values, &res);
  bool ok = false;
  if (st != IPS_OK) problem_from_status(req, st);
  else if (PQntuples(res) == 0) problem_send_kind(req, PROBLEM_NOT_FOUND, "no such delivery");
  else {
    snprintf(owner, 33, "%s", PQgetvalue(res, 0, 0));
    ok = request_may(req, owner);
  }
  PQclear(res);
  return ok;
}

/* The path's ids when both are UUIDs; otherwise sends 404. */
static bool path_ids(struct ips_request *req, const char **delivery, const char **beneficiary) {
  *delivery = request_param(req, "id");
  if (beneficiary) *beneficiary = request_param(req, "beneficiary_id");
  if (*delivery == NULL || !ids_uuid_valid(*delivery) ||
      (beneficiary && (*beneficiary == NULL || !ids_uuid_valid(*beneficiary)))) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such delivery or participant");
    return false;
  }
  return true;
}

void participants_list(struct ips_request *req) {
  struct db_conn *conn;
  PGresult *res = NULL;
  struct list_params lp;
  char owner[33];
  const char *delivery;
  const char *unknown = query_unknown_key(&req->query, LIST_PARAMS);
  if (unknown) {
    problem_bad_parameter(req, unknown, "unknown_parameter", "is not a parameter of this list");
    return;
  }
  if (!list_params_parse(req, SORTS, "beneficiary_id", &lp)) return;
  if (lp.after[0] && !ids_uuid_valid(lp.after[0])) {
    problem_bad_parameter(req, "cursor", "invalid", "is not a cursor of this list");
    goto out;
  }
  if (!path_ids(req, &delivery, NULL)) goto out;
  ips_status st = request_db(req, &conn);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  if (!delivery_allows(req, conn, delivery, owner)) goto out;
  char limit[24];
  list_fetch_limit(&lp, limit);
  const char *values[] = {delivery, lp.after[0], limit};
  st = db_exec(conn, &LIST, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  static const int keys[] = {0};
  list_respond(req, &lp, res, 1, keys);
out:
  PQclear(res);
  list_params_free(&lp);
}

static void respond_participant(struct ips_request *req, struct db_conn *conn, const char *delivery,
                                const char *beneficiary, long status) {
  PGresult *res = NULL;
  const char *values[] = {delivery, beneficiary};
  ips_status st = db_exec(conn, &ONE, values, &res);
  if (st == IPS_OK && PQntuples(res) == 1)
    respond_copy(req, status, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
  else
    problem_from_status(req, st == IPS_OK ? IPS_ERROR : st);
  PQclear(res);
}

/*
 * The beneficiary is on the delivery already (ADD found its row): locks the
 * row, writes it only when it was taken off or attended changes (no new
 * version, audit or change for a PUT that changes nothing) and commits.
 * Sets *was_live. On failure the transaction is rolled back.
 */
static ips_status participant_mark(struct db_conn *conn, const char *const *values, bool *was_live) {
  PGresult *res = NULL;
  ips_status st = db_exec(conn, &CURRENT, values, &res);
  if (st == IPS_OK && PQntuples(res) != 1) st = IPS_ERROR; /* rows are never removed */
  if (st != IPS_OK) goto out;
  *was_live = PQgetvalue(res, 0, 0)[0] == 't';
  bool unchanged = *was_live && PQgetvalue(res, 0, 1)[0] == 't';
  PQclear(res);
  res = NULL;
  st = unchanged ? tx_commit(conn) : tx_exec_commit(conn, &MARK, values, &res);
out:
  if (st != IPS_OK) tx_rollback(conn);
  PQclear(res);
  return st;
}

void participants_put(struct ips_request *req) {
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  char owner[33];
  const char *delivery, *beneficiary, *attended;
  if (!request_no_query(req)) return;
  if (!path_ids(req, &delivery, &beneficiary)) return;
  ips_status st = request_db(req, &conn);
  if (st != IPS_OK) goto fail;
  if (!delivery_allows(req, conn, delivery, owner)) return;
  if (!body_single_bool(req, "attended", &attended)) return;
  st = request_tx_begin(req, &conn);
  if (st != IPS_OK) goto fail;
  const char *add[] = {delivery, beneficiary, owner, attended};
  st = db_exec(conn, &ADD, add, &res);
  if (st != IPS_OK) goto fail;
  if (PQgetvalue(res, 0, 0)[0] != 't') {
    tx_rollback(conn);
    json_t *errors = json_array();
    body_error(errors, "beneficiary_id", "invalid", "names no beneficiary, or a deleted or erased one");
    problem_send_kind_errors(req, PROBLEM_INVALID_FIELDS, "this beneficiary cannot attend", errors);
    goto out;
  }
  bool added = PQgetvalue(res, 0, 1)[0] == 't';
  bool was_live = false;
  const char *mark[] = {delivery, beneficiary, attended};
  st = added ? tx_commit(conn) : participant_mark(conn, mark, &was_live);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  /* 201 when the beneficiary was not on the delivery (new, or taken off
   * before), 200 when it was */
  respond_participant(req, conn, delivery, beneficiary, was_live ? 200 : 201);
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  PQclear(res);
}

void participants_delete(struct ips_request *req) {
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  char owner[33];
  const char *delivery, *beneficiary;
  if (!request_no_query(req)) return;
  if (!path_ids(req, &delivery, &beneficiary)) return;
  ips_status st = request_db(req, &conn);
  if (st != IPS_OK) goto fail;
  if (!delivery_allows(req, conn, delivery, owner)) return;
  const char *key[] = {delivery, beneficiary};
  st = request_tx_begin(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &REMOVE, key, &res);
  if (st != IPS_OK) goto fail;
  if (PQntuples(res) == 0) {
    tx_rollback(conn);
    problem_send_kind(req, PROBLEM_NOT_FOUND, "the beneficiary is not on this delivery");
    goto out;
  }
  st = tx_commit(conn);
  if (st != IPS_OK) goto fail;
  respond_empty(req, 204);
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  PQclear(res);
}
