#include "auth/authn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yder.h>

#include "app.h"
#include "auth/jwt.h"
#include "auth/policy.h"
#include "auth/token_cache.h"
#include "db/pool.h"
#include "domain/ids.h"
#include "http/problem.h"
#include "http/response.h"
#include "log.h"

/* NULL for an external token's sub: only the partner is checked then. */
static const struct db_statement PRINCIPAL_CHECK = {
  "authn_principal_check",
  "SELECT (SELECT u.active AND u.partner = $2 AND u.role = $3 FROM users u WHERE u.id = $1::uuid),"
  " EXISTS (SELECT 1 FROM project_partners WHERE code = $2)", 3, false};

static void unauthorized(struct ips_request *req, const char *why, bool invalid_token) {
  char challenge[256];
  if (invalid_token)
    snprintf(challenge, sizeof challenge,
             "Bearer realm=\"ips-api\", error=\"invalid_token\", error_description=\"%s\"", why);
  else
    snprintf(challenge, sizeof challenge, "Bearer realm=\"ips-api\"");
  respond_header(req, "WWW-Authenticate", challenge);
  problem_send_kind(req, PROBLEM_INVALID_TOKEN, why);
}

static bool uuid_shaped(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return true;
}

/* The user still active with this role and partner, and the partner a
 * project partner. IPS_INVALID with why when not. */
static ips_status check_principal(struct ips_request *req, const struct jwt_claims *c, const char **why) {
  struct db_conn *conn;
  PGresult *res = NULL;
  if (c->local && !uuid_shaped(c->sub)) {
    *why = "the token's user is unknown";
    return IPS_INVALID;
  }
  const char *values[] = {c->local ? c->sub : NULL, c->partner, c->role};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &PRINCIPAL_CHECK, values, &res);
  if (st == IPS_OK) {
    bool user_ok = !c->local || (!PQgetisnull(res, 0, 0) && PQgetvalue(res, 0, 0)[0] == 't');
    bool partner_ok = PQgetvalue(res, 0, 1)[0] == 't';
    if (!partner_ok) *why = "the token's partner is not a project partner";
    else if (!user_ok) *why = "the token's user is disabled, unknown or changed";
    if (!partner_ok || !user_ok) st = IPS_INVALID;
  }
  PQclear(res);
  return st;
}

static void set_principal(struct ips_request *req, const struct jwt_claims *c) {
  struct principal *p = &req->principal;
  p->authenticated = true;
  snprintf(p->sub, sizeof p->sub, "%s", c->sub);
  snprintf(p->partner, sizeof p->partner, "%s", c->partner);
  snprintf(p->role, sizeof p->role, "%s", c->role);
  snprintf(p->iss, sizeof p->iss, "%s", c->iss);
  p->exp = c->exp;
  policy_role_parse(c->role, &p->role_id);
}

bool authn_authenticate(struct ips_request *req) {
  const struct app *app = req->app;
  const char *auth = request_header(req, "Authorization");
  if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
    unauthorized(req, "a bearer token is required", false);
    return false;
  }
  const char *token = auth + 7;
  size_t len = strlen(token);
  if (len > JWT_MAX_TOKEN) {
    unauthorized(req, "the token is malformed", true);
    return false;
  }
  time_t now = time(NULL);
  unsigned leeway = app->cfg->jwt_leeway_s;
  struct jwt_claims c;
  bool cached = app->tokens && token_cache_get(app->tokens, token, len, now, leeway, &c);
  if (!cached) {
    const char *why;
    if (jwt_verify(app->keys, token, now, leeway, &c, &why) != IPS_OK) {
      if (log_enabled(Y_LOG_LEVEL_WARNING))
        y_log_message(Y_LOG_LEVEL_WARNING, "security: token refused: %s id=%s", why, req->request_id);
      unauthorized(req, why, true);
      return false;
    }
    ips_status st = check_principal(req, &c, &why);
    if (st == IPS_INVALID) {
      if (log_enabled(Y_LOG_LEVEL_WARNING))
        y_log_message(Y_LOG_LEVEL_WARNING, "security: token refused: %s id=%s", why, req->request_id);
      unauthorized(req, why, true);
      return false;
    }
    if (st != IPS_OK) {
      problem_from_status(req, st);
      return false;
    }
    if (app->tokens) token_cache_put(app->tokens, token, len, &c, now);
  }
  set_principal(req, &c);
  return true;
}
