/*
 * Passwords: argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1),
 * stored in the PHC encoded form ($argon2id$v=19$m=19456,t=2,p=1$salt$hash).
 */
#ifndef IPS_AUTH_PASSWORD_H
#define IPS_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "ips.h"

#define PASSWORD_MIN_LENGTH 12
#define PASSWORD_MAX_LENGTH 1024
#define PASSWORD_HASH_MAX 128

/*
 * Why a password is refused, as a short message for the client, or NULL when
 * it is acceptable: 12..1024 bytes of valid UTF-8 without control characters,
 * not all one character, not a well-known weak password.
 */
const char *password_weakness(const char *password);

/* Hashes password with a fresh random salt into out (PASSWORD_HASH_MAX
 * bytes). IPS_ERROR when the system gives no randomness. */
ips_status password_hash(const char *password, char out[PASSWORD_HASH_MAX]);

/* True when password matches the encoded hash. A NULL, empty or malformed
 * hash is false after the same work as a real check (against the dummy
 * hash), so that no path answers faster than another. */
bool password_verify(const char *encoded, const char *password);

/* A hash of a random password, for spending the same time on an unknown
 * username as on a known one. Borrowed, made once (the first call costs a
 * hash: call it at start-up). */
const char *password_dummy_hash(void);

#endif
