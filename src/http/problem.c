#include "http/problem.h"

#include <microhttpd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/response.h"

/* Indexed by enum problem_kind_id; tests/unit/test_problem.c checks it. */
static const struct problem_kind KINDS[PROBLEM_KIND_COUNT] = {
  [PROBLEM_MALFORMED_REQUEST] = {"malformed-request", 400, "Malformed Request",
    "The request is not well-formed HTTP: its request line, a header's syntax, its Content-Length or its "
    "chunked encoding could not be read, or an HTTP/1.1 request lacks Host. Nothing was done and the "
    "connection is closed. Fix the client's framing; sending it again unchanged gets the same answer."},
  [PROBLEM_MALFORMED_BODY] = {"malformed-body", 400, "Malformed Request Body",
    "The request body is not what the operation reads: not valid JSON (invalid UTF-8, NUL characters and "
    "nesting deeper than the limit included), not a JSON object where one is required, or a body where "
    "the operation takes none. Nothing was done. Fix the body; `detail` says where it went wrong."},
  [PROBLEM_INVALID_PARAMETER] = {"invalid-parameter", 400, "Invalid Query Parameter",
    "A query parameter is not one the operation defines, is repeated, or has a bad value (an unknown "
    "partner code, a cursor of another list, a limit out of range). `errors` names the parameter and a "
    "code (`unknown_parameter`, `invalid`, `too_long`, `forbidden_filter`). Fix the query and retry."},
  [PROBLEM_INVALID_HEADER] = {"invalid-header", 400, "Invalid Request Header",
    "A request header the operation reads has a bad value: an `Idempotency-Key` longer than 255 "
    "characters or with characters other than printable ASCII. `errors` names the header. Nothing was "
    "done; send the request again with a valid header."},
  [PROBLEM_UNSUPPORTED_GRANT_TYPE] = {"unsupported-grant-type", 400, "Unsupported Grant Type",
    "`POST /v1/auth/token` was asked for a `grant_type` other than `password` or `refresh_token` "
    "(RFC 6749 unsupported_grant_type). `errors` names the field `grant_type`. Use one of the two."},
  [PROBLEM_INVALID_TOKEN] = {"invalid-token", 401, "Missing or Invalid Token",
    "The operation needs a bearer token and none was sent, or the one sent was refused: malformed, badly "
    "signed, expired, not yet valid, for another issuer or audience, naming an unknown role or partner, "
    "or a disabled user's (for `/metrics`, the metrics token). `WWW-Authenticate` says why. Get a new "
    "access token (the refresh grant of `POST /v1/auth/token`) and retry; do not retry with the same one."},
  [PROBLEM_INVALID_CREDENTIALS] = {"invalid-credentials", 401, "Invalid Credentials",
    "A sign-in was refused: the username or password is wrong (the answer does not say which), or the "
    "refresh token is unknown, expired or used before (a used one revokes its whole family). Ask the user "
    "to sign in again; repeated failures lead to `/problems/sign-in-throttled`."},
  [PROBLEM_FORBIDDEN] = {"forbidden", 403, "Forbidden",
    "The caller is authenticated, but its role or partner may not do this operation, or not to this "
    "record (another partner's record, an action the role has not). Retrying does not help; another "
    "user with the right role has to do it."},
  [PROBLEM_ORIGIN_NOT_ALLOWED] = {"origin-not-allowed", 403, "Origin Not Allowed",
    "A CORS preflight came from an origin that is not in the service's configured list "
    "(`IPS_CORS_ORIGINS`). A browser will not send the request. The operator has to add the origin."},
  [PROBLEM_NOT_FOUND] = {"not-found", 404, "Not Found",
    "The record named in the path does not exist, was deleted, or its id is not well-formed (for "
    "`/problems/{slug}`: no such kind). Do not retry; list the collection to find what exists."},
  [PROBLEM_UNKNOWN_ROUTE] = {"unknown-route", 404, "Unknown Route",
    "No operation of this service has this path, whatever the method. Check the path against the API "
    "description (a missing `/v1` prefix, a misspelt collection)."},
  [PROBLEM_METHOD_NOT_ALLOWED] = {"method-not-allowed", 405, "Method Not Allowed",
    "The path exists but does not support this method; `Allow` lists the methods it does support."},
  [PROBLEM_ALREADY_EXISTS] = {"already-exists", 409, "Already Exists",
    "A value that must be unique among live records (a NIP, KRS, PESEL, code or username) is already used "
    "by another record. `errors` names the field. Use another value, or update the existing record."},
  [PROBLEM_RECORD_IN_USE] = {"record-in-use", 409, "Record In Use",
    "The record is referenced by other records (deliveries of a service, a project partner's code used by "
    "users and records), so it cannot be deleted or changed this way. `errors` or `detail` says what holds "
    "it. Remove or change what refers to it first."},
  [PROBLEM_RECORD_ERASED] = {"record-erased", 409, "Record Erased",
    "The beneficiary's personal data has been erased (GDPR); the record can no longer be changed or erased "
    "again. It can still be read, with `erased: true`."},
  [PROBLEM_IDEMPOTENCY_KEY_IN_FLIGHT] = {"idempotency-key-in-flight", 409, "Idempotent Request In Progress",
    "A request with the same `Idempotency-Key` is still being processed, and did not finish while this one "
    "waited. Nothing was done by this request. Retry it unchanged a little later: it then replays the first "
    "request's answer."},
  [PROBLEM_IDEMPOTENCY_KEY_ERASED] = {"idempotency-key-erased", 410, "Idempotent Record Erased",
    "The record created with this `Idempotency-Key` has been erased since: nothing of the first request or "
    "its answer is kept, and the key is not free again until its 24 hours end. Do not retry with this key."},
  [PROBLEM_IF_MATCH_STALE] = {"if-match-stale", 412, "Stale If-Match",
    "`If-Match` does not name the record's current version: someone changed it since it was read. "
    "Nothing was changed. Read the record again (its `ETag`), apply the change to what you read, and "
    "send it with the new `If-Match`."},
  [PROBLEM_BODY_TOO_LARGE] = {"body-too-large", 413, "Content Too Large",
    "The request body (declared or sent) is larger than the service accepts (`IPS_MAX_BODY_BYTES`, "
    "default 1 MiB). Nothing was done. Send a smaller body; there is no upload larger than that."},
  [PROBLEM_URI_TOO_LONG] = {"uri-too-long", 414, "URI Too Long",
    "The request line is longer than the service keeps. Nothing was done. Use shorter query values; no "
    "operation needs a URI this long."},
  [PROBLEM_UNSUPPORTED_MEDIA_TYPE] = {"unsupported-media-type", 415, "Unsupported Media Type",
    "The request has a body whose `Content-Type` is not JSON (`application/json`, or "
    "`application/merge-patch+json` for a `PATCH`). Send the body as JSON with that header."},
  [PROBLEM_INVALID_FIELDS] = {"invalid-fields", 422, "Invalid Fields",
    "The body is well-formed JSON, but fields are invalid: missing, unknown, read-only, too long, of the "
    "wrong type, failing a checksum, or naming a record that does not exist. `errors` lists every bad "
    "field at once with a JSON Pointer and a code. Nothing was written; fix the fields and retry."},
  [PROBLEM_IDEMPOTENCY_KEY_REUSED] = {"idempotency-key-reused", 422, "Idempotency Key Reused",
    "This `Idempotency-Key` was used within the last 24 hours with another request (another body, path or "
    "method). Nothing was done. A retry must send exactly the first request; a new request needs a new key."},
  [PROBLEM_IF_MATCH_REQUIRED] = {"if-match-required", 428, "If-Match Required",
    "The write needs `If-Match` with the record's `ETag`, so that no change is lost. Read the record, then "
    "send the write with `If-Match: <its ETag>`."},
  [PROBLEM_SIGN_IN_THROTTLED] = {"sign-in-throttled", 429, "Too Many Sign-In Failures",
    "Too many failed sign-ins for this username, or from this address, in the window; every attempt is "
    "refused until it passes, even with the right password. Wait `Retry-After` seconds (`RateLimit` says "
    "which limit was reached)."},
  [PROBLEM_HEADER_FIELDS_TOO_LARGE] = {"header-fields-too-large", 431, "Request Header Fields Too Large",
    "The request's headers are larger than the service keeps. Nothing was done and the connection is "
    "closed. Send fewer or smaller headers (a token is far below the limit)."},
  [PROBLEM_INTERNAL_ERROR] = {"internal-error", 500, "Internal Server Error",
    "The service failed in a way that is its own fault; it has been logged with the `request_id`. A read "
    "may be retried. A write may have been made: read before writing again, or retry with the same "
    "`Idempotency-Key`. Report the `request_id` if it persists."},
  [PROBLEM_NOT_IMPLEMENTED] = {"not-implemented", 501, "Not Implemented",
    "The request uses an HTTP feature this service does not implement: a transfer coding other than "
    "chunked. Send the body with `Content-Length` or chunked."},
  [PROBLEM_DATABASE_UNAVAILABLE] = {"database-unavailable", 503, "Database Unavailable",
    "The database cannot be reached, or no connection came free in time. Nothing was done. Retry after "
    "`Retry-After` seconds; `/readyz` answers 200 again when it is back."},
  [PROBLEM_SCHEMA_NOT_CURRENT] = {"schema-not-current", 503, "Schema Not Current",
    "`/readyz` found the database's schema other than this binary's: migrations are pending or were "
    "applied by another version. The operator runs `ips-api migrate` (or deploys the matching binary)."},
  [PROBLEM_OVERLOADED] = {"overloaded", 503, "Overloaded",
    "The service has no room for this request now: every password check is busy (too many sign-ins at "
    "once), or as many change-feed long polls wait as it allows (`IPS_LONG_POLL_MAX`); behind the "
    "shipped nginx front, no instance could answer. Retry after `Retry-After` seconds."},
  [PROBLEM_HTTP_VERSION_NOT_SUPPORTED] = {"http-version-not-supported", 505, "HTTP Version Not Supported",
    "The request names an HTTP version this service does not speak. Use HTTP/1.1 (or 1.0)."},
};

const struct problem_kind *problem_kind(enum problem_kind_id id) {
  return &KINDS[(unsigned)id < PROBLEM_KIND_COUNT ? id : PROBLEM_INTERNAL_ERROR];
}

const struct problem_kind *problem_kind_by_slug(const char *slug) {
  for (size_t i = 0; slug && i < PROBLEM_KIND_COUNT; i++)
    if (strcmp(KINDS[i].slug, slug) == 0) return &KINDS[i];
  return NULL;
}

enum problem_kind_id problem_kind_of_status(long status) {
  for (size_t i = 0; i < PROBLEM_KIND_COUNT; i++)
    if (KINDS[i].status == status) return (enum problem_kind_id)i;
  return status >= 500 ? PROBLEM_INTERNAL_ERROR : PROBLEM_MALFORMED_REQUEST;
}

json_t *problem_error_item(const char *field, const char *pointer, const char *code,
                           const char *message) {
  json_t *item = json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", message);
  if (item && pointer) json_object_set_new(item, "pointer", json_string(pointer));
  return item;
}

char *problem_document(enum problem_kind_id kind, const char *detail, const char *request_id,
                       json_t *errors) {
  const struct problem_kind *k = problem_kind(kind);
  char type[96];
  snprintf(type, sizeof type, PROBLEM_TYPE_PREFIX "%s", k->slug);
  json_t *doc = json_pack("{s:s, s:s, s:I, s:s, s:s}", "type", type, "title", k->title,
                          "status", (json_int_t)k->status, "detail", detail ? detail : k->title,
                          "request_id", request_id);
  if (doc && errors) json_object_set(doc, "errors", errors);
  json_decref(errors);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  return text;
}

void problem_send_kind_errors(struct ips_request *req, enum problem_kind_id kind, const char *detail,
                              json_t *errors) {
  long status = problem_kind(kind)->status;
  char *text = problem_document(kind, detail, req->request_id, errors);
  if (text == NULL) {
    static const char fallback[] = "{\"type\":\"" PROBLEM_TYPE_PREFIX "internal-error\","
                                   "\"title\":\"Internal Server Error\",\"status\":500,\"detail\":\"out of memory\"}";
    respond_copy(req, 500, "application/problem+json", fallback, sizeof fallback - 1);
    return;
  }
  respond_json_owned(req, status, text, strlen(text));
  respond_header(req, "Content-Type", "application/problem+json");
  if (status == 503) respond_header(req, "Retry-After", "2");
}

void problem_send_kind(struct ips_request *req, enum problem_kind_id kind, const char *detail) {
  problem_send_kind_errors(req, kind, detail, NULL);
}

void problem_send_errors(struct ips_request *req, long status, const char *detail, json_t *errors) {
  problem_send_kind_errors(req, problem_kind_of_status(status), detail, errors);
}

void problem_send(struct ips_request *req, long status, const char *detail) {
  problem_send_kind_errors(req, problem_kind_of_status(status), detail, NULL);
}

void problem_bad_parameter(struct ips_request *req, const char *name, const char *code,
                           const char *message) {
  char detail[160];
  snprintf(detail, sizeof detail, "query parameter '%.64s': %s", name, message);
  json_t *errors = json_array();
  json_array_append_new(errors, problem_error_item(name, NULL, code, message));
  problem_send_kind_errors(req, PROBLEM_INVALID_PARAMETER, detail, errors);
}

void problem_from_status(struct ips_request *req, ips_status st) {
  switch (st) {
    case IPS_UNAVAILABLE:
      problem_send_kind(req, PROBLEM_DATABASE_UNAVAILABLE, "the database is unavailable; try again shortly");
      break;
    case IPS_NOT_FOUND:
      problem_send_kind(req, PROBLEM_NOT_FOUND, "no such record");
      break;
    case IPS_CONFLICT:
      problem_send_kind(req, PROBLEM_ALREADY_EXISTS, "a record with this value already exists");
      break;
    case IPS_STALE:
      problem_send_kind(req, PROBLEM_IF_MATCH_STALE, "the record has changed since it was read");
      break;
    default:
      problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "an internal error occurred; it has been logged");
  }
}

struct MHD_Response *problem_mhd_response(enum problem_kind_id kind, const char *detail,
                                          const char *request_id) {
  char *text = problem_document(kind, detail, request_id, NULL);
  struct MHD_Response *r = text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
  if (r == NULL) {
    free(text);
    return NULL;
  }
  MHD_add_response_header(r, "Content-Type", "application/problem+json");
  MHD_add_response_header(r, "X-Request-Id", request_id);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "Connection", "close");
  return r;
}
