/*
 * Reading fields of a JSON request body, collecting every problem into one
 * errors array (items of problem_error_item) so that a 422 lists them all.
 */
#ifndef IPS_HTTP_BODY_H
#define IPS_HTTP_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* The body as an object (borrowed); otherwise sends 400 and returns NULL. */
json_t *body_object(struct ips_request *req);

/* Adds an error for field (pointer "/field") to errors. */
void body_error(json_t *errors, const char *field, const char *code, const char *message);

/* Adds unknown_field errors for members of obj not in allowed (NULL-ended). */
void body_reject_unknown(json_t *obj, const char *const *allowed, json_t *errors);

/* A string member (borrowed) of 1..max_chars characters; NULL when absent or
 * invalid, with an error added when it is required or invalid. */
const char *body_string(json_t *obj, const char *field, size_t max_chars, bool required,
                        json_t *errors);

/* A body of exactly one boolean member, {"<name>": true|false}: *value is
 * "true" or "false" (static text) for SQL. Sends 400/422 and returns false
 * otherwise. */
bool body_single_bool(struct ips_request *req, const char *name, const char **value);

/* Sends the 422 when errors is not empty (and steals it either way); true
 * when it sent. */
bool body_fail_if_errors(struct ips_request *req, json_t *errors);

#endif
