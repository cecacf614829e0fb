/*
 * Verified access tokens, by the SHA-256 of their text, so that a token seen
 * again skips signature verification and the database check for a few
 * seconds. Entries are trusted for at most TOKEN_CACHE_RECHECK_S (then the
 * user and partner are looked up again, so a disabled user's tokens stop
 * working within that time) and never past the token's exp.
 */
#ifndef IPS_AUTH_TOKEN_CACHE_H
#define IPS_AUTH_TOKEN_CACHE_H

#include <stdbool.h>
#include <time.h>

#include "auth/jwt.h"

#define TOKEN_CACHE_RECHECK_S 10

struct token_cache;

/* Returns a new cache (free with token_cache_destroy), or NULL. */
struct token_cache *token_cache_create(void);
void token_cache_destroy(struct token_cache *cache);

/* True, with the claims, when token_hash was verified less than
 * TOKEN_CACHE_RECHECK_S ago and has not expired at now (leeway included). */
bool token_cache_get(struct token_cache *cache, const unsigned char token_hash[32], time_t now,
                     unsigned leeway, struct jwt_claims *out);
void token_cache_put(struct token_cache *cache, const unsigned char token_hash[32],
                     const struct jwt_claims *claims, time_t now);

#endif
