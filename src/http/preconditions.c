#include "http/preconditions.h"

#include "http/problem.h"
#include "http/response.h"

bool precondition_not_modified(struct ips_request *req, long long version) {
  char etag[24];
  etag_format(version, etag);
  return precondition_not_modified_tag(req, etag);
}

bool precondition_not_modified_tag(struct ips_request *req, const char *etag) {
  respond_header(req, "ETag", etag);
  if (!etag_list_matches_tag(request_header(req, "If-None-Match"), etag, true)) return false;
  respond_empty(req, 304);
  return true;
}

void precondition_failed(struct ips_request *req, long long version) {
  if (version >= 1) {
    char etag[24];
    etag_format(version, etag);
    respond_header(req, "ETag", etag);
  }
  problem_send_kind(req, PROBLEM_IF_MATCH_STALE, "the record has changed since it was read; read it again");
}

bool precondition_if_match(struct ips_request *req, long long version) {
  const char *if_match = request_header(req, "If-Match");
  if (if_match == NULL) {
    problem_send_kind(req, PROBLEM_IF_MATCH_REQUIRED, "If-Match with the record's ETag is required");
    return false;
  }
  if (!etag_list_matches(if_match, version, false)) {
    precondition_failed(req, version);
    return false;
  }
  return true;
}
