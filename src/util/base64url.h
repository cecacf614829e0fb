/* Base64url without padding (RFC 4648 §5). Pure functions. */
#ifndef IPS_BASE64URL_H
#define IPS_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a new NUL-terminated encoding of data[0..n) (free it), or NULL. */
char *base64url_encode(const unsigned char *data, size_t n);

/* Decodes text into a new buffer (free it) of *n bytes plus a NUL; NULL when
 * text is not base64url (padding and other alphabets are refused). */
unsigned char *base64url_decode(const char *text, size_t *n);

#endif
