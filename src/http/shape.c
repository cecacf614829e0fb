#include "http/shape.h"

#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>

bool request_id_valid(const char *s) {
  size_t n = 0;
  if (s == NULL) return false;
  for (; s[n]; n++) {
    char c = s[n];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return false;
    if (n == REQUEST_ID_MAX) return false;
  }
  return n >= 1;
}

void request_id_generate(char *out) {
  static const char hex[] = "0123456789abcdef";
  static atomic_ulong fallback;
  unsigned char bytes[16];
  if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
    /* getrandom cannot fail for 16 bytes once the pool is ready; stay unique anyway */
    unsigned long n = atomic_fetch_add(&fallback, 1);
    memset(bytes, 0, sizeof bytes);
    memcpy(bytes, &n, sizeof n);
  }
  for (size_t i = 0; i < sizeof bytes; i++) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  out[32] = '\0';
}

size_t json_nesting_depth(const char *s, size_t n, size_t limit) {
  size_t depth = 0, max = 0;
  bool in_string = false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return max;
}

bool content_type_is_json(const char *value) {
  if (value == NULL) return false;
  size_t n = strcspn(value, ";");
  while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t')) n--;
  if (n == 16 && strncasecmp(value, "application/json", 16) == 0) return true;
  if (n > 17 && strncasecmp(value, "application/", 12) == 0 &&
      strncasecmp(value + n - 5, "+json", 5) == 0)
    return true;
  return false;
}

