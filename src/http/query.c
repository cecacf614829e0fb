#include "http/query.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

bool utf8_valid(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len;
    unsigned cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

size_t utf8_length(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool query_percent_decode(const char *s, size_t n, char *out, size_t *out_len) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      if (i + 2 >= n) return false;
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out[o++] = (char)(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+') {
      out[o++] = ' ';
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  *out_len = o;
  return true;
}

void query_percent_encode(struct strbuf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '_' || *p == '.' || *p == '~') {
      strbuf_putc(out, (char)*p);
    } else {
      char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      strbuf_append(out, esc, 3);
    }
  }
}

static ips_status fail(struct query *q, const char *key, size_t keylen, const char *code,
                       const char *message) {
  if (keylen >= sizeof q->bad_key) keylen = sizeof q->bad_key - 1;
  memcpy(q->bad_key, key, keylen);
  q->bad_key[keylen] = '\0';
  /* the key itself may be garbage: keep only printable ASCII of it */
  for (char *p = q->bad_key; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F) *p = '?';
  q->bad_code = code;
  q->bad_message = message;
  return IPS_INVALID;
}

/* Decodes s[0..n) into a new string (caller frees); NULL when malformed. */
static char *decode_part(const char *s, size_t n) {
  char *out = malloc(n + 1);
  size_t len;
  if (out == NULL) return NULL;
  if (!query_percent_decode(s, n, out, &len) || memchr(out, '\0', len) != NULL ||
      !utf8_valid(out, len)) {
    free(out);
    return NULL;
  }
  return out;
}

ips_status query_parse(const char *raw, struct query *q) {
  memset(q, 0, sizeof *q);
  if (raw == NULL) return IPS_OK;
  const char *p = raw;
  while (*p) {
    const char *end = strchr(p, '&');
    if (end == NULL) end = p + strlen(p);
    if (end == p) { p++; continue; }
    const char *eq = memchr(p, '=', (size_t)(end - p));
    const char *kend = eq ? eq : end;
    size_t klen = (size_t)(kend - p);
    if (q->n == QUERY_MAX_PARAMS)
      return fail(q, p, klen, "invalid", "too many query parameters");
    if ((size_t)(end - kend) > QUERY_MAX_VALUE)
      return fail(q, p, klen, "too_long", "the value is too long");
    char *key = decode_part(p, klen);
    if (key == NULL || *key == '\0') {
      free(key);
      return fail(q, p, klen, "invalid", "malformed query parameter");
    }
    char *value = eq ? decode_part(eq + 1, (size_t)(end - eq - 1)) : strdup("");
    if (value == NULL) {
      ips_status st = fail(q, key, strlen(key), "invalid",
                           "the value is not valid percent-encoded UTF-8");
      free(key);
      return st;
    }
    if (query_get(q, key) != NULL) {
      ips_status st = fail(q, key, strlen(key), "invalid", "the parameter is given more than once");
      free(key);
      free(value);
      return st;
    }
    q->keys[q->n] = key;
    q->values[q->n] = value;
    q->n++;
    p = *end ? end + 1 : end;
  }
  return IPS_OK;
}

void query_free(struct query *q) {
  for (size_t i = 0; i < q->n; i++) {
    free(q->keys[i]);
    free(q->values[i]);
  }
  q->n = 0;
}

const char *query_get(const struct query *q, const char *key) {
  for (size_t i = 0; i < q->n; i++)
    if (strcmp(q->keys[i], key) == 0) return q->values[i];
  return NULL;
}

const char *query_unknown_key(const struct query *q, const char *const *allowed) {
  for (size_t i = 0; i < q->n; i++) {
    bool known = false;
    for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, q->keys[i]) == 0;
    if (!known) return q->keys[i];
  }
  return NULL;
}
