/* Unit tests of token verification: the checks that do not need a server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "config.h"
#include "util/base64url.h"

#define SECRET "unit-test-secret-of-at-least-32-bytes!!"
#define NOW 1800000000

static struct jwt_keys *keys;

static int setup(void **state) {
  (void)state;
  struct ips_config cfg;
  char err[256];
  memset(&cfg, 0, sizeof cfg);
  cfg.jwt_secret = SECRET;
  cfg.jwt_issuer = "ips-api";
  cfg.jwt_audience = "ips";
  return jwt_keys_load(&cfg, &keys, err, sizeof err) == IPS_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  jwt_keys_free(keys);
  return 0;
}

/* Signs payload (a JSON object text) with alg and key using libjwt directly;
 * returns a new token string. */
static char *sign(const char *payload, jwt_alg_t alg, const char *key) {
  jwt_t *jwt;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, payload);
  jwt_set_alg(jwt, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0);
  char *token = jwt_encode_str(jwt);
  jwt_free(jwt);
  return token;
}

static const char *GOOD =
    "{\"iss\":\"ips-api\",\"aud\":\"ips\",\"sub\":\"00000000-0000-0000-0000-000000000001\","
    "\"exp\":1800000600,\"iat\":1800000000,\"jti\":\"j1\",\"partner\":\"byczyna\",\"role\":\"coordinator\"}";

static ips_status verify(const char *token, const char **why) {
  struct jwt_claims c;
  return jwt_verify(keys, token, NOW, 30, &c, why);
}

static void issued_token_verifies(void **state) {
  (void)state;
  long long exp;
  char *t = jwt_issue(keys, "00000000-0000-0000-0000-000000000002", "chorzow", "advisor", NOW, &exp);
  struct jwt_claims c;
  const char *why = NULL;
  assert_int_equal(jwt_verify(keys, t, NOW + 10, 30, &c, &why), IPS_OK);
  assert_string_equal(c.partner, "chorzow");
  assert_string_equal(c.role, "advisor");
  assert_string_equal(c.iss, "ips-api");
  assert_true(c.local);
  assert_int_equal(exp, NOW + ACCESS_TOKEN_TTL);
  assert_int_equal(c.exp, exp);
  free(t);
}

static void good_token_verifies(void **state) {
  (void)state;
  char *t = sign(GOOD, JWT_ALG_HS256, SECRET);
  const char *why;
  assert_int_equal(verify(t, &why), IPS_OK);
  free(t);
}

static void wrong_secret_is_refused(void **state) {
  (void)state;
  char *t = sign(GOOD, JWT_ALG_HS256, "another-secret-of-at-least-32-bytes!!!");
  const char *why;
  assert_int_equal(verify(t, &why), IPS_INVALID);
  assert_non_null(strstr(why, "signature"));
  free(t);
}

static void alg_none_is_refused(void **state) {
  (void)state;
  char *t = sign(GOOD, JWT_ALG_NONE, NULL);
  const char *why;
  assert_int_equal(verify(t, &why), IPS_INVALID);
  free(t);
  /* none with a made-up signature segment */
  char *h = base64url_encode((const unsigned char *)"{\"alg\":\"none\"}", 14);
  char *p = base64url_encode((const unsigned char *)GOOD, strlen(GOOD));
  char forged[2048];
  snprintf(forged, sizeof forged, "%s.%s.c2ln", h, p);
  assert_int_equal(verify(forged, &why), IPS_INVALID);
  free(h);
  free(p);
}

static void hs512_is_refused(void **state) {
  (void)state;
  char *t = sign(GOOD, JWT_ALG_HS512, SECRET);
  const char *why;
  assert_int_equal(verify(t, &why), IPS_INVALID);
  assert_non_null(strstr(why, "algorithm"));
  free(t);
}

/* Signs GOOD with one member replaced (or removed when value is NULL). */
static char *sign_with(const char *member, const char *value_json) {
  json_t *doc = json_loads(GOOD, 0, NULL);
  if (value_json) json_object_set_new(doc, member, json_loads(value_json, JSON_DECODE_ANY, NULL));
  else json_object_del(doc, member);
  char *payload = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  char *t = sign(payload, JWT_ALG_HS256, SECRET);
  free(payload);
  return t;
}

static void assert_refused_with(const char *member, const char *value_json) {
  char *t = sign_with(member, value_json);
  const char *why;
  if (verify(t, &why) != IPS_INVALID) fail_msg("%s=%s was accepted", member, value_json ? value_json : "(absent)");
  free(t);
}

static void assert_accepted_with(const char *member, const char *value_json) {
  char *t = sign_with(member, value_json);
  const char *why = "";
  if (verify(t, &why) != IPS_OK) fail_msg("%s=%s was refused: %s", member, value_json, why);
  free(t);
}

static void claims_are_checked(void **state) {
  (void)state;
  assert_refused_with("exp", "1799999960");          /* expired 40 s ago, leeway 30 */
  assert_accepted_with("exp", "1799999980");         /* expired 20 s ago: within leeway */
  assert_refused_with("exp", NULL);
  assert_refused_with("exp", "\"1800000600\"");
  assert_refused_with("nbf", "1800000060");          /* not valid for another minute */
  assert_accepted_with("nbf", "1800000020");
  assert_refused_with("iat", "1800000100");          /* issued in the future */
  assert_refused_with("iat", NULL);
  assert_refused_with("iss", "\"someone-else\"");
  assert_refused_with("iss", NULL);
  assert_refused_with("aud", "\"other\"");
  assert_refused_with("aud", NULL);
  assert_accepted_with("aud", "[\"other\", \"ips\"]");
  assert_refused_with("aud", "[\"other\"]");
  assert_refused_with("role", "\"superuser\"");
  assert_refused_with("role", "\"Admin\"");
  assert_refused_with("partner", "\"Not A Code\"");
  assert_refused_with("partner", NULL);
  assert_refused_with("jti", NULL);
  assert_refused_with("sub", "\"\"");
  assert_refused_with("sub", NULL);
}

static void malformed_tokens_are_refused(void **state) {
  (void)state;
  const char *why;
  assert_int_equal(verify("", &why), IPS_INVALID);
  assert_int_equal(verify("abc", &why), IPS_INVALID);
  assert_int_equal(verify("a.b", &why), IPS_INVALID);
  assert_int_equal(verify("a.b.c.d", &why), IPS_INVALID);
  assert_int_equal(verify("!!!.???.***", &why), IPS_INVALID);
  char *t = sign(GOOD, JWT_ALG_HS256, SECRET);
  t[strlen(t) - 1] = '\0'; /* signature cut short */
  assert_int_equal(verify(t, &why), IPS_INVALID);
  free(t);
  char big[JWT_MAX_TOKEN + 10];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  big[10] = '.';
  big[20] = '.';
  assert_int_equal(verify(big, &why), IPS_INVALID);
}

static void jwks_is_empty_for_hs256(void **state) {
  (void)state;
  char *text = jwt_jwks(keys);
  assert_string_equal(text, "{\"keys\":[]}");
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(issued_token_verifies),
    cmocka_unit_test(good_token_verifies),
    cmocka_unit_test(wrong_secret_is_refused),
    cmocka_unit_test(alg_none_is_refused),
    cmocka_unit_test(hs512_is_refused),
    cmocka_unit_test(claims_are_checked),
    cmocka_unit_test(malformed_tokens_are_refused),
    cmocka_unit_test(jwks_is_empty_for_hs256),
  };
  return cmocka_run_group_tests_name("jwt", tests, setup, teardown);
}
