/*
 * The contract (api/openapi.yaml, and the JSON the build converted it to)
 * and the page that renders it with Redoc, all embedded at build time
 * (src/docs/): answered from memory, public, with a strong ETag so that a
 * client revalidates for a 304 instead of downloading again.
 */
#include "resources/docs.h"

#include <string.h>

#include "docs/embedded.h"
#include "http/preconditions.h"
#include "http/response.h"

/*
 * What the page needs, found by rendering it in Chromium with each source
 * taken away: Redoc's bundle and the page's script (script-src 'self'), the
 * contract (connect-src 'self'), the <style> elements styled-components
 * writes (without 'unsafe-inline' styles Redoc throws before it renders),
 * the icons Redoc draws as data: images, and the search index's worker,
 * which Redoc makes from a blob: URL (without it search finds nothing). No
 * other origin: the Redocly logo Redoc's sidebar takes from a CDN is kept
 * away by the page's script (src/docs/docs.js).
 */
static const char DOCS_CSP[] =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
  "connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; "
  "frame-ancestors 'none'";

/* The contract and the page may change with any release: clients check
 * again after five minutes. The bundle changes only with its pinned version. */
#define CACHE_SHORT "public, max-age=300"
#define CACHE_BUNDLE "public, max-age=86400"

struct docs_route {
  const char *path;
  const struct embedded_file *file;
  const char *content_type;
  const char *cache_control;
  const char *csp; /* NULL: none (not a page) */
};

static const struct docs_route DOCS_ROUTES[] = {
  {"/openapi.yaml", &embedded_openapi_yaml, "application/yaml", CACHE_SHORT, NULL},
  {"/openapi.json", &embedded_openapi_json, "application/json", CACHE_SHORT, NULL},
  {"/docs", &embedded_docs_html, "text/html; charset=utf-8", CACHE_SHORT, DOCS_CSP},
  {"/docs/docs.js", &embedded_docs_js, "text/javascript; charset=utf-8", CACHE_SHORT, NULL},
  {"/docs/redoc.standalone.js", &embedded_redoc_js, "text/javascript; charset=utf-8", CACHE_BUNDLE, NULL},
};

static const struct docs_route *docs_route_of(const char *pattern) {
  for (size_t i = 0; i < sizeof DOCS_ROUTES / sizeof DOCS_ROUTES[0]; i++)
    if (pattern && strcmp(DOCS_ROUTES[i].path, pattern) == 0) return &DOCS_ROUTES[i];
  return NULL;
}

void docs_serve(struct ips_request *req) {
  const struct docs_route *r = docs_route_of(req->route_pattern);
  if (r == NULL || !request_no_query(req)) return; /* NULL: a route table error, a 500 */
  /* on the 304 too: it updates what the client keeps (RFC 9110 §15.4.5) */
  respond_header(req, "Cache-Control", r->cache_control);
  respond_header(req, "X-Content-Type-Options", "nosniff");
  if (r->csp) respond_header(req, "Content-Security-Policy", r->csp);
  if (precondition_not_modified_tag(req, r->file->etag)) return;
  respond_copy(req, 200, r->content_type, r->file->data, r->file->len);
}
