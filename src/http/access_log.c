#include "http/access_log.h"

#include <yder.h>

#include "app.h"
#include "log.h"

void access_log_write(const struct ips_request *req, long status, double ms) {
  unsigned long level = status >= 500 ? Y_LOG_LEVEL_WARNING : Y_LOG_LEVEL_INFO;
  if (!log_enabled(level)) return;
  /* A 503 comes in floods (the database is down, the pool is full): one
   * line a second, with how many were held back; /metrics counts them all. */
  static struct log_limiter unavailable = LOG_LIMITER(1);
  unsigned long held_back = 0;
  if (status == 503 && !log_limited_allow(&unavailable, &held_back)) return;
  if (held_back) {
    y_log_message(level, "access %s %s %ld %.2fms id=%s (and %lu more 503 answers in the last second)",
                  req->u->http_verb, req->route_pattern ? req->route_pattern : "unmatched", status, ms,
                  req->request_id, held_back);
    return;
  }
  const char *route = req->route_pattern ? req->route_pattern : "unmatched";
  y_log_message(level,
                "access %s %s %ld %.2fms id=%s", req->u->http_verb, route, status, ms,
                req->request_id);
}
