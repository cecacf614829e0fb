#include "http/body_guard.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "http/head_deadline.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/shape.h"
#include "log.h"

static struct {
  size_t max_body;
  struct metrics *metrics;
  MHD_AccessHandlerCallback inner;  /* ulfius' dispatcher */
  void *inner_cls;
} guard;

void body_guard_arm(size_t max_body, struct metrics *metrics) {
  guard.max_body = max_body;
  guard.metrics = metrics;
}

/*
 * A body declared a little over the limit is still read (ulfius keeps only
 * the limit and one byte of it) and answered 413 after: a client that sends
 * its body before reading gets its answer instead of a broken pipe. Only a
 * body declared far over it is refused before one byte is read.
 */
#define GUARD_FACTOR 8

/* True when the headers declare a body far longer than the limit. */
static bool declared_too_large(struct MHD_Connection *c) {
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (cl == NULL || *cl < '0' || *cl > '9') return false; /* malformed: ulfius path answers 400 */
  errno = 0;
  char *end;
  unsigned long long n = strtoull(cl, &end, 10);
  return *end == '\0' && (errno == ERANGE || n / GUARD_FACTOR > guard.max_body);
}

static enum MHD_Result reject(struct MHD_Connection *c) {
  char id[REQUEST_ID_MAX + 1];
  const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
  if (request_id_valid(given)) snprintf(id, sizeof id, "%s", given);
  else request_id_generate(id);
  char detail[96];
  snprintf(detail, sizeof detail, "the request body exceeds %zu bytes", guard.max_body);
  struct MHD_Response *r = problem_mhd_response(413, detail, id);
  if (r == NULL) return MHD_NO;
  enum MHD_Result ret = MHD_queue_response(c, 413, r);
  MHD_destroy_response(r);
  if (guard.metrics) metrics_observe(guard.metrics, -1, -1, 413, 0);
  if (log_enabled(Y_LOG_LEVEL_INFO))
    y_log_message(Y_LOG_LEVEL_INFO, "access - body-too-large 413 0.00ms id=%s", id);
  return ret;
}

static enum MHD_Result body_guard_handler(void *cls, struct MHD_Connection *c, const char *url,
                                          const char *method, const char *version,
                                          const char *upload_data, size_t *upload_data_size,
                                          void **con_cls) {
  /* Before any body byte (and again after the last) the size is 0; a
   * response queued on the first call means the body is never read. */
  if (*con_cls == NULL) head_deadline_met(c); /* the first call: the head is in */
  if (*upload_data_size == 0 && guard.max_body > 0 && declared_too_large(c)) return reject(c);
  return guard.inner(cls, c, url, method, version, upload_data, upload_data_size, con_cls);
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...) {
  guard.inner = dh;
  guard.inner_cls = dh_cls;
  va_list ap;
  va_start(ap, dh_cls);
  struct MHD_Daemon *d = MHD_start_daemon_va(flags, port, apc, apc_cls, body_guard_handler, dh_cls, ap);
  va_end(ap);
  return d;
}
