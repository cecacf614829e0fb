#include "http/cors.h"

#include <string.h>
#include <strings.h>

#include "app.h"
#include "http/problem.h"
#include "http/response.h"

static const char ALLOW_HEADERS[] =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id";
static const char EXPOSE_HEADERS[] =
    "ETag, Location, Link, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id, Idempotent-Replayed";

static bool origin_allowed(const struct ips_config *cfg, const char *origin) {
  for (size_t i = 0; i < cfg->n_cors_origins; i++)
    if (strcasecmp(cfg->cors_origins[i], origin) == 0) return true;
  return false;
}

bool cors_apply(struct ips_request *req, const struct route_match *m) {
  const struct ips_config *cfg = req->app->cfg;
  if (cfg->n_cors_origins > 0) respond_header(req, "Vary", "Origin");
  const char *origin = request_header(req, "Origin");
  if (origin == NULL) return false;
  bool allowed = origin_allowed(cfg, origin);
  if (allowed) {
    respond_header(req, "Access-Control-Allow-Origin", origin);
    respond_header(req, "Access-Control-Expose-Headers", EXPOSE_HEADERS);
  }
  bool preflight = strcmp(req->u->http_verb, "OPTIONS") == 0 &&
                   request_header(req, "Access-Control-Request-Method") != NULL;
  if (!preflight || !m->path_known) return false;
  if (!allowed) {
    problem_send_kind(req, PROBLEM_ORIGIN_NOT_ALLOWED, "this origin is not allowed to call the API");
    return true;
  }
  respond_header(req, "Access-Control-Allow-Methods", m->allow);
  respond_header(req, "Access-Control-Allow-Headers", ALLOW_HEADERS);
  respond_header(req, "Access-Control-Max-Age", "600");
  respond_empty(req, 204);
  return true;
}
