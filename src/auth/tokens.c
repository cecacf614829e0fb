#include "auth/tokens.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <yder.h>

#include "app.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "db/pool.h"
#include "db/tx.h"
#include "http/body.h"
#include "http/problem.h"
#include "http/response.h"
#include "util/base64url.h"
#include "util/ip.h"
#include "util/slots.h"
#include "util/strbuf.h"

/* Failures of the last window, by username (at most 5) and by client
 * address (at most $3), and when the oldest counted leaves the window: the
 * seconds until one more attempt is allowed.
 * $1 username, $2 client address or NULL, $3 the client's limit */
static const struct db_statement THROTTLE = {
  "tokens_throttle",
  "WITH by_user AS (SELECT at FROM login_failures WHERE username = $1"
  "                  AND at > clock_timestamp() - interval '15 minutes' ORDER BY at DESC LIMIT 5),"
  " by_client AS (SELECT at FROM login_failures WHERE client = login_client_key($2::inet)"
  "                AND at > clock_timestamp() - interval '15 minutes' ORDER BY at DESC LIMIT $3::int)"
  " SELECT u.n, u.wait, c.n, c.wait FROM"
  " (SELECT count(*) n, ceil(extract(epoch FROM min(at) + interval '15 minutes' - clock_timestamp())) wait"
  "  FROM by_user) u,"
  " (SELECT count(*) n, ceil(extract(epoch FROM min(at) + interval '15 minutes' - clock_timestamp())) wait"
  "  FROM by_client) c",
  3, false};

static const struct db_statement FIND_USER = {
  "tokens_find_user",
  "SELECT u.id, u.partner, u.role, u.password_hash, u.active,"
  " EXISTS (SELECT 1 FROM project_partners p WHERE p.code = u.partner)"
  " FROM users u WHERE u.username = $1",
  1, false};

/* $1 username, $2 user id or NULL, $3 reason, $4 request id, $5 client address or NULL */
static const struct db_statement RECORD_FAILURE = {
  "tokens_record_failure",
  "WITH pruned AS (DELETE FROM login_failures WHERE at < clock_timestamp() - interval '1 day'"
  "                 AND (username = $1 OR client = login_client_key($5::inet))),"
  " failure AS (INSERT INTO login_failures (username, client)"
  "             SELECT $1, login_client_key($5::inet) WHERE $3 <> 'throttled')"
  " INSERT INTO audit_log (actor, action, resource, resource_id, request_id, fields)"
  " VALUES ($2, 'sign_in_failed', 'auth', $2, $4, ARRAY[$3])",
  5, true};

/* $1 username, $2 user id, $3 token hash (hex), $4 partner, $5 role, $6 request id */
static const struct db_statement RECORD_SIGN_IN = {
  "tokens_record_sign_in",
  "WITH cleared AS (DELETE FROM login_failures WHERE username = $1),"
  " token AS (INSERT INTO refresh_tokens (family, user_id, token_hash, expires_at)"
  "           VALUES (gen_random_uuid(), $2::uuid, decode($3, 'hex'), now() + interval '30 days'))"
  " INSERT INTO audit_log (actor, partner, role, action, resource, resource_id, request_id)"
  " VALUES ($2, $4, $5, 'sign_in', 'auth', $2, $6)",
  6, true};

static const struct db_statement FIND_REFRESH = {
  "tokens_find_refresh",
  "SELECT rt.id, rt.family, rt.user_id, rt.used_at IS NOT NULL OR rt.revoked_at IS NOT NULL,"
  " rt.expires_at < now(), u.active, u.partner, u.role,"
  " EXISTS (SELECT 1 FROM project_partners p WHERE p.code = u.partner)"
  " FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id"
  " WHERE rt.token_hash = decode($1, 'hex') FOR UPDATE OF rt",
  1, true};

/* $1 family, $2 user id, $3 request id */
static const struct db_statement REVOKE_FAMILY_REUSED = {
  "tokens_revoke_family_reused",
  "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now()"
  "                 WHERE family = $1::uuid AND revoked_at IS NULL)"
  " INSERT INTO audit_log (actor, action, resource, resource_id, request_id, fields)"
  " VALUES ($2, 'refresh_token_reused', 'auth', $2, $3, ARRAY['family_revoked'])",
  3, true};

/* $1 old token id, $2 family, $3 user id, $4 new hash (hex) */
static const struct db_statement ROTATE = {
  "tokens_rotate",
  "WITH used AS (UPDATE refresh_tokens SET used_at = now() WHERE id = $1::uuid)"
  " INSERT INTO refresh_tokens (family, user_id, token_hash, expires_at)"
  " VALUES ($2::uuid, $3::uuid, decode($4, 'hex'), now() + interval '30 days')",
  4, true};

static const struct db_statement REVOKE = {
  "tokens_revoke",
  "UPDATE refresh_tokens SET revoked_at = now()"
  " WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = decode($1, 'hex'))"
  " AND revoked_at IS NULL",
  1, true};

/* What refresh_token_make() hands out: 32 bytes in base64url. */
#define REFRESH_TOKEN_LENGTH 43

/* A new opaque refresh token (256 random bits, base64url) in out, and the
 * hex SHA-256 under which it is stored in hash_hex. */
static bool refresh_token_make(char out[48], char hash_hex[65]);

static void hash_hex_of(const char *token, char hash_hex[65]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char d[32];
  gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), d);
  for (int i = 0; i < 32; i++) {
    hash_hex[2 * i] = hex[d[i] >> 4];
    hash_hex[2 * i + 1] = hex[d[i] & 15];
  }
  hash_hex[64] = '\0';
}

static bool refresh_token_make(char out[48], char hash_hex[65]) {
  unsigned char bytes[32];
  if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) return false;
  char *text = base64url_encode(bytes, sizeof bytes);
  if (text == NULL) return false;
  snprintf(out, 48, "%s", text);
  free(text);
  hash_hex_of(out, hash_hex);
  return true;
}

/* Sends {"access_token", "token_type", "expires_in", "refresh_token"}. */
static void send_tokens(struct ips_request *req, const char *user_id, const char *partner,
                        const char *role, const char *refresh) {
  long long exp;
  char *access = jwt_issue(req->app->keys, user_id, partner, role, time(NULL), &exp);
  json_t *doc = access ? json_pack("{s:s, s:s, s:i, s:s}", "access_token", access, "token_type", "Bearer",
                                   "expires_in", ACCESS_TOKEN_TTL, "refresh_token", refresh)
                       : NULL;
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  free(access);
  json_decref(doc);
  if (text == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "could not issue a token");
    return;
  }
  respond_json_owned(req, 200, text, strlen(text));
  respond_header(req, "Pragma", "no-cache");
}

static void invalid_grant(struct ips_request *req, const char *detail) {
  respond_header(req, "WWW-Authenticate", "Bearer realm=\"ips-api\"");
  problem_send_kind(req, PROBLEM_INVALID_CREDENTIALS, detail);
}

/* The client address of a sign-in, as text for the database; NULL (no
 * per-client count) when the connection has no IP peer. Borrows buf. */
static const char *sign_in_client(struct ips_request *req, char buf[IP_TEXT_MAX]) {
  return request_client_address(req, buf) == IPS_OK ? buf : NULL;
}

/* Records a failed sign-in (and the audit entry); errors are logged only. */
static void record_failure(struct ips_request *req, const char *username, const char *user_id,
                           const char *reason, const char *client) {
  struct db_conn *conn;
  PGresult *res = NULL;
  const char *values[] = {username, user_id, reason, req->request_id, client};
  if (request_db(req, &conn) == IPS_OK) db_exec(conn, &RECORD_FAILURE, values, &res);
  PQclear(res);
  y_log_message(Y_LOG_LEVEL_WARNING, "security: sign-in failed (%s) id=%s", reason, req->request_id);
}

/* Seconds from column col of the throttle's row, at least 1. */
static long throttle_wait(const PGresult *res, int col) {
  long wait = PQgetisnull(res, 0, col) ? 0 : atol(PQgetvalue(res, 0, col));
  return wait < 1 ? 1 : wait;
}

/* The limits of failed sign-ins as the IETF RateLimit header fields
 * (draft-ietf-httpapi-ratelimit-headers): both policies, and the one
 * exhausted (policy) with no failure left for wait seconds. */
static void send_rate_limit(struct ips_request *req, const char *policy, long wait) {
  char policies[128], state[64];
  snprintf(policies, sizeof policies, "\"username\";q=%d;w=%d, \"client\";q=%u;w=%d", LOGIN_MAX_FAILURES,
           LOGIN_WINDOW_MINUTES * 60, req->app->cfg->sign_in_client_failures, LOGIN_WINDOW_MINUTES * 60);
  snprintf(state, sizeof state, "\"%s\";r=0;t=%ld", policy, wait);
  respond_header(req, "RateLimit-Policy", policies);
  respond_header(req, "RateLimit", state);
}

/* True when the username may try now from this client; otherwise sends 429
 * (or 503). Each is limited apart: a username after LOGIN_MAX_FAILURES
 * failures from anywhere, a client after IPS_SIGN_IN_CLIENT_FAILURES
 * failures for any usernames, within LOGIN_WINDOW_MINUTES. */
static bool throttle_allows(struct ips_request *req, const char *username, const char *client) {
  struct db_conn *conn;
  PGresult *res = NULL;
  char limit[16];
  snprintf(limit, sizeof limit, "%u", req->app->cfg->sign_in_client_failures);
  const char *values[] = {username, client, limit};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &THROTTLE, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    PQclear(res);
    return false;
  }
  bool user_locked = atol(PQgetvalue(res, 0, 0)) >= LOGIN_MAX_FAILURES;
  bool client_locked = atol(PQgetvalue(res, 0, 2)) >= (long)req->app->cfg->sign_in_client_failures;
  long wait = 0;
  if (user_locked) wait = throttle_wait(res, 1);
  if (client_locked && throttle_wait(res, 3) > wait) wait = throttle_wait(res, 3);
  PQclear(res);
  if (!user_locked && !client_locked) return true;
  char retry[24];
  snprintf(retry, sizeof retry, "%ld", wait);
  record_failure(req, username, NULL, "throttled", client);
  respond_header(req, "Retry-After", retry);
  send_rate_limit(req, user_locked ? "username" : "client", wait);
  problem_send_kind(req, PROBLEM_SIGN_IN_THROTTLED, user_locked ? "too many failed sign-ins for this username; try again later"
                                     : "too many failed sign-ins from this address; try again later");
  return false;
}

/* Checks password against hash (NULL: no usable one, checked against the
 * dummy at the same cost) in one of the bounded password-check slots: each
 * check holds 19 MiB, so unbounded they would exhaust memory. Sends 503 with
 * Retry-After and returns IPS_UNAVAILABLE when no slot came free in time;
 * IPS_OK with *match otherwise. */
static ips_status password_check(struct ips_request *req, const char *hash, const char *password,
                                 bool *match) {
  struct slots *slots = req->app->password_checks;
  if (!slots_acquire(slots, req->app->cfg->password_check_wait_ms)) {
    y_log_message(Y_LOG_LEVEL_WARNING, "security: every password check is busy; sign-in refused id=%s",
                  req->request_id);
    problem_send_kind(req, PROBLEM_OVERLOADED, "too many sign-ins at once; try again shortly");
    respond_header(req, "Retry-After", "1");
    return IPS_UNAVAILABLE;
  }
  *match = password_verify(hash, password);
  slots_release(slots);
  return IPS_OK;
}

static void password_grant(struct ips_request *req, json_t *body) {
  static const char *const allowed[] = {"grant_type", "username", "password", NULL};
  json_t *errors = json_array();
  body_reject_unknown(body, allowed, errors);
  const char *username = body_string(body, "username", 64, true, errors);
  const char *password = body_string(body, "password", PASSWORD_MAX_LENGTH, true, errors);
  if (password && strlen(password) > PASSWORD_MAX_LENGTH) {
    body_error(errors, "password", "too_long", "must be at most 1024 bytes");
    password = NULL;
  }
  if (body_fail_if_errors(req, errors)) return;
  char name[65];
  size_t n = 0;
  for (const char *c = username; *c && n < 64; c++) name[n++] = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
  name[n] = '\0';

  char client_buf[IP_TEXT_MAX];
  const char *client = sign_in_client(req, client_buf);
  if (!throttle_allows(req, name, client)) return;
  struct db_conn *conn;
  PGresult *res = NULL;
  const char *values[] = {name};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &FIND_USER, values, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    PQclear(res);
    return;
  }
  bool found = PQntuples(res) == 1;
  char user_id[40] = "", partner[40] = "", role[20] = "", hash[PASSWORD_HASH_MAX] = "";
  bool usable = false;
  if (found) {
    snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(partner, sizeof partner, "%s", PQgetvalue(res, 0, 1));
    snprintf(role, sizeof role, "%s", PQgetvalue(res, 0, 2));
    snprintf(hash, sizeof hash, "%s", PQgetvalue(res, 0, 3));
    usable = PQgetvalue(res, 0, 4)[0] == 't' && PQgetvalue(res, 0, 5)[0] == 't';
  }
  PQclear(res);
  /* The connection goes back while argon2 runs (tens of milliseconds). */
  request_db_release(req);
  /* every path costs one check, so the time taken tells no username apart */
  bool match = false;
  if (password_check(req, found ? hash : NULL, password, &match) != IPS_OK) return;
  if (!found || !match || !usable) {
    record_failure(req, name, found ? user_id : NULL,
                   !found ? "unknown_user" : !match ? "wrong_password" : "disabled", client);
    invalid_grant(req, "wrong username or password, or the account is disabled");
    return;
  }
  char refresh[48], refresh_hash[65];
  if (!refresh_token_make(refresh, refresh_hash)) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "could not make a refresh token");
    return;
  }
  const char *rec[] = {name, user_id, refresh_hash, partner, role, req->request_id};
  st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &RECORD_SIGN_IN, rec, &res);
  PQclear(res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    return;
  }
  y_log_message(Y_LOG_LEVEL_INFO, "event: sign-in user=%s id=%s", user_id, req->request_id);
  send_tokens(req, user_id, partner, role, refresh);
}

/* The refresh_token member of body: NULL with an error in errors when it is
 * missing or not a string. Any string is returned, however long or odd:
 * one the server never issued is a 401 like any unknown token. Borrowed. */
static const char *refresh_token_member(json_t *body, json_t *errors) {
  json_t *v = json_object_get(body, "refresh_token");
  if (v == NULL || json_is_null(v)) {
    body_error(errors, "refresh_token", "required", "is required");
    return NULL;
  }
  if (!json_is_string(v)) {
    body_error(errors, "refresh_token", "invalid", "must be a string");
    return NULL;
  }
  return json_string_value(v);
}

/* Whether token has the shape of one refresh_token_make() made; one that
 * has not is unknown without asking the database. */
static bool refresh_token_shaped(const char *token) {
  size_t n = 0;
  for (const char *c = token; *c; c++, n++)
    if (n == REFRESH_TOKEN_LENGTH ||
        !((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
          *c == '-' || *c == '_'))
      return false;
  return n == REFRESH_TOKEN_LENGTH;
}

static void refresh_grant(struct ips_request *req, json_t *body) {
  static const char *const allowed[] = {"grant_type", "refresh_token", NULL};
  json_t *errors = json_array();
  body_reject_unknown(body, allowed, errors);
  const char *token = refresh_token_member(body, errors);
  if (body_fail_if_errors(req, errors)) return;
  if (!refresh_token_shaped(token)) {
    invalid_grant(req, "the refresh token is not valid");
    return;
  }
  char hash[65], fresh[48], fresh_hash[65];
  hash_hex_of(token, hash);
  if (!refresh_token_make(fresh, fresh_hash)) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "could not make a refresh token");
    return;
  }
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  char id[40], family[40], user_id[40], partner[40], role[20];
  const char *values[] = {hash};
  ips_status st = request_tx_begin(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &FIND_REFRESH, values, &res);
  if (st != IPS_OK) goto fail;
  if (PQntuples(res) == 0) {
    tx_rollback(conn);
    invalid_grant(req, "the refresh token is not valid");
    goto out;
  }
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  snprintf(family, sizeof family, "%s", PQgetvalue(res, 0, 1));
  snprintf(user_id, sizeof user_id, "%s", PQgetvalue(res, 0, 2));
  bool spent = PQgetvalue(res, 0, 3)[0] == 't', expired = PQgetvalue(res, 0, 4)[0] == 't';
  bool usable = PQgetvalue(res, 0, 5)[0] == 't' && PQgetvalue(res, 0, 8)[0] == 't';
  snprintf(partner, sizeof partner, "%s", PQgetvalue(res, 0, 6));
  snprintf(role, sizeof role, "%s", PQgetvalue(res, 0, 7));
  PQclear(res);
  res = NULL;
  if (spent) {
    /* A used token presented again: someone has a copy. End the family. */
    const char *rv[] = {family, user_id, req->request_id};
    st = db_exec(conn, &REVOKE_FAMILY_REUSED, rv, &res);
    if (st == IPS_OK) st = tx_commit(conn);
    if (st != IPS_OK) goto fail;
    y_log_message(Y_LOG_LEVEL_WARNING, "security: refresh token reused; family revoked id=%s", req->request_id);
    invalid_grant(req, "the refresh token was already used; its sign-in has been revoked");
    goto out;
  }
  if (expired || !usable) {
    tx_rollback(conn);
    invalid_grant(req, "the refresh token is not valid");
    goto out;
  }
  const char *rot[] = {id, family, user_id, fresh_hash};
  st = db_exec(conn, &ROTATE, rot, &res);
  if (st == IPS_OK) st = tx_commit(conn);
  if (st != IPS_OK) goto fail;
  send_tokens(req, user_id, partner, role, fresh);
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  PQclear(res);
}

void tokens_issue(struct ips_request *req) {
  if (!request_no_query(req)) return;
  json_t *body = body_object(req);
  if (body == NULL) return;
  json_t *grant = json_object_get(body, "grant_type");
  if (grant == NULL || !json_is_string(grant)) {
    json_t *errors = json_array();
    body_error(errors, "grant_type", grant ? "invalid" : "required",
               grant ? "must be a string" : "is required");
    body_fail_if_errors(req, errors);
    return;
  }
  const char *g = json_string_value(grant);
  if (strcmp(g, "password") == 0) {
    password_grant(req, body);
  } else if (strcmp(g, "refresh_token") == 0) {
    refresh_grant(req, body);
  } else {
    json_t *errors = json_array();
    body_error(errors, "grant_type", "unsupported_grant_type", "must be password or refresh_token");
    problem_send_kind_errors(req, PROBLEM_UNSUPPORTED_GRANT_TYPE, "unsupported grant_type", errors);
  }
}

void tokens_revoke(struct ips_request *req) {
  static const char *const allowed[] = {"refresh_token", NULL};
  if (!request_no_query(req)) return;
  json_t *body = body_object(req);
  if (body == NULL) return;
  json_t *errors = json_array();
  body_reject_unknown(body, allowed, errors);
  const char *token = refresh_token_member(body, errors);
  if (body_fail_if_errors(req, errors)) return;
  /* RFC 7009: a token that is not ours is revoked as far as we can tell */
  if (!refresh_token_shaped(token)) {
    respond_empty(req, 204);
    return;
  }
  char hash[65];
  hash_hex_of(token, hash);
  struct db_conn *conn;
  PGresult *res = NULL;
  const char *values[] = {hash};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &REVOKE, values, &res);
  PQclear(res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    return;
  }
  respond_empty(req, 204);
}

void tokens_jwks(struct ips_request *req) {
  if (!request_no_query(req)) return;
  char *text = jwt_jwks(req->app->keys);
  if (text == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    return;
  }
  respond_json_owned(req, 200, text, strlen(text));
  respond_header(req, "Content-Type", "application/jwk-set+json");
}
