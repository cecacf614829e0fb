#include "http/etag.h"

#include <stdio.h>
#include <string.h>

#define GZIP_SUFFIX "-gzip"

void etag_format(long long version, char out[24]) { snprintf(out, 24, "\"%lld\"", version); }

bool etag_gzip_form(const char *etag, char out[ETAG_MAX]) {
  size_t len = strlen(etag);
  size_t weak = strncmp(etag, "W/", 2) == 0 ? 2 : 0;
  if (len < weak + 2 || etag[weak] != '"' || etag[len - 1] != '"' || len + sizeof GZIP_SUFFIX > ETAG_MAX)
    return false;
  snprintf(out, ETAG_MAX, "%.*s" GZIP_SUFFIX "\"", (int)(len - 1), etag);
  return true;
}

/* Whether the list names want (quoted) exactly; "*" too when star_ok. */
static bool list_names(const char *header, const char *want, bool weak_ok, bool star_ok) {
  if (header == NULL) return false;
  size_t wlen = strlen(want);
  const char *p = header;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '*' && star_ok) return true;
    bool weak = strncmp(p, "W/", 2) == 0;
    if (weak) p += 2;
    const char *end = p;
    if (*end == '"') {
      end = strchr(end + 1, '"');
      if (end == NULL) return false;
      end++;
    } else {
      while (*end && *end != ',') end++;
    }
    if ((size_t)(end - p) == wlen && strncmp(p, want, wlen) == 0 && (weak_ok || !weak)) return true;
    if (end == p) break;
    p = end;
  }
  return false;
}

bool etag_list_matches(const char *header, long long version, bool weak_ok) {
  char want[24];
  etag_format(version, want);
  return etag_list_matches_tag(header, want, weak_ok);
}

bool etag_list_matches_tag(const char *header, const char *want, bool weak_ok) {
  char coded[ETAG_MAX];
  if (list_names(header, want, weak_ok, true)) return true;
  return etag_gzip_form(want, coded) && list_names(header, coded, weak_ok, false);
}

bool etag_list_names(const char *header, const char *tag) { return list_names(header, tag, true, false); }
