#include "http/mhd_errors.h"

#include <dlfcn.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/problem.h"
#include "http/shape.h"

typedef struct MHD_Response *(*create_fn)(size_t, void *, enum MHD_ResponseMemoryMode);
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

/* libmicrohttpd's own page being answered on this thread, and its text. */
static _Thread_local struct MHD_Response *own_page;
static _Thread_local char own_detail[160];

/* Every page libmicrohttpd writes itself starts so; ours never do. */
#define OWN_PAGE_PREFIX "<html><head><title>"

void mhd_errors_arm(void) {}

/* The text of an HTML page without its tags, as a short detail. */
static void detail_of(const char *html, size_t len, char *out, size_t cap) {
  const char *body = memmem(html, len, "<body>", 6);
  const char *p = body ? body + 6 : html, *end = html + len;
  size_t n = 0;
  bool in_tag = false;
  for (; p < end && n + 1 < cap; p++) {
    if (*p == '<') in_tag = true;
    else if (*p == '>') in_tag = false;
    else if (!in_tag) out[n++] = *p;
  }
  out[n] = '\0';
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode) {
  static create_fn real;
  if (real == NULL) real = (create_fn)dlsym(RTLD_NEXT, "MHD_create_response_from_buffer");
  struct MHD_Response *r = real(size, buffer, mode);
  if (r && mode == MHD_RESPMEM_PERSISTENT && size > strlen(OWN_PAGE_PREFIX) &&
      memcmp(buffer, OWN_PAGE_PREFIX, strlen(OWN_PAGE_PREFIX)) == 0) {
    own_page = r;
    detail_of(buffer, size, own_detail, sizeof own_detail);
  }
  return r;
}

/* Queues a problem document for status instead of libmicrohttpd's page. */
static enum MHD_Result queue_problem(queue_fn real, struct MHD_Connection *c, unsigned int status) {
  char id[REQUEST_ID_MAX + 1];
  request_id_generate(id);
  struct MHD_Response *r = problem_mhd_response(status, own_detail[0] ? own_detail : "the request is malformed", id);
  if (r == NULL) return MHD_NO;
  enum MHD_Result ret = real(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r) {
  static queue_fn real;
  if (real == NULL) real = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
  if (r != NULL && r == own_page) {
    own_page = NULL;
    return queue_problem(real, c, status);
  }
  return real(c, status, r);
}
