#include "util/base64url.h"

#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *base64url_encode(const unsigned char *data, size_t n) {
  char *out = malloc((n + 2) / 3 * 4 + 1);
  if (out == NULL) return NULL;
  size_t o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
    out[o++] = ALPHABET[v >> 18 & 63];
    out[o++] = ALPHABET[v >> 12 & 63];
    out[o++] = ALPHABET[v >> 6 & 63];
    out[o++] = ALPHABET[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)data[i] << 16;
    out[o++] = ALPHABET[v >> 18 & 63];
    out[o++] = ALPHABET[v >> 12 & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8;
    out[o++] = ALPHABET[v >> 18 & 63];
    out[o++] = ALPHABET[v >> 12 & 63];
    out[o++] = ALPHABET[v >> 6 & 63];
  }
  out[o] = '\0';
  return out;
}

static int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

unsigned char *base64url_decode(const char *text, size_t *n) {
  size_t len = strlen(text);
  if (len % 4 == 1) return NULL;
  unsigned char *out = malloc(len / 4 * 3 + 3);
  if (out == NULL) return NULL;
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = sextet(text[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  /* leftover bits must be zero, so each text has one decoding */
  if (acc != 0) {
    free(out);
    return NULL;
  }
  out[o] = '\0';
  *n = o;
  return out;
}
