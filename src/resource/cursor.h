/*
 * Keyset cursors: the sort key values of the last row of a page, encoded as
 * base64url of a small JSON document {"s": SORT, "k": [values]}. A cursor is
 * opaque to clients; decoding checks its shape, its sort and its arity, so
 * a tampered or foreign cursor is a 400, never a 500.
 */
#ifndef IPS_RESOURCE_CURSOR_H
#define IPS_RESOURCE_CURSOR_H

#include <stddef.h>

#include "ips.h"

#define CURSOR_MAX_KEYS 4
#define CURSOR_MAX_LENGTH 1024

/* Returns a new cursor string (free it) or NULL on allocation failure. sort
 * is the sort parameter as given ("-name"). */
char *cursor_encode(const char *sort, const char *const *values, size_t n);

/*
 * Decodes text made by cursor_encode for the same sort with n values into
 * values[0..n) (new strings; free them). IPS_INVALID when it does not fit.
 */
ips_status cursor_decode(const char *text, const char *sort, size_t n, char **values);

#endif
