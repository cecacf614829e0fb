#include "resource/idempotency.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/tx.h"
#include "http/problem.h"
#include "http/response.h"

static const struct db_statement LOCK_TIMEOUT = {
  "idem_lock_timeout", "SELECT set_config('lock_timeout', '5000ms', true)", 0, true};

static const struct db_statement CLAIM = {
  "idem_claim",
  "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)"
  " ON CONFLICT (scope, key) DO NOTHING RETURNING 1",
  3, true};

/*
 * The request_hash of a key whose record has been erased since (see
 * idempotency_forget_record): never a SHA-256 in hex, so no request matches
 * it; the rest of the row (status, body, ETag, Location) is NULL.
 */
#define ERASED_MARK "'erased'"

static const struct db_statement EARLIER = {
  "idem_earlier",
  "SELECT request_hash, status, body, etag, location, created_at < now() - interval '24 hours',"
  " request_hash = " ERASED_MARK " FROM idempotency_keys WHERE scope = $1 AND key = $2",
  2, true};

/* An expired key is taken over: the earlier answer (or erasure) is forgotten. */
static const struct db_statement TAKE_OVER = {
  "idem_take_over",
  "UPDATE idempotency_keys SET request_hash = $3, status = NULL, body = NULL, etag = NULL,"
  " location = NULL, created_at = now() WHERE scope = $1 AND key = $2",
  3, true};

/* $1 resource, $2 id of an erased record, found by the Location its create
 * answered (/v1/<resource>/<id>, as the engine writes it; the id in
 * PostgreSQL's spelling whatever the path's). Unindexed: erasures are rare. */
static const struct db_statement FORGET = {
  "idem_forget_record",
  "UPDATE idempotency_keys SET request_hash = " ERASED_MARK ", status = NULL, body = NULL, etag = NULL,"
  " location = NULL WHERE location = '/v1/' || $1 || '/' || $2::uuid::text",
  2, true};

static const struct db_statement STORE = {
  "idem_store",
  "UPDATE idempotency_keys SET status = $3::integer, body = $4, etag = $5, location = $6"
  " WHERE scope = $1 AND key = $2",
  6, true};

static void sha256_hex(const char *data, size_t len, char out[65]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char d[32];
  gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d);
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[64] = '\0';
}

bool idempotency_read(struct ips_request *req, struct idempotency *k) {
  memset(k, 0, sizeof *k);
  const char *key = request_header(req, "Idempotency-Key");
  if (key == NULL) return true;
  size_t n = strlen(key);
  bool printable = n > 0;
  for (size_t i = 0; i < n && printable; i++) printable = key[i] >= 0x20 && key[i] < 0x7F;
  if (n > IDEMPOTENCY_KEY_MAX || !printable) {
    json_t *errors = json_array();
    json_array_append_new(errors, problem_error_item("Idempotency-Key", NULL,
                                                     n > IDEMPOTENCY_KEY_MAX ? "too_long" : "invalid",
                                                     "must be 1 to 255 printable ASCII characters"));
    problem_send_kind_errors(req, PROBLEM_INVALID_HEADER, "the Idempotency-Key header is malformed", errors);
    return false;
  }
  k->active = true;
  memcpy(k->key, key, n + 1);
  snprintf(k->scope, sizeof k->scope, "%.120s|%.63s", req->principal.iss, req->principal.sub);
  char *canonical = req->body ? json_dumps(req->body, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  size_t clen = canonical ? strlen(canonical) : 0;
  size_t total = strlen(req->u->http_verb) + strlen(req->u->url_path) + clen + 3;
  char *material = malloc(total);
  if (material == NULL) {
    free(canonical);
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    return false;
  }
  snprintf(material, total, "%s %s\n%s", req->u->http_verb, req->u->url_path, canonical ? canonical : "");
  sha256_hex(material, strlen(material), k->request_hash);
  free(material);
  free(canonical);
  return true;
}

static void replay(struct ips_request *req, PGresult *res) {
  const char *body = PQgetvalue(res, 0, 2);
  respond_copy(req, atol(PQgetvalue(res, 0, 1)), "application/json", body, strlen(body));
  if (!PQgetisnull(res, 0, 3)) respond_header(req, "ETag", PQgetvalue(res, 0, 3));
  if (!PQgetisnull(res, 0, 4)) respond_header(req, "Location", PQgetvalue(res, 0, 4));
  respond_header(req, "Idempotent-Replayed", "true");
}

enum idempotency_claim idempotency_claim(struct ips_request *req, struct db_conn *conn,
                                         const struct idempotency *k, ips_status *st) {
  PGresult *res = NULL;
  const char *values[] = {k->scope, k->key, k->request_hash};
  enum idempotency_claim outcome = IDEMPOTENCY_FAILED;
  *st = db_exec(conn, &LOCK_TIMEOUT, NULL, &res);
  PQclear(res);
  res = NULL;
  if (*st == IPS_OK) *st = db_exec(conn, &CLAIM, values, &res);
  if (*st != IPS_OK) {
    /* 55P03: the first request still holds the key after the wait */
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "55P03") == 0) {
      tx_rollback(conn);
      problem_send_kind(req, PROBLEM_IDEMPOTENCY_KEY_IN_FLIGHT, "a request with this Idempotency-Key is still in progress; retry later");
      outcome = IDEMPOTENCY_ANSWERED;
    }
    goto out;
  }
  if (PQntuples(res) == 1) {
    outcome = IDEMPOTENCY_PROCEED;
    goto out;
  }
  PQclear(res);
  res = NULL;
  *st = db_exec(conn, &EARLIER, values, &res);
  if (*st != IPS_OK || PQntuples(res) != 1) {
    if (*st == IPS_OK) *st = IPS_ERROR;
    goto out;
  }
  if (PQgetvalue(res, 0, 5)[0] == 't') {
    PQclear(res);
    res = NULL;
    *st = db_exec(conn, &TAKE_OVER, values, &res);
    if (*st == IPS_OK) outcome = IDEMPOTENCY_PROCEED;
    goto out;
  }
  tx_rollback(conn);
  outcome = IDEMPOTENCY_ANSWERED;
  if (PQgetvalue(res, 0, 6)[0] == 't') {
    /* nothing is kept to compare or replay: whatever the body, 410 */
    json_t *errors = json_array();
    json_array_append_new(errors, problem_error_item("Idempotency-Key", NULL, "erased",
                                                     "made a record that has been erased since"));
    problem_send_kind_errors(req, PROBLEM_IDEMPOTENCY_KEY_ERASED, "the record created with this Idempotency-Key has been erased", errors);
  } else if (strcmp(PQgetvalue(res, 0, 0), k->request_hash) != 0 || PQgetisnull(res, 0, 1)) {
    json_t *errors = json_array();
    json_array_append_new(errors, problem_error_item("Idempotency-Key", NULL, "conflict",
                                                     "was used before with a different request"));
    problem_send_kind_errors(req, PROBLEM_IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used with another request", errors);
  } else {
    replay(req, res);
  }
out:
  PQclear(res);
  return outcome;
}

ips_status idempotency_store(struct db_conn *conn, const struct idempotency *k, long status,
                             const char *body, const char *etag, const char *location) {
  char status_text[8];
  snprintf(status_text, sizeof status_text, "%ld", status);
  const char *values[] = {k->scope, k->key, status_text, body, etag, location};
  PGresult *res = NULL;
  ips_status st = db_exec(conn, &STORE, values, &res);
  PQclear(res);
  return st;
}

ips_status idempotency_forget_record(struct db_conn *conn, const char *resource, const char *id) {
  const char *values[] = {resource, id};
  PGresult *res = NULL;
  ips_status st = db_exec(conn, &FORGET, values, &res);
  PQclear(res);
  return st;
}
