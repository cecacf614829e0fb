/*
 * JSON Web Tokens: verifying the tokens this service issued and those of
 * trusted external issuers, and issuing access tokens.
 *
 * libjwt 1.10 trusts the token's "alg" and checks nothing but the signature,
 * so here: the key and algorithm come from configuration by "iss", the
 * header's alg must equal the pinned one, a NULL key is never passed, and
 * exp, nbf, iat, iss and aud are checked in our code.
 */
#ifndef IPS_AUTH_JWT_H
#define IPS_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "ips.h"

#define JWT_MAX_TOKEN 8192
#define ACCESS_TOKEN_TTL 900

struct jwt_keys;

struct jwt_claims {
  char sub[64];
  char partner[33];
  char role[16];
  char iss[128];
  long long exp;
  bool local;     /* issued by this service: sub names a local user */
};

/*
 * Loads the signing key (IPS_JWT_SECRET, or the RS256/ES256 key files) and
 * the trusted issuers (IPS_TRUSTED_ISSUERS). Returns a new key set in *out
 * (free with jwt_keys_free), or IPS_INVALID with a message naming the
 * variable in err.
 */
ips_status jwt_keys_load(const struct ips_config *cfg, struct jwt_keys **out, char *err, size_t errlen);
void jwt_keys_free(struct jwt_keys *keys);

/*
 * Verifies token at time now with leeway seconds of clock skew. On success
 * fills claims and returns IPS_OK; otherwise IPS_INVALID with a short reason
 * (static text, safe to show the client) in *why.
 */
ips_status jwt_verify(const struct jwt_keys *keys, const char *token, time_t now, unsigned leeway,
                      struct jwt_claims *claims, const char **why);

/* Issues an access token for a local user; returns a new string (free it)
 * or NULL. *exp receives its expiry. */
char *jwt_issue(const struct jwt_keys *keys, const char *sub, const char *partner, const char *role,
                time_t now, long long *exp);

/* The JWKS document of the local public key ({"keys": []} for HS256), as a
 * new string (free it), or NULL on allocation failure. */
char *jwt_jwks(const struct jwt_keys *keys);

#endif
