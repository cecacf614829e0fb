#include "http/request.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "app.h"
#include "db/pool.h"
#include "db/tx.h"
#include "http/client_address.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/response.h"

const char *request_header(const struct ips_request *req, const char *name) {
  return u_map_get_case(req->u->map_header, name);
}

ips_status request_client_address(const struct ips_request *req, char *out) {
  const struct ips_config *cfg = req->app->cfg;
  struct ip_address client;
  out[0] = '\0';
  if (client_address_resolve(req->u->client_address, request_header(req, "X-Forwarded-For"),
                             cfg->trusted_proxies, cfg->n_trusted_proxies, &client) != IPS_OK)
    return IPS_INVALID;
  ip_address_format(&client, out);
  return IPS_OK;
}

const char *request_param(const struct ips_request *req, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < req->nparams; i++)
    if (req->param_name_lens[i] == len && memcmp(req->param_names[i], name, len) == 0)
      return req->param_values[i];
  return NULL;
}

static void too_large(struct ips_request *req, size_t max) {
  char detail[96];
  snprintf(detail, sizeof detail, "the request body exceeds %zu bytes", max);
  problem_send_kind(req, PROBLEM_BODY_TOO_LARGE, detail);
  /* the rest of an oversized upload is not worth reading */
  respond_header(req, "Connection", "close");
}

bool request_read_body(struct ips_request *req, size_t max) {
  const char *cl = request_header(req, "Content-Length");
  if (cl && *cl) {
    char *end;
    errno = 0;
    unsigned long long declared = strtoull(cl, &end, 10);
    if (*end != '\0' || (errno != 0 && errno != ERANGE) || cl[0] < '0' || cl[0] > '9') {
      problem_send_kind(req, PROBLEM_MALFORMED_REQUEST, "Content-Length is malformed: digits only");
      /* no body was read: what follows cannot be told from a request */
      respond_header(req, "Connection", "close");
      return false;
    }
    if (errno == ERANGE || declared > max) {
      too_large(req, max);
      return false;
    }
  }
  /* ulfius keeps at most max + 1 bytes of a body without a length (chunked) */
  if (req->u->binary_body_length > max) {
    too_large(req, max);
    return false;
  }
  if (req->u->binary_body_length == 0) return true;
  const char *body = req->u->binary_body;
  size_t len = req->u->binary_body_length;
  if (!content_type_is_json(request_header(req, "Content-Type"))) {
    problem_send_kind(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE, "the request body must be JSON (Content-Type: application/json)");
    return false;
  }
  if (!utf8_valid(body, len)) {
    problem_send_kind(req, PROBLEM_MALFORMED_BODY, "the request body is not valid UTF-8");
    return false;
  }
  if (json_nesting_depth(body, len, JSON_MAX_DEPTH) > JSON_MAX_DEPTH) {
    char detail[80];
    snprintf(detail, sizeof detail, "the JSON body is nested deeper than %d levels", JSON_MAX_DEPTH);
    problem_send_kind(req, PROBLEM_MALFORMED_BODY, detail);
    return false;
  }
  json_error_t err;
  req->body = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
  if (req->body == NULL) {
    char detail[256];
    snprintf(detail, sizeof detail, "malformed JSON at line %d, column %d: %s", err.line,
             err.column, err.text);
    problem_send_kind(req, PROBLEM_MALFORMED_BODY, detail);
    return false;
  }
  return true;
}

ips_status request_read_db(struct ips_request *req, struct db_conn **out) {
  struct db_pool *replica = req->app->replica;
  if (replica == NULL || (req->db && req->db_is_replica)) return request_db(req, out);
  /* an idle primary connection (the token check's) goes back first */
  if (req->db) request_db_release(req);
  if (db_checkout(replica, &req->db) == IPS_OK) {
    req->db_is_replica = true;
    metrics_replica_read(req->app->metrics, true);
    *out = req->db;
    return IPS_OK;
  }
  req->db = NULL;
  metrics_replica_read(req->app->metrics, false);
  return request_db(req, out);
}

ips_status request_db(struct ips_request *req, struct db_conn **out) {
  if (req->db && req->db_is_replica) {
    /* a read-write need after a lagging read: the primary from now on */
    request_db_release(req);
  }
  if (req->db == NULL) {
    ips_status st = db_checkout(req->app->pool, &req->db);
    if (st != IPS_OK) return st;
  }
  *out = req->db;
  return IPS_OK;
}

void request_db_release(struct ips_request *req) {
  db_checkin(req->db);
  req->db = NULL;
  req->db_is_replica = false;
}

bool request_may(struct ips_request *req, const char *record_partner) {
  const struct principal *p = &req->principal;
  const struct route *route = req->route;
  if (route == NULL) return false;
  if (route->flags & ROUTE_PUBLIC) return true;
  if (p->authenticated && policy_allows(p->role_id, p->partner, route->policy, route->action, record_partner)) {
    req->authorized = true;
    return true;
  }
  problem_send_kind(req, PROBLEM_FORBIDDEN, record_partner ? "your role may not do this to this record" : "your role may not do this");
  return false;
}

ips_status request_tx_begin(struct ips_request *req, struct db_conn **out) {
  ips_status st = request_db(req, out);
  if (st != IPS_OK) return st;
  const struct principal *p = &req->principal;
  const struct tx_actor actor = {p->authenticated ? p->sub : NULL, p->authenticated ? p->partner : NULL,
                                 p->authenticated ? p->role : NULL, req->request_id};
  return tx_begin(*out, &actor);
}

bool request_no_query(struct ips_request *req) {
  if (req->query.n == 0) return true;
  problem_bad_parameter(req, req->query.keys[0], "unknown_parameter", "this route takes no parameters");
  return false;
}
