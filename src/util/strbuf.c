#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = false;
}

static bool strbuf_reserve(struct strbuf *b, size_t extra) {
  if (b->failed) return false;
  if (b->len + extra + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *data = realloc(b->data, cap);
  if (data == NULL) {
    b->failed = true;
    return false;
  }
  b->data = data;
  b->cap = cap;
  return true;
}

void strbuf_append(struct strbuf *b, const char *s, size_t n) {
  if (!strbuf_reserve(b, n)) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s) { strbuf_append(b, s, strlen(s)); }

void strbuf_putc(struct strbuf *b, char c) { strbuf_append(b, &c, 1); }

void strbuf_printf(struct strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !strbuf_reserve(b, (size_t)n)) {
    b->failed = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void strbuf_put_json_string(struct strbuf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  strbuf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': strbuf_append(b, "\\\"", 2); break;
      case '\\': strbuf_append(b, "\\\\", 2); break;
      case '\n': strbuf_append(b, "\\n", 2); break;
      case '\r': strbuf_append(b, "\\r", 2); break;
      case '\t': strbuf_append(b, "\\t", 2); break;
      default:
        if (*p < 0x20) {
          char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
          strbuf_append(b, esc, sizeof esc);
        } else {
          strbuf_putc(b, (char)*p);
        }
    }
  }
  strbuf_putc(b, '"');
}

bool strbuf_failed(const struct strbuf *b) { return b->failed; }

char *strbuf_steal(struct strbuf *b) {
  if (b->failed) {
    strbuf_free(b);
    return NULL;
  }
  char *data = b->data;
  if (data == NULL) data = calloc(1, 1);
  strbuf_init(b);
  return data;
}

void strbuf_free(struct strbuf *b) {
  free(b->data);
  strbuf_init(b);
}
