#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void respond_header(struct ips_request *req, const char *name, const char *value) {
  u_map_put(req->resp->map_header, name, value);
}

void respond_json_owned(struct ips_request *req, long status, char *body, size_t len) {
  req->resp->status = status;
  o_free(req->resp->binary_body);
  /* ulfius frees binary_body with o_free, which is free() here. */
  req->resp->binary_body = body;
  req->resp->binary_body_length = len;
  respond_header(req, "Content-Type", "application/json");
}

void respond_copy(struct ips_request *req, long status, const char *content_type,
                  const char *body, size_t len) {
  req->resp->status = status;
  ulfius_set_binary_body_response(req->resp, (unsigned)status, body, len);
  respond_header(req, "Content-Type", content_type);
}

void respond_empty(struct ips_request *req, long status) {
  req->resp->status = status;
  o_free(req->resp->binary_body);
  req->resp->binary_body = NULL;
  req->resp->binary_body_length = 0;
}

void respond_json_etag(struct ips_request *req, long status, const char *body, size_t len, long long version) {
  char etag[24];
  snprintf(etag, sizeof etag, "\"%lld\"", version);
  respond_copy(req, status, "application/json", body, len);
  respond_header(req, "ETag", etag);
}
