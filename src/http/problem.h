/*
 * The one problem+json helper (RFC 9457). Every 4xx and 5xx goes through it:
 * {"type", "title", "status", "detail", "request_id", "errors"?}.
 * Internal error text never reaches the client: it is logged by the caller.
 */
#ifndef IPS_HTTP_PROBLEM_H
#define IPS_HTTP_PROBLEM_H

#include <jansson.h>

#include "http/request.h"
#include "ips.h"

/* The problem document as text; returns a new string (free it) or NULL.
 * Steals errors (may be NULL). */
char *problem_document(long status, const char *detail, const char *request_id, json_t *errors);

/* Sends a problem with the given status and human detail. */
void problem_send(struct ips_request *req, long status, const char *detail);

/* Sends a problem with a list of field errors (steals errors, an array of
 * items made by problem_error_item). */
void problem_send_errors(struct ips_request *req, long status, const char *detail,
                         json_t *errors);

/* A new error item {"field", "pointer", "code", "message"}; pointer may be
 * NULL (query parameters have none). Returns a new reference. */
json_t *problem_error_item(const char *field, const char *pointer, const char *code,
                           const char *message);

/* A 400 naming one query parameter. */
void problem_bad_parameter(struct ips_request *req, const char *name, const char *code,
                           const char *message);

/* Answers a failed ips_status: 503 (with Retry-After) for IPS_UNAVAILABLE,
 * 404, 409, 412 for their statuses, 500 otherwise. */
void problem_from_status(struct ips_request *req, ips_status st);

/*
 * A problem answer for libmicrohttpd directly, for the answers given before
 * a request reaches ulfius: the document with Content-Type, X-Request-Id,
 * Cache-Control and Connection: close. Returns a new response (the caller
 * queues and destroys it), or NULL when memory ran out.
 */
struct MHD_Response *problem_mhd_response(long status, const char *detail, const char *request_id);

/* The reason phrase used as title, e.g. "Not Found". */
const char *problem_title(long status);

#endif
