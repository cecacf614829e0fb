#include "http/body.h"

#include <stdio.h>
#include <string.h>

#include "http/problem.h"
#include "http/query.h"

json_t *body_object(struct ips_request *req) {
  if (req->body == NULL) {
    problem_send_kind(req, PROBLEM_MALFORMED_BODY, "a JSON object is required as the request body");
    return NULL;
  }
  if (!json_is_object(req->body)) {
    problem_send_kind(req, PROBLEM_MALFORMED_BODY, "the request body must be a JSON object");
    return NULL;
  }
  return req->body;
}

void body_error(json_t *errors, const char *field, const char *code, const char *message) {
  char pointer[160];
  snprintf(pointer, sizeof pointer, "/%s", field);
  json_array_append_new(errors, problem_error_item(field, pointer, code, message));
}

void body_reject_unknown(json_t *obj, const char *const *allowed, json_t *errors) {
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    bool known = false;
    for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, key) == 0;
    if (known) continue;
    /* an unknown key is reported printable and short */
    char shown[65];
    size_t n = 0;
    for (const char *c = key; *c && n < sizeof shown - 1; c++)
      shown[n++] = ((unsigned char)*c < 0x20 || *c == 0x7F) ? '?' : *c;
    shown[n] = '\0';
    body_error(errors, shown, "unknown_field", "is not a field of this resource");
  }
}

const char *body_string(json_t *obj, const char *field, size_t max_chars, bool required,
                        json_t *errors) {
  json_t *v = json_object_get(obj, field);
  if (v == NULL || json_is_null(v)) {
    if (required) body_error(errors, field, "required", "is required");
    return NULL;
  }
  if (!json_is_string(v)) {
    body_error(errors, field, "invalid", "must be a string");
    return NULL;
  }
  const char *s = json_string_value(v);
  if (*s == '\0') {
    body_error(errors, field, required ? "required" : "invalid", "must not be empty");
    return NULL;
  }
  if (utf8_length(s) > max_chars) {
    char message[64];
    snprintf(message, sizeof message, "must be at most %zu characters", max_chars);
    body_error(errors, field, "too_long", message);
    return NULL;
  }
  return s;
}

bool body_fail_if_errors(struct ips_request *req, json_t *errors) {
  if (json_array_size(errors) == 0) {
    json_decref(errors);
    return false;
  }
  problem_send_kind_errors(req, PROBLEM_INVALID_FIELDS, "the request has invalid fields", errors);
  return true;
}

bool body_single_bool(struct ips_request *req, const char *name, const char **value) {
  const char *const allowed[] = {name, NULL};
  json_t *body = body_object(req);
  if (body == NULL) return false;
  json_t *errors = json_array();
  body_reject_unknown(body, allowed, errors);
  json_t *v = json_object_get(body, name);
  if (v == NULL || json_is_null(v)) body_error(errors, name, "required", "is required");
  else if (!json_is_boolean(v)) body_error(errors, name, "invalid", "must be true or false");
  if (body_fail_if_errors(req, errors)) return false;
  *value = json_is_true(v) ? "true" : "false";
  return true;
}
