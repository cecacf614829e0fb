#include "resources/gminas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "db/pool.h"
#include "db/tx.h"
#include "http/body.h"
#include "domain/ids.h"
#include "http/preconditions.h"
#include "http/problem.h"
#include "http/response.h"
#include "resource/list.h"

#define GMINA_JSON                                                                 \
  "json_build_object('teryt', teryt, 'name', name, 'powiat', powiat, 'kind', kind," \
  " 'high_poverty', high_poverty, 'version', version)::text"

#define GMINA_FILTERS                                \
  " FROM gminas WHERE ($1::text IS NULL OR powiat = $1)" \
  " AND ($2::text IS NULL OR name ILIKE $2)"

/* $3/$4: the cursor keys; $5: limit + 1. One statement per sort order keeps
 * each one a plain keyset scan. */
static const struct db_statement LIST_BY_TERYT = {
  "gminas_list_teryt",
  "SELECT teryt, " GMINA_JSON GMINA_FILTERS
  " AND ($3::text IS NULL OR teryt > $3) AND $4::text IS NULL ORDER BY teryt LIMIT $5", 5, false};
static const struct db_statement LIST_BY_TERYT_DESC = {
  "gminas_list_teryt_desc",
  "SELECT teryt, " GMINA_JSON GMINA_FILTERS
  " AND ($3::text IS NULL OR teryt < $3) AND $4::text IS NULL ORDER BY teryt DESC LIMIT $5", 5, false};
static const struct db_statement LIST_BY_NAME = {
  "gminas_list_name",
  "SELECT name, teryt, " GMINA_JSON GMINA_FILTERS
  " AND ($3::text IS NULL OR (name, teryt) > ($3, $4)) ORDER BY name, teryt LIMIT $5", 5, false};
static const struct db_statement LIST_BY_NAME_DESC = {
  "gminas_list_name_desc",
  "SELECT name, teryt, " GMINA_JSON GMINA_FILTERS
  " AND ($3::text IS NULL OR (name, teryt) < ($3, $4)) ORDER BY name DESC, teryt DESC LIMIT $5", 5, false};

static const struct db_statement GET_ONE = {
  "gminas_get",
  "SELECT " GMINA_JSON ", version FROM gminas WHERE teryt = $1", 1, false};

static const struct db_statement CURRENT_VERSION = {
  "gminas_current_version", "SELECT version FROM gminas WHERE teryt = $1", 1, false};

/* $1 teryt, $2 high_poverty, $3 the version the caller read */
static const struct db_statement SET_HIGH_POVERTY = {
  "gminas_set_high_poverty",
  "UPDATE gminas SET high_poverty = $2::boolean, version = version + 1, updated_at = now()"
  " WHERE teryt = $1 AND version = $3::integer RETURNING version, " GMINA_JSON, 3, true};

static const struct list_sort SORTS[] = {{"teryt", 1}, {"name", 2}, {NULL, 0}};
static const char *const LIST_PARAMS[] = {"powiat", "q", "sort", "limit", "cursor", NULL};

static bool powiat_valid(const char *s) {
  if (strlen(s) != 4) return false;
  for (const char *c = s; *c; c++)
    if (*c < '0' || *c > '9') return false;
  return true;
}

/* Checks powiat and q; on a bad one sends the 400 and returns false. */
static bool filters_valid(struct ips_request *req, const char *powiat, const char *q) {
  if (powiat && !powiat_valid(powiat)) {
    problem_bad_parameter(req, "powiat", "invalid", "must be a 4-digit TERYT powiat code");
    return false;
  }
  if (q && (*q == '\0' || utf8_length(q) > 100)) {
    problem_bad_parameter(req, "q", *q ? "too_long" : "invalid",
                          "must be 1 to 100 characters");
    return false;
  }
  return true;
}

void gminas_list(struct ips_request *req) {
  struct list_params p;
  struct db_conn *conn;
  PGresult *res = NULL;
  char *pattern = NULL;
  const char *unknown = query_unknown_key(&req->query, LIST_PARAMS);
  if (unknown) {
    problem_bad_parameter(req, unknown, "unknown_parameter", "is not a parameter of this list");
    return;
  }
  if (!list_params_parse(req, SORTS, "teryt", &p)) return;
  const char *powiat = query_get(&req->query, "powiat");
  const char *q = query_get(&req->query, "q");
  if (!filters_valid(req, powiat, q)) goto out;
  if (q && (pattern = list_like_pattern(q)) == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    goto out;
  }
  bool by_name = strcmp(p.sort->name, "name") == 0;
  const struct db_statement *stmt = by_name ? (p.descending ? &LIST_BY_NAME_DESC : &LIST_BY_NAME)
                                            : (p.descending ? &LIST_BY_TERYT_DESC : &LIST_BY_TERYT);
  char limit[24];
  list_fetch_limit(&p, limit);
  const char *values[] = {powiat, pattern, p.after[0], p.after[1], limit};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, stmt, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  static const int teryt_keys[] = {0}, name_keys[] = {0, 1};
  list_respond(req, &p, res, by_name ? 2 : 1, by_name ? name_keys : teryt_keys);
out:
  PQclear(res);
  free(pattern);
  list_params_free(&p);
}

void gminas_get(struct ips_request *req) {
  struct db_conn *conn;
  PGresult *res = NULL;
  const char *teryt = request_param(req, "teryt");
  if (!request_no_query(req)) return;
  if (teryt == NULL || !ids_teryt_gmina_wellformed(teryt)) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no gmina with this TERYT code");
    return;
  }
  const char *values[] = {ids_teryt_gmina_current(teryt)};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &GET_ONE, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  if (PQntuples(res) == 0) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no gmina with this TERYT code");
    goto out;
  }
  if (precondition_not_modified(req, atoll(PQgetvalue(res, 0, 1)))) goto out;
  respond_copy(req, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
out:
  PQclear(res);
}

/* The path's TERYT code in its current form; sends 404 when malformed. */
static const char *path_teryt(struct ips_request *req) {
  const char *teryt = request_param(req, "teryt");
  if (teryt == NULL || !ids_teryt_gmina_wellformed(teryt)) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no gmina with this TERYT code");
    return NULL;
  }
  return ids_teryt_gmina_current(teryt);
}

void gminas_patch(struct ips_request *req) {
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  const char *high_poverty;
  if (!request_no_query(req)) return;
  const char *teryt = path_teryt(req);
  if (teryt == NULL) return;
  const char *key[] = {teryt};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &CURRENT_VERSION, key, &res);
  if (st != IPS_OK) goto fail;
  if (PQntuples(res) == 0) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no gmina with this TERYT code");
    goto out;
  }
  long long version = atoll(PQgetvalue(res, 0, 0));
  PQclear(res);
  res = NULL;
  if (!request_may(req, NULL)) goto out;
  if (!precondition_if_match(req, version)) goto out;
  if (!body_single_bool(req, "high_poverty", &high_poverty)) goto out;
  char version_text[24];
  snprintf(version_text, sizeof version_text, "%lld", version);
  const char *values[] = {teryt, high_poverty, version_text};
  st = request_tx_begin(req, &conn);
  /* the update and COMMIT in one round trip; no row means nothing changed */
  if (st == IPS_OK) st = tx_exec_commit(conn, &SET_HIGH_POVERTY, values, &res);
  if (st == IPS_OK && PQntuples(res) == 0) {
    /* changed between our read and this update: tell its version now */
    PQclear(res);
    res = NULL;
    st = db_exec(conn, &CURRENT_VERSION, key, &res);
    if (st != IPS_OK) goto fail;
    precondition_failed(req, PQntuples(res) ? atoll(PQgetvalue(res, 0, 0)) : 0);
    goto out;
  }
  if (st != IPS_OK) goto fail;
  respond_json_etag(req, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1),
                    atoll(PQgetvalue(res, 0, 0)));
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  PQclear(res);
}
