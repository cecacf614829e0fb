/*
 * Files the build embeds in the binary (src/docs/embed_assets.py): the
 * contract as YAML and as JSON, the documentation page and the Redoc bundle
 * it loads. Static, read-only, never freed.
 */
#ifndef IPS_DOCS_EMBEDDED_H
#define IPS_DOCS_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
  const char *data;  /* len bytes (and a NUL after them) */
  size_t len;
  const char *etag;  /* a strong entity tag, quotes included: "<128 bits of SHA-256, hex>" */
};

extern const struct embedded_file embedded_openapi_yaml;
extern const struct embedded_file embedded_openapi_json;
extern const struct embedded_file embedded_docs_html;
extern const struct embedded_file embedded_docs_js;
extern const struct embedded_file embedded_redoc_js;

#endif
