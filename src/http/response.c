#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/content_coding.h"
#include "http/etag.h"
#include "http/gzip.h"

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

void respond_vary(struct ips_request *req, const char *name) {
  const char *vary = u_map_get_case(req->resp->map_header, "Vary");
  if (vary == NULL) {
    respond_header(req, "Vary", name);
    return;
  }
  if (strcasestr(vary, name)) return;
  char list[256];
  snprintf(list, sizeof list, "%s, %s", vary, name);
  respond_header(req, "Vary", list);
}

bool respond_gzip_accepted(const struct ips_request *req) {
  return content_coding_gzip_accepted(request_header(req, "Accept-Encoding"));
}

/* Replaces the answer's ETag by its gzip form, if it has one. */
static void retag_gzip(struct ips_request *req) {
  const char *etag = u_map_get_case(req->resp->map_header, "ETag");
  char coded[ETAG_MAX];
  if (etag && etag_gzip_form(etag, coded)) respond_header(req, "ETag", coded);
}

/* A 304 names the representation the client holds: the gzip one when it
 * sent that form back and may still take gzip. */
static void finish_not_modified(struct ips_request *req) {
  const char *etag = u_map_get_case(req->resp->map_header, "ETag");
  char coded[ETAG_MAX];
  if (etag && etag_gzip_form(etag, coded) && etag_list_names(request_header(req, "If-None-Match"), coded))
    respond_header(req, "ETag", coded);
}

void respond_finish(struct ips_request *req) {
  struct _u_response *resp = req->resp;
  bool not_modified = resp->status == 304;
  if (!not_modified && !content_coding_compressible(u_map_get_case(resp->map_header, "Content-Type"))) return;
  respond_vary(req, "Accept-Encoding");
  if (!respond_gzip_accepted(req)) return;
  if (not_modified) {
    finish_not_modified(req);
    return;
  }
  if (resp->stream_callback != NULL || resp->binary_body_length < RESPOND_GZIP_MIN_BYTES ||
      u_map_has_key_case(resp->map_header, "Content-Encoding"))
    return;
  size_t len;
  char *coded = gzip_buffer(resp->binary_body, resp->binary_body_length, &len);
  if (coded == NULL) return;
  o_free(resp->binary_body);
  resp->binary_body = coded;
  resp->binary_body_length = len;
  respond_header(req, "Content-Encoding", "gzip");
  /* the tag of the record the error is about stays as it is (412) */
  if (resp->status >= 200 && resp->status < 300) retag_gzip(req);
}
