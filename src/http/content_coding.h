/*
 * Content codings (RFC 9110 §8.4): which one a client takes
 * (Accept-Encoding, §12.5.3) and which answers are worth coding.
 * Pure code: no HTTP library, no allocation.
 */
#ifndef IPS_HTTP_CONTENT_CODING_H
#define IPS_HTTP_CONTENT_CODING_H

#include <stdbool.h>

/*
 * True when header, the value of Accept-Encoding (NULL: the header is
 * absent), lets the answer be gzip: "gzip" or "x-gzip", or else "*", has a
 * weight above 0 and not below the one it gives identity (by name or by
 * "*"; identity named by neither loses to any coding asked for). Names are case-insensitive,
 * whitespace around ',' ';' '=' is allowed, an element that does not
 * parse (a bad q-value, a stray character) counts as absent. Absent,
 * empty or garbage: false, meaning identity, which is always sent when
 * nothing else is acceptable (never 406). Linear in the header's length.
 */
bool content_coding_gzip_accepted(const char *header);

/*
 * True when content_type (a Content-Type value, parameters allowed; NULL:
 * none) is text that compresses well: JSON and problem+json (any +json),
 * CSV, YAML (any +yaml, and the OpenAPI type), HTML, JavaScript (the
 * documentation page's scripts).
 */
bool content_coding_compressible(const char *content_type);

#endif
