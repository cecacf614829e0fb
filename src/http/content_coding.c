#include "http/content_coding.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Weights in thousandths: qvalue has at most three decimals. */
#define WEIGHT_MAX 1000
#define WEIGHT_NONE (-1) /* the coding was not named */

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ows(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

/* The length of the token at p (0: none). */
static size_t token_length(const char *p) {
  size_t n = 0;
  while (is_tchar(p[n])) n++;
  return n;
}

static bool token_is(const char *token, size_t n, const char *name) {
  return strlen(name) == n && strncasecmp(token, name, n) == 0;
}

/* Parses a qvalue (§12.4.2: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]) of n
 * characters into thousandths; false when it is not one. */
static bool parse_qvalue(const char *p, size_t n, int *weight) {
  if (n == 0 || (p[0] != '0' && p[0] != '1')) return false;
  if (n > 1 && (p[1] != '.' || n > 5)) return false;
  int w = (p[0] - '0') * WEIGHT_MAX, scale = 100;
  for (size_t i = 2; i < n; i++, scale /= 10) {
    if (p[i] < '0' || p[i] > '9') return false;
    w += (p[i] - '0') * scale;
  }
  if (w > WEIGHT_MAX) return false;
  *weight = w;
  return true;
}

/*
 * Parses the parameters of one element (after its coding) up to the next
 * ',' or the end: *weight is its q (1 without one). Returns the position
 * after the element, and sets *ok false when the element is malformed.
 */
static const char *parse_parameters(const char *p, int *weight, bool *ok) {
  *weight = WEIGHT_MAX;
  *ok = true;
  for (;;) {
    p = skip_ows(p);
    if (*p == '\0' || *p == ',') return p;
    if (*p != ';') break;
    p = skip_ows(p + 1);
    size_t name = token_length(p);
    const char *name_at = p;
    p = skip_ows(p + name);
    if (name == 0 || *p != '=') break;
    p = skip_ows(p + 1);
    size_t value = token_length(p);
    if (value == 0) break;
    /* only the weight means anything here; other parameters are ignored */
    if (token_is(name_at, name, "q") && !parse_qvalue(p, value, weight)) break;
    p += value;
  }
  *ok = false;
  while (*p && *p != ',') p++;
  return p;
}

/* The larger of two weights, for a coding named twice. */
static int weight_max(int a, int b) { return a > b ? a : b; }

bool content_coding_gzip_accepted(const char *header) {
  if (header == NULL) return false;
  int gzip = WEIGHT_NONE, identity = WEIGHT_NONE, any = WEIGHT_NONE;
  const char *p = header;
  while (*p) {
    p = skip_ows(p);
    if (*p == ',') {
      p++;
      continue;
    }
    const char *coding = p;
    size_t n = token_length(p);
    int weight;
    bool ok;
    p = parse_parameters(p + n, &weight, &ok);
    if (n == 0 || !ok) continue;
    if (token_is(coding, n, "gzip") || token_is(coding, n, "x-gzip")) gzip = weight_max(gzip, weight);
    else if (token_is(coding, n, "identity")) identity = weight_max(identity, weight);
    else if (token_is(coding, n, "*")) any = weight_max(any, weight);
  }
  /* "*" stands for every coding not named; identity named by neither is
   * still acceptable, but never preferred to a coding the client asked for */
  if (gzip == WEIGHT_NONE) gzip = any == WEIGHT_NONE ? 0 : any;
  if (identity == WEIGHT_NONE) identity = any == WEIGHT_NONE ? 0 : any;
  return gzip > 0 && gzip >= identity;
}

/* True when the n characters at s end with suffix, ignoring case. */
static bool ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

bool content_coding_compressible(const char *content_type) {
  static const char *const TYPES[] = {"application/json", "application/yaml", "application/x-yaml",
                                      "application/vnd.oai.openapi", "text/yaml", "text/csv", "text/html",
                                      "text/javascript"};
  if (content_type == NULL) return false;
  const char *type = skip_ows(content_type);
  size_t n = strcspn(type, "; \t");
  for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
    if (token_is(type, n, TYPES[i])) return true;
  return strncasecmp(type, "application/", 12) == 0 && (ends_with(type, n, "+json") || ends_with(type, n, "+yaml"));
}
