#include "resources/audit.h"

#include <string.h>

#include "db/pool.h"
#include "domain/ids.h"
#include "http/problem.h"
#include "http/query.h"
#include "resource/list.h"

/* $1 resource, $2 resource_id, $3 actor, $4 action, $5 from, $6 to, $7 cursor id, $8 limit + 1 */
static const struct db_statement LIST = {
  "audit_list",
  "SELECT id::text AS sort_id, json_build_object('id', id, 'at', at, 'actor', actor, 'partner', partner,"
  " 'role', role, 'action', action, 'resource', resource, 'resource_id', resource_id,"
  " 'request_id', request_id, 'fields', fields)::text AS body"
  " FROM audit_log WHERE ($1::text IS NULL OR resource = $1) AND ($2::text IS NULL OR resource_id = $2)"
  " AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4)"
  " AND ($5::text IS NULL OR at >= ips_period_start($5)) AND ($6::text IS NULL OR at < ips_period_end($6))"
  " AND ($7::bigint IS NULL OR id < $7::bigint) ORDER BY id DESC LIMIT $8::integer",
  8, false};

static const char *const PARAMS[] = {"resource", "resource_id", "actor", "action", "from", "to",
                                     "limit", "cursor", NULL};
static const struct list_sort SORTS[] = {{"id", 1}, {NULL, 0}};

static bool digits(const char *s) {
  if (*s == '\0' || strlen(s) > 18) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

static bool period_valid(const char *v) {
  return ids_parse_date(v, NULL, NULL, NULL) || ids_timestamp_valid(v);
}

/* Checks the text filters; sends the 400 and returns false on a bad one. */
static bool filters_valid(struct ips_request *req) {
  static const char *const text[] = {"resource", "resource_id", "actor", "action", NULL};
  for (const char *const *t = text; *t; t++) {
    const char *v = query_get(&req->query, *t);
    if (v && (*v == '\0' || utf8_length(v) > 200)) {
      problem_bad_parameter(req, *t, "invalid", "must be 1 to 200 characters");
      return false;
    }
  }
  static const char *const periods[] = {"from", "to", NULL};
  for (const char *const *t = periods; *t; t++) {
    const char *v = query_get(&req->query, *t);
    if (v && !period_valid(v)) {
      problem_bad_parameter(req, *t, "invalid", "must be a date YYYY-MM-DD or an RFC 3339 timestamp");
      return false;
    }
  }
  return true;
}

void audit_list(struct ips_request *req) {
  struct list_params p;
  struct db_conn *conn;
  PGresult *res = NULL;
  const char *unknown = query_unknown_key(&req->query, PARAMS);
  if (unknown) {
    problem_bad_parameter(req, unknown, "unknown_parameter", "is not a parameter of this list");
    return;
  }
  if (!list_params_parse(req, SORTS, "-id", &p)) return;
  if (!filters_valid(req)) goto out;
  if (p.after[0] && !digits(p.after[0])) {
    problem_bad_parameter(req, "cursor", "invalid", "is not a cursor of this list");
    goto out;
  }
  if (!request_may(req, NULL)) goto out;
  char limit[24];
  list_fetch_limit(&p, limit);
  const char *values[] = {query_get(&req->query, "resource"), query_get(&req->query, "resource_id"),
                          query_get(&req->query, "actor"), query_get(&req->query, "action"),
                          query_get(&req->query, "from"), query_get(&req->query, "to"), p.after[0], limit};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &LIST, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    goto out;
  }
  static const int keys[] = {0};
  list_respond(req, &p, res, 1, keys);
out:
  PQclear(res);
  list_params_free(&p);
}
