#include "http/access_log.h"

#include <yder.h>

#include "app.h"
#include "log.h"

void access_log_write(const struct ips_request *req, long status, double ms) {
  unsigned long level = status >= 500 ? Y_LOG_LEVEL_WARNING : Y_LOG_LEVEL_INFO;
  if (!log_enabled(level)) return;
  const char *route = req->route ? req->route->pattern : "unmatched";
  y_log_message(level,
                "access %s %s %ld %.2fms id=%s", req->u->http_verb, route, status, ms,
                req->request_id);
}
