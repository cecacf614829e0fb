/*
 * Pure checks of a request's shape, without HTTP or database: request ids,
 * JSON nesting, content types. Unit-tested.
 */
#ifndef IPS_HTTP_SHAPE_H
#define IPS_HTTP_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#define REQUEST_ID_MAX 64
#define JSON_MAX_DEPTH 32

/* True when s is 1..64 of [A-Za-z0-9._-]. */
bool request_id_valid(const char *s);
/* Writes a new random request id (32 hex characters) into out (≥ 33 bytes). */
void request_id_generate(char *out);

/*
 * Maximum nesting of arrays and objects in the JSON text s[0..n), counted
 * without parsing (strings skipped). Stops counting past limit.
 */
size_t json_nesting_depth(const char *s, size_t n, size_t limit);

/* True when a Content-Type header value names JSON: application/json or
 * application/<x>+json, parameters allowed. */
bool content_type_is_json(const char *value);

#endif
