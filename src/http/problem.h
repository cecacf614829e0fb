/*
 * The one problem+json helper (RFC 9457). Every 4xx and 5xx goes through it:
 * {"type", "title", "status", "detail", "request_id", "errors"?}.
 * Internal error text never reaches the client: it is logged by the caller.
 *
 * A problem has a kind: a slug, its status, a stable title and a description
 * of what it means and what a client should do. Its "type" is the relative
 * reference /problems/<slug>, which this service documents (GET /problems).
 * Several kinds share a status (a malformed body and a bad query parameter
 * are both 400), so that a client can tell them apart by type.
 */
#ifndef IPS_HTTP_PROBLEM_H
#define IPS_HTTP_PROBLEM_H

#include <jansson.h>
#include <stddef.h>

#include "http/request.h"
#include "ips.h"

/* Every kind the service sends. The first kind of each status in this order
 * is that status's default (problem_send). */
enum problem_kind_id {
  PROBLEM_MALFORMED_REQUEST,
  PROBLEM_MALFORMED_BODY,
  PROBLEM_INVALID_PARAMETER,
  PROBLEM_INVALID_HEADER,
  PROBLEM_UNSUPPORTED_GRANT_TYPE,
  PROBLEM_INVALID_TOKEN,
  PROBLEM_INVALID_CREDENTIALS,
  PROBLEM_FORBIDDEN,
  PROBLEM_ORIGIN_NOT_ALLOWED,
  PROBLEM_NOT_FOUND,
  PROBLEM_UNKNOWN_ROUTE,
  PROBLEM_METHOD_NOT_ALLOWED,
  PROBLEM_ALREADY_EXISTS,
  PROBLEM_RECORD_IN_USE,
  PROBLEM_RECORD_ERASED,
  PROBLEM_IDEMPOTENCY_KEY_IN_FLIGHT,
  PROBLEM_IDEMPOTENCY_KEY_ERASED,
  PROBLEM_IF_MATCH_STALE,
  PROBLEM_BODY_TOO_LARGE,
  PROBLEM_URI_TOO_LONG,
  PROBLEM_UNSUPPORTED_MEDIA_TYPE,
  PROBLEM_INVALID_FIELDS,
  PROBLEM_IDEMPOTENCY_KEY_REUSED,
  PROBLEM_IF_MATCH_REQUIRED,
  PROBLEM_SIGN_IN_THROTTLED,
  PROBLEM_HEADER_FIELDS_TOO_LARGE,
  PROBLEM_INTERNAL_ERROR,
  PROBLEM_NOT_IMPLEMENTED,
  PROBLEM_DATABASE_UNAVAILABLE,
  PROBLEM_SCHEMA_NOT_CURRENT,
  PROBLEM_OVERLOADED,
  PROBLEM_HTTP_VERSION_NOT_SUPPORTED,
  PROBLEM_KIND_COUNT
};

struct problem_kind {
  const char *slug;        /* [a-z0-9-]+, the last segment of the type URI */
  long status;             /* the HTTP status it is sent with */
  const char *title;       /* stable: the same for every problem of the kind */
  const char *description; /* one paragraph: what it means, what to do */
};

/* The prefix of every type URI: a reference relative to the service. */
#define PROBLEM_TYPE_PREFIX "/problems/"

/* The kind of id (borrowed, static); this function can't fail. */
const struct problem_kind *problem_kind(enum problem_kind_id id);

/* The kind with this slug (borrowed, static), or NULL. */
const struct problem_kind *problem_kind_by_slug(const char *slug);

/* The default kind of status: the first of the table with that status; a
 * status with none takes PROBLEM_INTERNAL_ERROR (5xx) or
 * PROBLEM_MALFORMED_REQUEST (any other). */
enum problem_kind_id problem_kind_of_status(long status);

/* The problem document as text; returns a new string (free it) or NULL.
 * Steals errors (may be NULL); detail NULL means the kind's title. */
char *problem_document(enum problem_kind_id kind, const char *detail, const char *request_id,
                       json_t *errors);

/* Sends a problem of kind with a human detail. */
void problem_send_kind(struct ips_request *req, enum problem_kind_id kind, const char *detail);

/* Sends a problem of kind with a list of field errors (steals errors, an
 * array of items made by problem_error_item). */
void problem_send_kind_errors(struct ips_request *req, enum problem_kind_id kind, const char *detail,
                              json_t *errors);

/* The same with the default kind of status. */
void problem_send(struct ips_request *req, long status, const char *detail);
void problem_send_errors(struct ips_request *req, long status, const char *detail, json_t *errors);

/* A new error item {"field", "pointer", "code", "message"}; pointer may be
 * NULL (query parameters have none). Returns a new reference. */
json_t *problem_error_item(const char *field, const char *pointer, const char *code,
                           const char *message);

/* A 400 invalid-parameter naming one query parameter. */
void problem_bad_parameter(struct ips_request *req, const char *name, const char *code,
                           const char *message);

/* Answers a failed ips_status: database-unavailable (503 with Retry-After)
 * for IPS_UNAVAILABLE, not-found, already-exists, if-match-stale for their
 * statuses, internal-error otherwise. */
void problem_from_status(struct ips_request *req, ips_status st);

/*
 * A problem answer for libmicrohttpd directly, for the answers given before
 * a request reaches ulfius: the document of kind with Content-Type,
 * X-Request-Id, Cache-Control and Connection: close. Returns a new response
 * (the caller queues it with the kind's status and destroys it), or NULL
 * when memory ran out.
 */
struct MHD_Response *problem_mhd_response(enum problem_kind_id kind, const char *detail,
                                          const char *request_id);

#endif
