#include "http/etag.h"

#include <stdio.h>
#include <string.h>

void etag_format(long long version, char out[24]) { snprintf(out, 24, "\"%lld\"", version); }

bool etag_list_matches(const char *header, long long version, bool weak_ok) {
  char want[24];
  etag_format(version, want);
  return etag_list_matches_tag(header, want, weak_ok);
}

bool etag_list_matches_tag(const char *header, const char *want, bool weak_ok) {
  if (header == NULL) return false;
  size_t wlen = strlen(want);
  const char *p = header;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '*') return true;
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

