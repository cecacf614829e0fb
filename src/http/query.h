/*
 * The query string, parsed strictly: percent-decoding checked, values valid
 * UTF-8 without NUL, each parameter at most once. Pure code, no HTTP.
 */
#ifndef IPS_HTTP_QUERY_H
#define IPS_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "ips.h"

#define QUERY_MAX_PARAMS 32
#define QUERY_MAX_VALUE 2048

struct query {
  char *keys[QUERY_MAX_PARAMS];    /* owned, decoded */
  char *values[QUERY_MAX_PARAMS];  /* owned, decoded */
  size_t n;
  /* when parsing failed: which parameter and why (borrowed static text) */
  char bad_key[64];
  const char *bad_code;
  const char *bad_message;
};

/*
 * Parses raw (the part after '?', may be NULL or empty) into q. Returns
 * IPS_INVALID with q->bad_* describing the first problem; q must be released
 * with query_free() either way.
 */
ips_status query_parse(const char *raw, struct query *q);
void query_free(struct query *q);

/* The decoded value of key, borrowed; NULL when absent. */
const char *query_get(const struct query *q, const char *key);

/* The first key not in allowed (a NULL-terminated list), borrowed; NULL when
 * every key is allowed. */
const char *query_unknown_key(const struct query *q, const char *const *allowed);

/* Percent-decodes s[0..n) into out (n+1 bytes); '+' is a space. Returns false
 * on a malformed escape. */
bool query_percent_decode(const char *s, size_t n, char *out, size_t *out_len);

/* Appends the percent-encoding of s (RFC 3986 unreserved kept) to out. */
struct strbuf;
void query_percent_encode(struct strbuf *out, const char *s);

/* The number of code points in the valid UTF-8 string s. */
size_t utf8_length(const char *s);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

#endif
