/*
 * Writing responses. Every handler answers through these or through
 * http/problem.h, never by filling the ulfius response by hand.
 */
#ifndef IPS_HTTP_RESPONSE_H
#define IPS_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* Smaller bodies (one record) are not worth coding: sent as they are. */
#define RESPOND_GZIP_MIN_BYTES 1024

/* Sends body (steals it: a malloc'd buffer of len bytes) as JSON. */
void respond_json_owned(struct ips_request *req, long status, char *body, size_t len);
/* Sends a copy of body as content_type. */
void respond_copy(struct ips_request *req, long status, const char *content_type,
                  const char *body, size_t len);
void respond_empty(struct ips_request *req, long status);

/* Sends a copy of JSON text body with ETag "<version>". */
void respond_json_etag(struct ips_request *req, long status, const char *body, size_t len, long long version);
void respond_header(struct ips_request *req, const char *name, const char *value);

/* Adds name to the answer's Vary list (after Origin, say), once. */
void respond_vary(struct ips_request *req, const char *name);

/* True when the client's Accept-Encoding lets the answer be gzip. */
bool respond_gzip_accepted(const struct ips_request *req);

/*
 * The last step of every answer, once the handler is done. An answer whose
 * type could be coded (http/content_coding.h), and every 304, gets
 * Vary: Accept-Encoding. A body of at least RESPOND_GZIP_MIN_BYTES is sent
 * gzip-coded when the client takes it (Content-Encoding: gzip, a 2xx's ETag
 * in its gzip form); a 304 names the gzip form when the client asked with
 * it. A streamed body is the handler's to code; identity when coding fails.
 */
void respond_finish(struct ips_request *req);

#endif
