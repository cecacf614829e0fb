#include "http/body_guard.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "http/metrics.h"
#include "http/mhd_errors.h"
#include "http/problem.h"
#include "http/request_deadline.h"
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

/* Content-Length as sent; NULL when absent. A malformed one is hidden from
 * libmicrohttpd (mhd_errors.c), so it is read here as the client sent it. */
static const char *declared_length(struct MHD_Connection *c) {
  return mhd_request_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
}

static bool length_malformed(const char *cl) {
  if (*cl < '0' || *cl > '9') return true;
  for (const char *p = cl; *p; p++)
    if (*p < '0' || *p > '9') return true;
  return false;
}

/* True when the headers declare a body far longer than the limit. */
static bool declared_too_large(const char *cl) {
  errno = 0;
  unsigned long long n = strtoull(cl, NULL, 10);
  return errno == ERANGE || n / GUARD_FACTOR > guard.max_body;
}

/* A transfer coding other than chunked: libmicrohttpd would read such a
 * body to the connection's end; nothing here can decode it. */
static bool coding_unsupported(struct MHD_Connection *c) {
  const char *te = mhd_request_header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  return te != NULL && strcasecmp(te, "chunked") != 0;
}

/* Answers status with a problem before the body is read, and closes. */
static enum MHD_Result refuse(struct MHD_Connection *c, enum problem_kind_id kind, const char *detail) {
  unsigned status = (unsigned)problem_kind(kind)->status;
  char id[REQUEST_ID_MAX + 1];
  const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
  if (request_id_valid(given)) snprintf(id, sizeof id, "%s", given);
  else request_id_generate(id);
  struct MHD_Response *r = problem_mhd_response(kind, detail, id);
  if (r == NULL) return MHD_NO;
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  if (guard.metrics) metrics_observe(guard.metrics, -1, -1, status, 0);
  if (log_enabled(Y_LOG_LEVEL_INFO))
    y_log_message(Y_LOG_LEVEL_INFO, "access - refused-before-body %u 0.00ms id=%s", status, id);
  return ret;
}

/* On the first call, with the head in: a problem answer for a body this
 * service will not read, or MHD_YES to read on. *refused says which. */
static enum MHD_Result refuse_framing(struct MHD_Connection *c, bool *refused) {
  *refused = true;
  if (coding_unsupported(c))
    return refuse(c, PROBLEM_NOT_IMPLEMENTED, "Transfer-Encoding other than chunked is not supported; send Content-Length or chunked");
  const char *cl = declared_length(c);
  if (cl && length_malformed(cl)) return refuse(c, PROBLEM_MALFORMED_REQUEST, "Content-Length is malformed: digits only");
  if (cl && guard.max_body > 0 && declared_too_large(cl)) {
    char detail[96];
    snprintf(detail, sizeof detail, "the request body exceeds %zu bytes", guard.max_body);
    return refuse(c, PROBLEM_BODY_TOO_LARGE, detail);
  }
  *refused = false;
  return MHD_YES;
}

static enum MHD_Result body_guard_handler(void *cls, struct MHD_Connection *c, const char *url,
                                          const char *method, const char *version,
                                          const char *upload_data, size_t *upload_data_size,
                                          void **con_cls) {
  /* Before any body byte (and again after the last) the size is 0; a
   * response queued on the first call means the body is never read. */
  if (request_deadline_on_call(c, *upload_data_size)) {
    bool refused;
    enum MHD_Result ret = refuse_framing(c, &refused);
    if (refused) return ret;
  }
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
