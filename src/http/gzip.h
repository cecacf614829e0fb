/*
 * gzip content coding (RFC 9110 §8.4.1.3) with zlib: one level and one
 * set of parameters for every answer, buffered or streamed.
 */
#ifndef IPS_HTTP_GZIP_H
#define IPS_HTTP_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

/*
 * Starts a deflate stream with the gzip wrapper in z (zeroed by the
 * caller); end it with deflateEnd. False when zlib has no memory for it.
 */
bool gzip_stream_init(z_stream *z);

/*
 * Returns in[0..len) gzip-coded in a new malloc'd buffer (the caller frees
 * it) of *out_len bytes. NULL when out of memory, or when the coded form
 * would be no smaller: then identity is the better answer.
 */
char *gzip_buffer(const char *in, size_t len, size_t *out_len);

#endif
