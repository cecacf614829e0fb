/* The engine's route handlers: list, read, create and update over a descriptor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "app.h"
#include "db/tx.h"
#include "domain/ids.h"
#include "http/body.h"
#include "http/preconditions.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/response.h"
#include "resource/engine_sql.h"
#include "resource/read_batch.h"
#include "resource/idempotency.h"
#include "resource/resource.h"
#include "resource/values.h"

static const struct db_statement PARTNER_EXISTS = {
  "engine_partner_exists", "SELECT EXISTS (SELECT 1 FROM project_partners WHERE code = $1)", 1, false};

static const struct resource *resource_of(const struct ips_request *req) {
  return req->route->resource;
}

/* The entry of table (ending with {NULL}) for constraint, borrowed; NULL
 * when it has none. */
static const struct constraint_field *constraint_entry(const struct constraint_field *table,
                                                       const char *constraint) {
  for (const struct constraint_field *c = table; c && c->constraint && constraint; c++)
    if (strcmp(c->constraint, constraint) == 0) return c;
  return NULL;
}

/* Answers a write's failure: 409 naming the field of a unique index or of a
 * record still in use, 422 naming the field of a foreign key or check. */
static void write_failed(struct ips_request *req, const struct resource *r, ips_status st, PGresult *res) {
  const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
  const struct constraint_field *c = constraint_entry(r->constraints, constraint);
  const struct constraint_field *used = constraint_entry(r->in_use, constraint);
  if (st == IPS_INVALID && used) {
    json_t *errors = json_array();
    body_error(errors, used->field, used->code, used->message);
    problem_send_kind_errors(req, PROBLEM_RECORD_IN_USE, "the record is in use and cannot be changed this way", errors);
  } else if (st == IPS_CONFLICT) {
    json_t *errors = json_array();
    body_error(errors, c ? c->field : "id", "conflict", "is already used by another record");
    problem_send_kind_errors(req, PROBLEM_ALREADY_EXISTS, "a record with this value already exists", errors);
  } else if (st == IPS_INVALID && c) {
    json_t *errors = json_array();
    body_error(errors, c->field, c->code ? c->code : "invalid", c->message ? c->message : "is not valid");
    problem_send_kind_errors(req, PROBLEM_INVALID_FIELDS, "the request has invalid fields", errors);
  } else {
    if (st == IPS_INVALID)
      y_log_message(Y_LOG_LEVEL_ERROR, "resource %s: constraint %s has no field", r->name,
                    constraint ? constraint : "?");
    problem_from_status(req, st == IPS_INVALID ? IPS_ERROR : st);
  }
}

/* IPS_OK when code names a project partner; IPS_INVALID when not. */
ips_status engine_partner_exists(struct db_conn *conn, const char *code) {
  PGresult *res = NULL;
  const char *values[] = {code};
  ips_status st = db_exec(conn, &PARTNER_EXISTS, values, &res);
  if (st == IPS_OK && PQgetvalue(res, 0, 0)[0] != 't') st = IPS_INVALID;
  PQclear(res);
  return st;
}

/* ---- list ---- */

static bool list_allowed_param(const struct resource *r, const char *key) {
  static const char *const common[] = {"limit", "cursor", "sort", "updated_since", NULL};
  for (const char *const *c = common; *c; c++)
    if (strcmp(*c, key) == 0) return true;
  if (strcmp(key, "partner") == 0 && r->owned) return true;
  if (strcmp(key, "q") == 0) {
    for (size_t i = 0; i < r->nfields; i++)
      if (r->fields[i].flags & FIELD_SEARCH) return true;
    return false;
  }
  for (const struct custom_filter *c = r->filters; c && c->name; c++)
    if (strcmp(c->name, key) == 0) return true;
  const struct field *f = resource_field(r, key);
  return f && (f->flags & FIELD_FILTER);
}

/* A partner filter (the owner, or a FIELD_PARTNER field) naming no project
 * partner: IPS_INVALID with its name in *bad. */
static ips_status unknown_partner_filter(struct db_conn *conn, struct ips_request *req, const struct resource *r,
                                         const char **bad) {
  ips_status st = IPS_OK;
  const char *v = r->owned ? query_get(&req->query, "partner") : NULL;
  if (v && (st = engine_partner_exists(conn, v)) == IPS_INVALID) *bad = "partner";
  for (size_t i = 0; i < r->nfields && st == IPS_OK; i++) {
    const struct field *f = &r->fields[i];
    if (!(f->flags & FIELD_PARTNER) || (v = query_get(&req->query, f->name)) == NULL) continue;
    if ((st = engine_partner_exists(conn, v)) == IPS_INVALID) *bad = f->name;
  }
  return st;
}

void resource_list(struct ips_request *req) {
  const struct resource *r = resource_of(req);
  const struct resource_sql *s = r->sql;
  struct list_params p;
  struct query_values qv;
  struct db_conn *conn;
  PGresult *res = NULL;
  for (size_t i = 0; i < req->query.n; i++) {
    if (!list_allowed_param(r, req->query.keys[i])) {
      problem_bad_parameter(req, req->query.keys[i], "unknown_parameter", "is not a parameter of this list");
      return;
    }
  }
  if (!list_params_parse(req, s->sorts, "-created_at", &p)) return;
  query_values_init(&qv);
  if (!list_filter_values(req, r, &p, &qv)) goto out;
  if (!request_may(req, NULL)) goto out;
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) {
    const char *bad = NULL;
    st = unknown_partner_filter(conn, req, r, &bad);
    if (st == IPS_INVALID) {
      problem_bad_parameter(req, bad, "invalid", "is not a project partner");
      goto out;
    }
  }
  size_t sort = (size_t)(p.sort - s->sorts);
  if (st == IPS_OK) st = db_exec(conn, &s->list[sort][p.descending], (const char *const *)qv.values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  static const int keys[] = {0, 1};
  list_respond(req, &p, res, 2, keys);
out:
  PQclear(res);
  query_values_free(&qv);
  list_params_free(&p);
}

/* ---- read ---- */

/* The owner partner in column col of row, borrowed. A record without one
 * (users, services) is asked about as "" so that the check is still about
 * one record: SCOPE_OWN never matches it. */
static const char *record_owner(const PGresult *res, int row, int col) {
  return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

/* The {id} of the path when it is a UUID; otherwise sends 404. */
static const char *path_id(struct ips_request *req) {
  const char *id = request_param(req, "id");
  if (id == NULL || !ids_uuid_valid(id)) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such record");
    return NULL;
  }
  return id;
}

void resource_get(struct ips_request *req) {
  const struct resource *r = resource_of(req);
  if (!request_no_query(req)) return;
  const char *id = path_id(req);
  if (id == NULL) return;
  struct read_result read;
  ips_status st = read_batch_get(r->sql->reads, req, id, pii_scope(req), &read);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    return;
  }
  metrics_read_by_id(req->app->metrics, read.shared);
  const PGresult *res = read.res;
  int row = read.row;
  if (row < 0) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such record");
    goto out;
  }
  int c = read.col; /* version, partner, json */
  if (!request_may(req, record_owner(res, row, c + 1))) goto out;
  if (precondition_not_modified(req, atoll(PQgetvalue(res, row, c)))) goto out;
  respond_copy(req, 200, "application/json", PQgetvalue(res, row, c + 2), (size_t)PQgetlength(res, row, c + 2));
out:
  read_result_release(&read);
}

/*
 * The resource's own say on a write (its authorize hook), once the policy
 * row allows the action: for a create (current NULL) the body as given, for
 * an update the stored record with the body merged in, for a delete nothing.
 * True when it allows the write; otherwise the 403 is sent.
 */
static bool hook_authorizes(struct ips_request *req, const struct resource *r, policy_action action,
                            const PGresult *current) {
  if (r->hooks.authorize == NULL) return true;
  if (action != ACTION_CREATE && action != ACTION_UPDATE && action != ACTION_DELETE) return true;
  json_t *stored = current ? json_loads(PQgetvalue(current, 0, 2), 0, NULL) : NULL;
  json_t *next = NULL;
  bool ok = false;
  if (current && stored == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "could not read the record");
    goto out;
  }
  if (action == ACTION_CREATE) next = json_incref(req->body);
  else if (action == ACTION_UPDATE) next = json_deep_copy(stored);
  if (action == ACTION_UPDATE) merge_patch_apply(next, req->body); /* not an object: 400 later */
  const char *why = "your role may not do this to this record";
  ok = r->hooks.authorize(req, stored, next, &why);
  if (!ok) problem_send_kind(req, PROBLEM_FORBIDDEN, why);
out:
  json_decref(stored);
  json_decref(next);
  return ok;
}

/*
 * The steps before any write to an existing record, in DESIGN's order:
 * the record must exist (404), the caller may do the route's action to it
 * (403), and
 * If-Match names its version (428, 412). On success *current holds the
 * "current" row (version, owner, writable fields, frozen; PQclear it) and
 * true is returned; otherwise the answer is sent.
 */
bool resource_write_preconditions(struct ips_request *req, const struct resource *r, const char *id,
                                  PGresult **current) {
  struct db_conn *conn;
  const char *values[] = {id};
  *current = NULL;
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &r->sql->current, values, current);
  if (st != IPS_OK) {
    problem_from_status(req, st);
  } else if (PQntuples(*current) == 0) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such record");
  } else if (request_may(req, record_owner(*current, 0, 1)) &&
             hook_authorizes(req, r, req->route->action, *current) &&
             precondition_if_match(req, atoll(PQgetvalue(*current, 0, 0)))) {
    return true;
  }
  PQclear(*current);
  *current = NULL;
  return false;
}

/* ---- writes ---- */

/* The owner and every FIELD_PARTNER value must name a live project partner. */
static ips_status check_partners(struct db_conn *conn, const struct resource *r, const json_t *record,
                                 const char *owner, json_t *errors) {
  ips_status st = IPS_OK;
  if (r->owned && owner && (st = engine_partner_exists(conn, owner)) == IPS_INVALID) {
    body_error(errors, "partner", "invalid", "is not a project partner");
    st = IPS_OK;
  }
  for (size_t i = 0; i < r->nfields && st == IPS_OK; i++) {
    const struct field *f = &r->fields[i];
    const char *code = json_string_value(json_object_get(record, f->name));
    if (!(f->flags & FIELD_PARTNER) || code == NULL || !ids_code_slug_valid(code, 2, 32)) continue;
    if ((st = engine_partner_exists(conn, code)) == IPS_INVALID) {
      body_error(errors, f->name, "invalid", "is not a project partner");
      st = IPS_OK;
    }
  }
  return st;
}

/* After a conditional write matched no row: 404 when the record has gone
 * meanwhile (deleted), 412 when its version moved on. Rolls back. */
static void stale_or_gone(struct ips_request *req, const struct resource *r, struct db_conn *conn,
                          const char *id) {
  PGresult *res = NULL;
  const char *values[] = {id};
  tx_rollback(conn);
  ips_status st = db_exec(conn, &r->sql->exists, values, &res);
  if (st == IPS_OK && PQntuples(res) == 0) problem_send_kind(req, PROBLEM_NOT_FOUND, "no such record");
  else if (st == IPS_OK) precondition_failed(req, atoll(PQgetvalue(res, 0, 0)));
  else problem_from_status(req, st);
  PQclear(res);
}

/* After an update matched no row: when the record still has the version the
 * patch was made against, the patch changed nothing and the record is
 * answered as it stands (200, the same ETag); 404 when it has gone, 412 when
 * its version moved on. */
static void unchanged_stale_or_gone(struct ips_request *req, const struct resource *r, struct db_conn *conn,
                                    const char *id, long long version) {
  PGresult *res = NULL;
  const char *values[] = {id, pii_scope(req)};
  char etag[24];
  tx_rollback(conn);
  ips_status st = db_exec(conn, &r->sql->get, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
  } else if (PQntuples(res) == 0) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such record");
  } else if (atoll(PQgetvalue(res, 0, 0)) != version) {
    precondition_failed(req, atoll(PQgetvalue(res, 0, 0)));
  } else {
    etag_format(version, etag);
    respond_copy(req, 200, "application/json", PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2));
    respond_header(req, "ETag", etag);
  }
  PQclear(res);
}

struct written {
  char etag[24];
  char location[160];
};

static void written_of(const struct resource *r, PGresult *res, struct written *w) {
  etag_format(atoll(PQgetvalue(res, 0, 1)), w->etag);
  snprintf(w->location, sizeof w->location, "/v1/%s/%s", r->name, PQgetvalue(res, 0, 0));
}

/* Sends the written record: 201 with Location on create, 200 on update. */
static void respond_written(struct ips_request *req, PGresult *res, const struct written *w, bool created) {
  respond_copy(req, created ? 201 : 200, "application/json", PQgetvalue(res, 0, 2),
               (size_t)PQgetlength(res, 0, 2));
  respond_header(req, "ETag", w->etag);
  if (created) respond_header(req, "Location", w->location);
}

/* The owner of a record being written: only admin may name one. Adds a
 * read_only error for anyone else; returns the owner (borrowed). */
static const char *owner_of(struct ips_request *req, const json_t *body, const char *current,
                            json_t *errors) {
  json_t *given = json_object_get(body, "partner");
  if (given == NULL) return current ? current : req->principal.partner;
  if (!policy_may_set_owner(req->principal.role_id)) {
    body_error(errors, "partner", "read_only", "only an admin may set the owner partner");
    return NULL;
  }
  if (!json_is_string(given) || !ids_code_slug_valid(json_string_value(given), 2, 32)) {
    body_error(errors, "partner", "invalid", "must be a project partner code");
    return NULL;
  }
  return json_string_value(given);
}

/*
 * The common tail of create and update: transforms write-only values, runs
 * the resource's check hook and the statement in one transaction, answers.
 */
static void write_record(struct ips_request *req, const struct resource *r, const json_t *current,
                         const json_t *record, const char *owner, const char *id, long long version,
                         const struct idempotency *key, json_t *errors) {
  struct write_values wv;
  struct written w;
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  bool creating = id == NULL;
  /* with field errors already, the database checks still run, so that the
   * 422 lists every problem at once; nothing is transformed or written */
  bool valid = json_array_size(errors) == 0;
  memset(&wv, 0, sizeof wv);
  if (valid && !write_values_build(r, record, owner, id, version, req, &wv)) {
    write_values_free(&wv);
    json_decref(errors);
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "could not prepare the record");
    return;
  }
  ips_status st = request_tx_begin(req, &conn);
  if (st == IPS_OK && valid && key && key->active) {
    enum idempotency_claim claim = idempotency_claim(req, conn, key, &st);
    if (claim == IDEMPOTENCY_ANSWERED) goto out;
  }
  if (st == IPS_OK) st = check_partners(conn, r, record, owner, errors);
  if (st == IPS_OK && r->hooks.check) st = r->hooks.check(req, conn, record, errors);
  if (st == IPS_OK && json_array_size(errors) > 0) {
    tx_rollback(conn);
    problem_send_kind_errors(req, PROBLEM_INVALID_FIELDS, "the request has invalid fields", errors);
    errors = NULL;
    goto out;
  }
  if (st == IPS_OK && !creating && r->hooks.check_update) {
    st = r->hooks.check_update(req, conn, current, record, errors);
    if (st == IPS_CONFLICT) {
      tx_rollback(conn);
      problem_send_kind_errors(req, PROBLEM_RECORD_IN_USE, "the record is in use and cannot be changed this way", errors);
      errors = NULL;
      goto out;
    }
  }
  const struct db_statement *write = creating ? &r->sql->insert : &r->sql->update;
  bool keyed = key && key->active;
  /* the write and COMMIT in one round trip, unless the response must be
   * stored with the Idempotency-Key first */
  if (st == IPS_OK && keyed) st = db_exec(conn, write, (const char *const *)wv.values, &res);
  else if (st == IPS_OK) st = tx_exec_commit(conn, write, (const char *const *)wv.values, &res);
  if (st == IPS_OK && PQntuples(res) == 0) {
    /* nothing written: the patch changed nothing, or the record was changed
     * or deleted between our read and this update */
    unchanged_stale_or_gone(req, r, conn, id, version);
    goto out;
  }
  if (st == IPS_OK) written_of(r, res, &w);
  if (st == IPS_OK && keyed) {
    st = idempotency_store(conn, key, 201, PQgetvalue(res, 0, 2), w.etag, w.location);
    if (st == IPS_OK) st = tx_commit(conn);
  }
  if (st != IPS_OK) {
    if (conn) tx_rollback(conn);
    write_failed(req, r, st, res);
    goto out;
  }
  respond_written(req, res, &w, creating);
out:
  json_decref(errors);
  PQclear(res);
  write_values_free(&wv);
}

void resource_create(struct ips_request *req) {
  const struct resource *r = resource_of(req);
  if (!request_no_query(req) || !request_may(req, NULL)) return;
  struct idempotency key;
  if (!idempotency_read(req, &key)) return;
  json_t *body = body_object(req);
  if (body == NULL || !hook_authorizes(req, r, ACTION_CREATE, NULL)) return;
  json_t *errors = json_array();
  resource_validate_mode(r, body, true, errors);
  const char *owner = r->owned ? owner_of(req, body, NULL, errors) : NULL;
  if (r->hooks.derive) r->hooks.derive(req, body, errors);
  write_record(req, r, NULL, body, owner, NULL, 0, &key, errors);
}

void resource_update(struct ips_request *req) {
  const struct resource *r = resource_of(req);
  PGresult *res = NULL;
  json_t *stored = NULL, *record = NULL;
  if (!request_no_query(req)) return;
  const char *id = path_id(req);
  if (id == NULL) return;
  if (!resource_write_preconditions(req, r, id, &res)) goto out;
  const char *current_owner = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
  long long version = atoll(PQgetvalue(res, 0, 0));
  if (PQgetvalue(res, 0, 3)[0] == 't') {
    problem_send_kind(req, PROBLEM_RECORD_ERASED, "this record can no longer be changed (it has been erased)");
    goto out;
  }
  json_t *patch = body_object(req);
  if (patch == NULL) goto out;
  stored = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
  record = json_deep_copy(stored);
  if (record == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "could not read the record");
    goto out;
  }
  json_t *errors = json_array();
  /* id, version and the timestamps are the server's; the rest merges in */
  json_t *clean = resource_without_meta(patch, errors);
  merge_patch_apply(record, clean);
  json_decref(clean);
  resource_validate_mode(r, record, false, errors);
  const char *owner = r->owned ? owner_of(req, patch, current_owner, errors) : NULL;
  if (r->hooks.derive) r->hooks.derive(req, record, errors);
  char owner_copy[40];
  snprintf(owner_copy, sizeof owner_copy, "%s", owner ? owner : "");
  PQclear(res);
  res = NULL;
  request_db_release(req); /* a password is hashed before the transaction */
  write_record(req, r, stored, record, owner ? owner_copy : NULL, id, version, NULL, errors);
out:
  json_decref(stored);
  json_decref(record);
  PQclear(res);
}

/* ---- delete ---- */

void resource_delete(struct ips_request *req) {
  const struct resource *r = resource_of(req);
  struct db_conn *conn;
  PGresult *res = NULL;
  if (!request_no_query(req)) return;
  const char *id = path_id(req);
  if (id == NULL) return;
  if (!resource_write_preconditions(req, r, id, &res)) goto out;
  long long version = atoll(PQgetvalue(res, 0, 0));
  PQclear(res);
  res = NULL;
  char version_text[24];
  snprintf(version_text, sizeof version_text, "%lld", version);
  const char *values[] = {id, version_text};
  ips_status st = request_tx_begin(req, &conn);
  const char *why = NULL;
  if (st == IPS_OK && r->hooks.before_delete) st = r->hooks.before_delete(conn, id, &why);
  if (st == IPS_CONFLICT) {
    tx_rollback(conn);
    problem_send_kind(req, PROBLEM_RECORD_IN_USE, why ? why : "this record is still in use");
    goto out;
  }
  if (st == IPS_OK) st = db_exec(conn, &r->sql->remove, values, &res);
  if (st == IPS_INVALID) {
    /* a trigger refused: the record is still in use (the hook's race lost) */
    tx_rollback(conn);
    problem_send_kind(req, PROBLEM_RECORD_IN_USE, "this record is still in use");
    goto out;
  }
  if (st == IPS_OK && PQntuples(res) == 0) {
    stale_or_gone(req, r, conn, id);
    goto out;
  }
  if (st == IPS_OK) st = tx_commit(conn);
  if (st != IPS_OK) goto fail;
  respond_empty(req, 204);
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  PQclear(res);
}
