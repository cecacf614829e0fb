/*
 * Verified access tokens, by their text, so that a token seen again skips
 * signature verification and the database check for a few seconds. Entries
 * are trusted for at most TOKEN_CACHE_RECHECK_S (then the user and partner
 * are looked up again, so a disabled user's tokens stop working within that
 * time) and never past the token's exp.
 *
 * A slot holds the whole token and a hit compares it byte for byte, so the
 * slot's hash (a cheap one, seeded at random per process) decides only
 * where a token lives, never whether it is trusted. Only verified tokens
 * are stored, so a forged one cannot evict a good one.
 */
#ifndef IPS_AUTH_TOKEN_CACHE_H
#define IPS_AUTH_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/jwt.h"

#define TOKEN_CACHE_RECHECK_S 10
/* Longer tokens are verified each time (ours are about 350 bytes). */
#define TOKEN_CACHE_MAX_TOKEN 1024

struct token_cache;

/* Returns a new cache (free with token_cache_destroy), or NULL. */
struct token_cache *token_cache_create(void);
void token_cache_destroy(struct token_cache *cache);

/* True, with the claims, when token (len bytes) was verified less than
 * TOKEN_CACHE_RECHECK_S ago and has not expired at now (leeway included). */
bool token_cache_get(struct token_cache *cache, const char *token, size_t len, time_t now, unsigned leeway,
                     struct jwt_claims *out);
/* Remembers a verified token and its claims (a token over
 * TOKEN_CACHE_MAX_TOKEN bytes is not kept). */
void token_cache_put(struct token_cache *cache, const char *token, size_t len, const struct jwt_claims *claims,
                     time_t now);

#endif
