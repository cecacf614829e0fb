/* One log line per request: method, route pattern (never the raw path or
 * query, which can carry personal data), status, milliseconds, request id. */
#ifndef IPS_HTTP_ACCESS_LOG_H
#define IPS_HTTP_ACCESS_LOG_H

#include "http/request.h"

void access_log_write(const struct ips_request *req, long status, double ms);

#endif
