#include "http/problem.h"

#include <microhttpd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/response.h"

struct problem_kind {
  long status;
  const char *slug;
  const char *title;
};

static const struct problem_kind kinds[] = {
  {400, "bad-request", "Bad Request"},
  {401, "unauthorized", "Unauthorized"},
  {403, "forbidden", "Forbidden"},
  {404, "not-found", "Not Found"},
  {405, "method-not-allowed", "Method Not Allowed"},
  {409, "conflict", "Conflict"},
  {410, "gone", "Gone"},
  {412, "precondition-failed", "Precondition Failed"},
  {413, "payload-too-large", "Content Too Large"},
  {414, "uri-too-long", "URI Too Long"},
  {415, "unsupported-media-type", "Unsupported Media Type"},
  {422, "validation", "Unprocessable Content"},
  {428, "precondition-required", "Precondition Required"},
  {429, "too-many-requests", "Too Many Requests"},
  {431, "request-header-fields-too-large", "Request Header Fields Too Large"},
  {500, "internal", "Internal Server Error"},
  {501, "not-implemented", "Not Implemented"},
  {503, "unavailable", "Service Unavailable"},
  {505, "http-version-not-supported", "HTTP Version Not Supported"},
};

/* The kind of status; a status without one of its own takes 500's or 400's. */
static const struct problem_kind *kind_of(long status) {
  const struct problem_kind *fallback = NULL;
  long fallback_status = status >= 500 ? 500 : 400;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (kinds[i].status == status) return &kinds[i];
    if (kinds[i].status == fallback_status) fallback = &kinds[i];
  }
  return fallback;
}

const char *problem_title(long status) { return kind_of(status)->title; }

json_t *problem_error_item(const char *field, const char *pointer, const char *code,
                           const char *message) {
  json_t *item = json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", message);
  if (item && pointer) json_object_set_new(item, "pointer", json_string(pointer));
  return item;
}

char *problem_document(long status, const char *detail, const char *request_id, json_t *errors) {
  const struct problem_kind *k = kind_of(status);
  char type[96];
  snprintf(type, sizeof type, "urn:ips-api:problem:%s", k->slug);
  json_t *doc = json_pack("{s:s, s:s, s:I, s:s, s:s}", "type", type, "title", k->title,
                          "status", (json_int_t)status, "detail", detail ? detail : k->title,
                          "request_id", request_id);
  if (doc && errors) json_object_set(doc, "errors", errors);
  json_decref(errors);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  return text;
}

void problem_send_errors(struct ips_request *req, long status, const char *detail,
                         json_t *errors) {
  char *text = problem_document(status, detail, req->request_id, errors);
  if (text == NULL) {
    static const char fallback[] = "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\","
                                   "\"status\":500,\"detail\":\"out of memory\"}";
    respond_copy(req, 500, "application/problem+json", fallback, sizeof fallback - 1);
    return;
  }
  respond_json_owned(req, status, text, strlen(text));
  respond_header(req, "Content-Type", "application/problem+json");
  if (status == 503) respond_header(req, "Retry-After", "2");
}

void problem_send(struct ips_request *req, long status, const char *detail) {
  problem_send_errors(req, status, detail, NULL);
}

void problem_bad_parameter(struct ips_request *req, const char *name, const char *code,
                           const char *message) {
  char detail[160];
  snprintf(detail, sizeof detail, "query parameter '%.64s': %s", name, message);
  json_t *errors = json_array();
  json_array_append_new(errors, problem_error_item(name, NULL, code, message));
  problem_send_errors(req, 400, detail, errors);
}

void problem_from_status(struct ips_request *req, ips_status st) {
  switch (st) {
    case IPS_UNAVAILABLE:
      problem_send(req, 503, "the database is unavailable; try again shortly");
      break;
    case IPS_NOT_FOUND:
      problem_send(req, 404, "no such record");
      break;
    case IPS_CONFLICT:
      problem_send(req, 409, "the request conflicts with the current state");
      break;
    case IPS_STALE:
      problem_send(req, 412, "the record has changed since it was read");
      break;
    default:
      problem_send(req, 500, "an internal error occurred; it has been logged");
  }
}

struct MHD_Response *problem_mhd_response(long status, const char *detail, const char *request_id) {
  char *text = problem_document(status, detail, request_id, NULL);
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
