#include "http/mhd_errors.h"

#include <dlfcn.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/problem.h"
#include "http/shape.h"

typedef struct MHD_Response *(*create_fn)(size_t, void *, enum MHD_ResponseMemoryMode);
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
typedef enum MHD_Result (*lookup_fn)(struct MHD_Connection *, enum MHD_ValueKind, const char *, size_t,
                                     const char **, size_t *);

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
  enum problem_kind_id kind = problem_kind_of_status(status);
  struct MHD_Response *r = problem_mhd_response(kind, own_detail[0] ? own_detail : "the request is malformed", id);
  if (r == NULL) return MHD_NO;
  enum MHD_Result ret = real(c, (unsigned)problem_kind(kind)->status, r);
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

/* libmicrohttpd's own header lookup, past this executable's definition. */
static enum MHD_Result real_lookup(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char **value, size_t *value_size) {
  static lookup_fn real;
  if (real == NULL) real = (lookup_fn)dlsym(RTLD_NEXT, "MHD_lookup_connection_value_n");
  return real(c, kind, key, key_size, value, value_size);
}

const char *mhd_request_header(struct MHD_Connection *c, const char *name) {
  const char *v = NULL;
  return real_lookup(c, MHD_HEADER_KIND, name, strlen(name), &v, NULL) == MHD_YES ? v : NULL;
}

/* True for a Content-Length libmicrohttpd reads without trouble: digits
 * only, at most 2^64 - 1. */
static bool length_readable(const char *s, size_t n) {
  uint64_t v = 0;
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    unsigned digit = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  return true;
}

static bool is_content_length(const char *key, size_t key_size) {
  static const char name[] = MHD_HTTP_HEADER_CONTENT_LENGTH;
  return key && key_size == sizeof name - 1 && strncasecmp(key, name, key_size) == 0;
}

enum MHD_Result MHD_lookup_connection_value_n(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                              const char *key, size_t key_size, const char **value,
                                              size_t *value_size) {
  const char *v = NULL;
  size_t n = 0;
  if (real_lookup(c, kind, key, key_size, &v, &n) != MHD_YES) return MHD_NO;
  if ((kind & MHD_HEADER_KIND) && is_content_length(key, key_size) && !length_readable(v, n)) return MHD_NO;
  if (value) *value = v;
  if (value_size) *value_size = n;
  return MHD_YES;
}
