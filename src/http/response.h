/*
 * Writing responses. Every handler answers through these or through
 * http/problem.h, never by filling the ulfius response by hand.
 */
#ifndef IPS_HTTP_RESPONSE_H
#define IPS_HTTP_RESPONSE_H

#include <stddef.h>

#include "http/request.h"

/* Sends body (steals it: a malloc'd buffer of len bytes) as JSON. */
void respond_json_owned(struct ips_request *req, long status, char *body, size_t len);
/* Sends a copy of body as content_type. */
void respond_copy(struct ips_request *req, long status, const char *content_type,
                  const char *body, size_t len);
void respond_empty(struct ips_request *req, long status);

/* Sends a copy of JSON text body with ETag "<version>". */
void respond_json_etag(struct ips_request *req, long status, const char *body, size_t len, long long version);
void respond_header(struct ips_request *req, const char *name, const char *value);

#endif
