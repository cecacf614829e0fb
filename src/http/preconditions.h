/* Conditional requests: If-None-Match (and If-Match for writes). */
#ifndef IPS_HTTP_PRECONDITIONS_H
#define IPS_HTTP_PRECONDITIONS_H

#include <stdbool.h>

#include "http/etag.h"
#include "http/request.h"

/* Sets ETag and, when If-None-Match names the version, answers 304 and
 * returns true. */
bool precondition_not_modified(struct ips_request *req, long long version);

#endif
