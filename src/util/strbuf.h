/*
 * A growable byte buffer for building response bodies and SQL-free text.
 *
 * Appends never fail silently: on allocation failure the buffer is marked
 * failed, later appends are ignored, and strbuf_failed() says so.
 */
#ifndef IPS_STRBUF_H
#define IPS_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
  char *data;
  size_t len;
  size_t cap;
  bool failed;
};

void strbuf_init(struct strbuf *b);
void strbuf_append(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);
void strbuf_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void strbuf_put_json_string(struct strbuf *b, const char *s);
bool strbuf_failed(const struct strbuf *b);
/* Hands the NUL-terminated contents to the caller (free() it) and resets b.
 * Returns NULL when an append had failed. */
char *strbuf_steal(struct strbuf *b);
void strbuf_free(struct strbuf *b);

#endif
