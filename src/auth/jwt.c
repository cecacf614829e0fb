#include "auth/jwt.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth/policy.h"
#include "domain/ids.h"
#include "util/base64url.h"

#define MAX_KEY_FILE 65536
#define MAX_TRUSTED 16

struct issuer {
  char *iss;
  char *aud;
  jwt_alg_t alg;
  unsigned char *verify_key;   /* the secret (HS256) or a PEM public key */
  size_t verify_len;
};

struct jwt_keys {
  struct issuer local;
  unsigned char *sign_key;     /* the secret or a PEM private key */
  size_t sign_len;
  char kid[32];
  json_t *jwk;                 /* the public key as a JWK; NULL for HS256 */
  struct issuer trusted[MAX_TRUSTED];
  size_t ntrusted;
};

/* Reads a whole file into a new NUL-terminated buffer (free it); NULL on failure. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  unsigned char *buf = malloc(MAX_KEY_FILE + 1);
  size_t n = buf ? fread(buf, 1, MAX_KEY_FILE + 1, f) : 0;
  fclose(f);
  if (buf == NULL || n == 0 || n > MAX_KEY_FILE) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static char *b64(const gnutls_datum_t *d, size_t pad_to) {
  unsigned char tmp[1024];
  size_t n = d->size;
  if (pad_to > n && pad_to <= sizeof tmp) {
    memset(tmp, 0, pad_to - n);
    memcpy(tmp + pad_to - n, d->data, n);
    return base64url_encode(tmp, pad_to);
  }
  return base64url_encode(d->data, n);
}

/* Finds the algorithm of a PEM public key (RS256 for RSA, ES256 for P-256)
 * and, when jwk is not NULL, builds its JWK (a new reference) and key id. */
static bool inspect_public_key(const unsigned char *pem, size_t len, jwt_alg_t *alg, json_t **jwk,
                               char kid[32]) {
  gnutls_pubkey_t pk;
  gnutls_datum_t in = {(unsigned char *)pem, (unsigned)len}, a = {0}, b = {0}, der = {0};
  gnutls_ecc_curve_t curve;
  bool ok = false;
  unsigned bits;
  if (gnutls_pubkey_init(&pk) < 0) return false;
  if (gnutls_pubkey_import(pk, &in, GNUTLS_X509_FMT_PEM) < 0) goto out;
  int pka = gnutls_pubkey_get_pk_algorithm(pk, &bits);
  if (pka == GNUTLS_PK_RSA && bits >= 2048) {
    *alg = JWT_ALG_RS256;
    ok = jwk == NULL || gnutls_pubkey_export_rsa_raw2(pk, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ) == 0;
  } else if (pka == GNUTLS_PK_EC) {
    ok = gnutls_pubkey_export_ecc_raw2(pk, &curve, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ) == 0 &&
         curve == GNUTLS_ECC_CURVE_SECP256R1;
    *alg = JWT_ALG_ES256;
  }
  if (!ok || jwk == NULL) goto out;
  unsigned char digest[32];
  ok = gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &der) == 0 &&
       gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, digest) == 0;
  if (!ok) goto out;
  char *id = base64url_encode(digest, 16);
  snprintf(kid, 32, "%s", id ? id : "key");
  free(id);
  char *p = b64(&a, *alg == JWT_ALG_ES256 ? 32 : 0), *q = b64(&b, *alg == JWT_ALG_ES256 ? 32 : 0);
  if (*alg == JWT_ALG_RS256)
    *jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "use", "sig", "alg", "RS256",
                     "kid", kid, "n", p ? p : "", "e", q ? q : "");
  else
    *jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "use", "sig", "alg", "ES256",
                     "kid", kid, "crv", "P-256", "x", p ? p : "", "y", q ? q : "");
  free(p);
  free(q);
  ok = *jwk != NULL;
out:
  gnutls_free(a.data);
  gnutls_free(b.data);
  gnutls_free(der.data);
  gnutls_pubkey_deinit(pk);
  return ok;
}

static const char *alg_name(jwt_alg_t alg) {
  return alg == JWT_ALG_HS256 ? "HS256" : alg == JWT_ALG_RS256 ? "RS256" : "ES256";
}

static ips_status fail(char *err, size_t errlen, const char *fmt, const char *arg) {
  snprintf(err, errlen, fmt, arg);
  return IPS_INVALID;
}

static ips_status load_local(const struct ips_config *cfg, struct jwt_keys *k, char *err, size_t errlen) {
  bool files = cfg->jwt_private_key_file || cfg->jwt_public_key_file;
  k->local.iss = strdup(cfg->jwt_issuer);
  k->local.aud = strdup(cfg->jwt_audience);
  if (cfg->jwt_secret && files)
    return fail(err, errlen, "%s", "set IPS_JWT_SECRET or IPS_JWT_PRIVATE_KEY_FILE and IPS_JWT_PUBLIC_KEY_FILE, not both");
  if (cfg->jwt_secret) {
    if (strlen(cfg->jwt_secret) < 32)
      return fail(err, errlen, "%s", "IPS_JWT_SECRET must be at least 32 bytes");
    k->local.alg = JWT_ALG_HS256;
    k->sign_len = k->local.verify_len = strlen(cfg->jwt_secret);
    k->sign_key = (unsigned char *)strdup(cfg->jwt_secret);
    k->local.verify_key = (unsigned char *)strdup(cfg->jwt_secret);
    return k->sign_key && k->local.verify_key ? IPS_OK : IPS_ERROR;
  }
  if (!files)
    return fail(err, errlen, "%s", "no signing key: set IPS_JWT_SECRET (HS256, at least 32 bytes) or "
                "IPS_JWT_PRIVATE_KEY_FILE and IPS_JWT_PUBLIC_KEY_FILE (RS256/ES256)");
  if (!cfg->jwt_private_key_file || !cfg->jwt_public_key_file)
    return fail(err, errlen, "%s", "IPS_JWT_PRIVATE_KEY_FILE and IPS_JWT_PUBLIC_KEY_FILE go together");
  if ((k->sign_key = read_file(cfg->jwt_private_key_file, &k->sign_len)) == NULL)
    return fail(err, errlen, "IPS_JWT_PRIVATE_KEY_FILE: cannot read %.200s", cfg->jwt_private_key_file);
  if ((k->local.verify_key = read_file(cfg->jwt_public_key_file, &k->local.verify_len)) == NULL)
    return fail(err, errlen, "IPS_JWT_PUBLIC_KEY_FILE: cannot read %.200s", cfg->jwt_public_key_file);
  if (!inspect_public_key(k->local.verify_key, k->local.verify_len, &k->local.alg, &k->jwk, k->kid))
    return fail(err, errlen, "%s", "IPS_JWT_PUBLIC_KEY_FILE must be a PEM 'BEGIN PUBLIC KEY' of an "
                "RSA key of at least 2048 bits or a P-256 EC key");
  return IPS_OK;
}

static ips_status load_trusted(const char *path, struct jwt_keys *k, char *err, size_t errlen) {
  json_error_t jerr;
  json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *entry;
  size_t i;
  ips_status st = IPS_INVALID;
  if (!json_is_array(doc) || json_array_size(doc) > MAX_TRUSTED) {
    snprintf(err, errlen, "IPS_TRUSTED_ISSUERS: %.200s must hold a JSON array of at most %d "
             "{\"iss\", \"aud\", \"alg\", \"public_key_file\"}", path, MAX_TRUSTED);
    goto out;
  }
  json_array_foreach(doc, i, entry) {
    const char *iss = json_string_value(json_object_get(entry, "iss"));
    const char *aud = json_string_value(json_object_get(entry, "aud"));
    const char *alg = json_string_value(json_object_get(entry, "alg"));
    const char *file = json_string_value(json_object_get(entry, "public_key_file"));
    struct issuer *t = &k->trusted[k->ntrusted];
    if (!iss || !aud || !alg || !file || json_object_size(entry) != 4) {
      snprintf(err, errlen, "IPS_TRUSTED_ISSUERS: entry %zu needs exactly iss, aud, alg and public_key_file", i);
      goto out;
    }
    if (strcmp(iss, k->local.iss) == 0) {
      snprintf(err, errlen, "IPS_TRUSTED_ISSUERS: entry %zu has this service's own issuer", i);
      goto out;
    }
    if (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0) {
      snprintf(err, errlen, "IPS_TRUSTED_ISSUERS: entry %zu: alg must be RS256 or ES256", i);
      goto out;
    }
    t->iss = strdup(iss);
    t->aud = strdup(aud);
    k->ntrusted++;
    t->verify_key = read_file(file, &t->verify_len);
    jwt_alg_t found;
    if (t->verify_key == NULL || !inspect_public_key(t->verify_key, t->verify_len, &found, NULL, NULL) ||
        strcmp(alg_name(found), alg) != 0) {
      snprintf(err, errlen, "IPS_TRUSTED_ISSUERS: entry %zu: %.200s is not a readable PEM public key for %s",
               i, file, alg);
      goto out;
    }
    t->alg = found;
  }
  st = IPS_OK;
out:
  json_decref(doc);
  return st;
}

ips_status jwt_keys_load(const struct ips_config *cfg, struct jwt_keys **out, char *err, size_t errlen) {
  struct jwt_keys *k = calloc(1, sizeof *k);
  *out = k;
  if (k == NULL) return IPS_ERROR;
  ips_status st = load_local(cfg, k, err, errlen);
  if (st == IPS_OK && cfg->trusted_issuers_file) st = load_trusted(cfg->trusted_issuers_file, k, err, errlen);
  if (st != IPS_OK) return st;
  /* A private key that does not match the public one would make every token
   * we issue fail to verify: find out now. */
  long long exp;
  const char *why;
  struct jwt_claims c;
  char *probe = jwt_issue(k, "00000000-0000-0000-0000-000000000000", "probe", "auditor", time(NULL), &exp);
  if (probe == NULL || jwt_verify(k, probe, time(NULL), 0, &c, &why) != IPS_OK) {
    free(probe);
    return fail(err, errlen, "%s", "IPS_JWT_PRIVATE_KEY_FILE does not sign tokens that "
                "IPS_JWT_PUBLIC_KEY_FILE verifies (or the key is not usable)");
  }
  free(probe);
  return IPS_OK;
}

static void issuer_free(struct issuer *i) {
  free(i->iss);
  free(i->aud);
  free(i->verify_key);
}

void jwt_keys_free(struct jwt_keys *k) {
  if (k == NULL) return;
  issuer_free(&k->local);
  for (size_t i = 0; i < k->ntrusted; i++) issuer_free(&k->trusted[i]);
  free(k->sign_key);
  json_decref(k->jwk);
  free(k);
}

/* Decodes one base64url segment holding a JSON object: a new reference or NULL. */
static json_t *decode_segment(const char *seg, size_t n) {
  char *copy = strndup(seg, n);
  size_t len;
  unsigned char *raw = copy ? base64url_decode(copy, &len) : NULL;
  free(copy);
  json_t *doc = raw ? json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
  free(raw);
  if (doc && !json_is_object(doc)) {
    json_decref(doc);
    doc = NULL;
  }
  return doc;
}

static const struct issuer *find_issuer(const struct jwt_keys *k, const char *iss) {
  if (strcmp(iss, k->local.iss) == 0) return &k->local;
  for (size_t i = 0; i < k->ntrusted; i++)
    if (strcmp(iss, k->trusted[i].iss) == 0) return &k->trusted[i];
  return NULL;
}

static bool audience_matches(json_t *aud, const char *want) {
  if (json_is_string(aud)) return strcmp(json_string_value(aud), want) == 0;
  size_t i;
  json_t *v;
  if (!json_is_array(aud)) return false;
  json_array_foreach(aud, i, v) if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return true;
  return false;
}

static bool copy_string(json_t *v, char *out, size_t cap) {
  const char *s = json_string_value(v);
  if (s == NULL || *s == '\0' || strlen(s) >= cap) return false;
  memcpy(out, s, strlen(s) + 1);
  return true;
}

/* The claims checks, after the signature has been verified. */
static const char *check_claims(json_t *p, const struct issuer *is, time_t now, unsigned leeway,
                                struct jwt_claims *c) {
  json_t *exp = json_object_get(p, "exp"), *nbf = json_object_get(p, "nbf"), *iat = json_object_get(p, "iat");
  policy_role role;
  if (!json_is_integer(exp)) return "the token has no exp";
  if ((long long)now > json_integer_value(exp) + (long long)leeway) return "the token has expired";
  if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) > (long long)now + leeway))
    return "the token is not valid yet";
  if (!json_is_integer(iat) || json_integer_value(iat) > (long long)now + leeway)
    return "the token's iat is missing or in the future";
  if (!audience_matches(json_object_get(p, "aud"), is->aud)) return "the token is for another audience";
  if (!copy_string(json_object_get(p, "sub"), c->sub, sizeof c->sub)) return "the token's sub is missing or too long";
  if (!json_is_string(json_object_get(p, "jti"))) return "the token has no jti";
  if (!copy_string(json_object_get(p, "role"), c->role, sizeof c->role) || !policy_role_parse(c->role, &role))
    return "the token's role is unknown";
  if (!copy_string(json_object_get(p, "partner"), c->partner, sizeof c->partner) ||
      !ids_code_slug_valid(c->partner, 2, 32))
    return "the token's partner is malformed";
  snprintf(c->iss, sizeof c->iss, "%s", is->iss);
  c->exp = json_integer_value(exp);
  return NULL;
}

ips_status jwt_verify(const struct jwt_keys *k, const char *token, time_t now, unsigned leeway,
                      struct jwt_claims *c, const char **why) {
  json_t *header = NULL, *payload = NULL;
  jwt_t *jwt = NULL;
  memset(c, 0, sizeof *c);
  *why = "the token is malformed";
  size_t len = strlen(token);
  const char *dot1 = memchr(token, '.', len);
  const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (len > JWT_MAX_TOKEN || !dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) ||
      dot2[1] == '\0')
    goto fail;
  header = decode_segment(token, (size_t)(dot1 - token));
  payload = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  if (header == NULL || payload == NULL) goto fail;
  const char *alg = json_string_value(json_object_get(header, "alg"));
  const char *iss = json_string_value(json_object_get(payload, "iss"));
  const struct issuer *is = iss ? find_issuer(k, iss) : NULL;
  if (is == NULL) {
    *why = "the token's issuer is not trusted";
    goto fail;
  }
  if (alg == NULL || strcmp(alg, alg_name(is->alg)) != 0 || json_object_get(header, "crit")) {
    *why = "the token's algorithm is not the one configured for its issuer";
    goto fail;
  }
  if (jwt_decode(&jwt, token, is->verify_key, (int)is->verify_len) != 0 || jwt_get_alg(jwt) != is->alg) {
    *why = "the token's signature does not verify";
    goto fail;
  }
  if ((*why = check_claims(payload, is, now, leeway, c)) != NULL) goto fail;
  c->local = is == &k->local;
  json_decref(header);
  json_decref(payload);
  jwt_free(jwt);
  return IPS_OK;
fail:
  json_decref(header);
  json_decref(payload);
  jwt_free(jwt);
  return IPS_INVALID;
}

/*
 * libjwt 1.10 with GnuTLS writes an ES256 signature as R and S zero-padded
 * to 66 bytes each (the P-521 size) instead of the 32 + 32 bytes of RFC 7518
 * §3.4, which other verifiers refuse. Rewrites such a token's signature to
 * the standard form in place (it only gets shorter).
 */
static void es256_signature_to_jose(char *token) {
  char *dot = strrchr(token, '.');
  size_t n;
  unsigned char *sig = dot ? base64url_decode(dot + 1, &n) : NULL;
  if (sig && n == 132) {
    unsigned char jose[64];
    memcpy(jose, sig + 66 - 32, 32);
    memcpy(jose + 32, sig + 132 - 32, 32);
    char *text = base64url_encode(jose, sizeof jose);
    if (text) strcpy(dot + 1, text);
    free(text);
  }
  free(sig);
}

char *jwt_issue(const struct jwt_keys *k, const char *sub, const char *partner, const char *role,
                time_t now, long long *exp) {
  jwt_t *jwt = NULL;
  char jti[33];
  unsigned char bytes[16];
  static const char hex[] = "0123456789abcdef";
  if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) return NULL;
  for (int i = 0; i < 16; i++) {
    jti[2 * i] = hex[bytes[i] >> 4];
    jti[2 * i + 1] = hex[bytes[i] & 15];
  }
  jti[32] = '\0';
  *exp = (long long)now + ACCESS_TOKEN_TTL;
  char *token = NULL;
  if (jwt_new(&jwt) != 0) return NULL;
  if (jwt_set_alg(jwt, k->local.alg, k->sign_key, (int)k->sign_len) == 0 &&
      jwt_add_grant(jwt, "iss", k->local.iss) == 0 && jwt_add_grant(jwt, "aud", k->local.aud) == 0 &&
      jwt_add_grant(jwt, "sub", sub) == 0 && jwt_add_grant(jwt, "partner", partner) == 0 &&
      jwt_add_grant(jwt, "role", role) == 0 && jwt_add_grant(jwt, "jti", jti) == 0 &&
      jwt_add_grant_int(jwt, "iat", (long)now) == 0 && jwt_add_grant_int(jwt, "exp", (long)*exp) == 0 &&
      (k->jwk == NULL || jwt_add_header(jwt, "kid", k->kid) == 0))
    token = jwt_encode_str(jwt);
  jwt_free(jwt);
  if (token && k->local.alg == JWT_ALG_ES256) es256_signature_to_jose(token);
  return token;
}

char *jwt_jwks(const struct jwt_keys *k) {
  json_t *keys = json_array();
  if (k->jwk) json_array_append(keys, k->jwk);
  json_t *doc = json_pack("{s:o}", "keys", keys);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  return text;
}
