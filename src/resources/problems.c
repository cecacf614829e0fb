#include "resources/problems.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/preconditions.h"
#include "http/problem.h"
#include "http/response.h"
#include "util/strbuf.h"

/* Appends s with &, <, >, " and ' escaped for HTML text and attributes. */
static void put_escaped(struct strbuf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '&': strbuf_puts(b, "&amp;"); break;
      case '<': strbuf_puts(b, "&lt;"); break;
      case '>': strbuf_puts(b, "&gt;"); break;
      case '"': strbuf_puts(b, "&quot;"); break;
      case '\'': strbuf_puts(b, "&#39;"); break;
      default: strbuf_putc(b, *s);
    }
  }
}

/* Appends a description, escaped, its `quoted` words as code. */
static void put_description(struct strbuf *b, const char *s) {
  bool in_code = false;
  char one[2] = "";
  for (; *s; s++) {
    if (*s == '`') {
      strbuf_puts(b, in_code ? "</code>" : "<code>");
      in_code = !in_code;
      continue;
    }
    one[0] = *s;
    put_escaped(b, one);
  }
  if (in_code) strbuf_puts(b, "</code>");
}

static void put_head(struct strbuf *b, const char *title) {
  strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  put_escaped(b, title);
  strbuf_puts(b, "</title>\n</head>\n<body>\n");
}

/* One kind as a section whose id is its slug; the heading links to its page. */
static void put_kind(struct strbuf *b, const struct problem_kind *k) {
  strbuf_puts(b, "<section id=\"");
  put_escaped(b, k->slug);
  strbuf_puts(b, "\">\n<h2><a href=\"" PROBLEM_TYPE_PREFIX);
  put_escaped(b, k->slug);
  strbuf_puts(b, "\">");
  put_escaped(b, k->title);
  strbuf_puts(b, "</a></h2>\n<dl>\n<dt>type</dt><dd><code>" PROBLEM_TYPE_PREFIX);
  put_escaped(b, k->slug);
  strbuf_puts(b, "</code></dd>\n<dt>slug</dt><dd><code class=\"slug\">");
  put_escaped(b, k->slug);
  strbuf_printf(b, "</code></dd>\n<dt>status</dt><dd class=\"status\">%ld</dd>\n", k->status);
  strbuf_puts(b, "<dt>title</dt><dd class=\"title\">");
  put_escaped(b, k->title);
  strbuf_puts(b, "</dd>\n</dl>\n<p class=\"description\">");
  put_description(b, k->description);
  strbuf_puts(b, "</p>\n</section>\n");
}

/* FNV-1a of the page, as a version for a strong ETag: the pages change only
 * with the binary. */
static long long page_version(const char *text) {
  uint64_t h = 1469598103934665603ULL;
  for (; *text; text++) h = (h ^ (unsigned char)*text) * 1099511628211ULL;
  return (long long)(h >> 2) + 1;
}

/* Sends the page built in b (freed here), or 500 when memory ran out. */
static void send_page(struct ips_request *req, struct strbuf *b) {
  char *text = strbuf_steal(b);
  if (text == NULL) {
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
    return;
  }
  if (!precondition_not_modified(req, page_version(text)))
    respond_copy(req, 200, "text/html; charset=utf-8", text, strlen(text));
  free(text);
}

void problems_index(struct ips_request *req) {
  if (!request_no_query(req)) return;
  struct strbuf b;
  strbuf_init(&b);
  put_head(&b, "ips-api problem types");
  strbuf_puts(&b, "<h1>ips-api problem types</h1>\n<p>Every error answer of this service is "
                  "<code>application/problem+json</code> (RFC 9457). Its <code>type</code> is one of the "
                  "references below, relative to the service; <code>title</code> is the same for every "
                  "problem of a type, <code>detail</code> says what went wrong this time.</p>\n<ul>\n");
  for (int i = 0; i < PROBLEM_KIND_COUNT; i++) {
    const struct problem_kind *k = problem_kind((enum problem_kind_id)i);
    strbuf_puts(&b, "<li><a href=\"#");
    put_escaped(&b, k->slug);
    strbuf_printf(&b, "\">%ld ", k->status);
    put_escaped(&b, k->slug);
    strbuf_puts(&b, "</a></li>\n");
  }
  strbuf_puts(&b, "</ul>\n");
  for (int i = 0; i < PROBLEM_KIND_COUNT; i++) put_kind(&b, problem_kind((enum problem_kind_id)i));
  strbuf_puts(&b, "</body>\n</html>\n");
  send_page(req, &b);
}

void problems_page(struct ips_request *req) {
  if (!request_no_query(req)) return;
  const struct problem_kind *k = problem_kind_by_slug(request_param(req, "slug"));
  if (k == NULL) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such problem type; GET /problems lists them");
    return;
  }
  struct strbuf b;
  strbuf_init(&b);
  char title[160];
  snprintf(title, sizeof title, "%s (%ld) - ips-api problem type", k->title, k->status);
  put_head(&b, title);
  strbuf_puts(&b, "<p><a href=\"/problems\">All problem types</a></p>\n");
  put_kind(&b, k);
  strbuf_puts(&b, "</body>\n</html>\n");
  send_page(req, &b);
}
