#include "http/shape.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

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

/* splitmix64: request ids need to be unique, not secret, so a per-thread
 * generator seeded once from getrandom() spares a system call per request. */
static uint64_t next_random(void) {
  static _Thread_local uint64_t state;
  static _Thread_local bool seeded;
  static atomic_ulong fallback;
  if (!seeded) {
    if (getrandom(&state, sizeof state, 0) != (ssize_t)sizeof state)
      state = (uint64_t)atomic_fetch_add(&fallback, 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)time(NULL);
    seeded = true;
  }
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void request_id_generate(char *out) {
  static const char hex[] = "0123456789abcdef";
  for (int half = 0; half < 2; half++) {
    uint64_t r = next_random();
    for (int i = 0; i < 16; i++, r >>= 4) out[half * 16 + i] = hex[r & 15];
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

