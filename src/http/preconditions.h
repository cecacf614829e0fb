/* Conditional requests: If-None-Match (and If-Match for writes). */
#ifndef IPS_HTTP_PRECONDITIONS_H
#define IPS_HTTP_PRECONDITIONS_H

#include <stdbool.h>

#include "http/etag.h"
#include "http/request.h"

/* Sets ETag and, when If-None-Match names the version, answers 304 and
 * returns true. */
bool precondition_not_modified(struct ips_request *req, long long version);
/* The same for any entity tag, quotes included ("abc"). */
bool precondition_not_modified_tag(struct ips_request *req, const char *etag);

/*
 * For a write: If-Match must be present (else 428) and name the record's
 * current version (else 412, with the current ETag). True when it does.
 */
bool precondition_if_match(struct ips_request *req, long long version);

/* Answers 412 with the record's current ETag (version < 1: none known). */
void precondition_failed(struct ips_request *req, long long version);

#endif
