#include "http/preconditions.h"

#include "http/response.h"

bool precondition_not_modified(struct ips_request *req, long long version) {
  char etag[24];
  etag_format(version, etag);
  respond_header(req, "ETag", etag);
  if (!etag_list_matches(request_header(req, "If-None-Match"), version)) return false;
  respond_empty(req, 304);
  return true;
}
