/*
 * test_token_cache.c - the cache of verified tokens: a hit needs the very
 * same token text, never only the same slot; entries age out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/token_cache.h"

static const struct jwt_claims alice = {"alice", "byczyna", "coordinator", "ips-api", 2000000000LL, true};

static void a_verified_token_is_found_again(void **state) {
  (void)state;
  struct token_cache *c = token_cache_create();
  assert_non_null(c);
  const char *t = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
  struct jwt_claims out;
  assert_false(token_cache_get(c, t, strlen(t), 1000, 0, &out));
  token_cache_put(c, t, strlen(t), &alice, 1000);
  assert_true(token_cache_get(c, t, strlen(t), 1005, 0, &out));
  assert_string_equal(out.sub, "alice");
  assert_string_equal(out.role, "coordinator");
  /* trusted for TOKEN_CACHE_RECHECK_S only */
  assert_false(token_cache_get(c, t, strlen(t), 1000 + TOKEN_CACHE_RECHECK_S, 0, &out));
  token_cache_destroy(c);
}

static void a_token_differing_in_one_byte_is_not_a_hit(void **state) {
  (void)state;
  struct token_cache *c = token_cache_create();
  char t[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
  token_cache_put(c, t, strlen(t), &alice, 1000);
  struct jwt_claims out;
  for (size_t i = 0; i < strlen(t); i++) {
    char saved = t[i];
    t[i] = saved == 'x' ? 'y' : 'x';
    if (token_cache_get(c, t, strlen(t), 1001, 0, &out)) fail_msg("a token changed at byte %zu was a hit", i);
    t[i] = saved;
  }
  /* a prefix is not the token either */
  assert_false(token_cache_get(c, t, strlen(t) - 1, 1001, 0, &out));
  token_cache_destroy(c);
}

static void an_expired_or_overlong_token_is_not_a_hit(void **state) {
  (void)state;
  struct token_cache *c = token_cache_create();
  const char *t = "a.b.c";
  struct jwt_claims soon = alice;
  soon.exp = 1003;
  token_cache_put(c, t, strlen(t), &soon, 1000);
  struct jwt_claims out;
  assert_true(token_cache_get(c, t, strlen(t), 1003, 0, &out));
  assert_false(token_cache_get(c, t, strlen(t), 1004, 0, &out));
  assert_true(token_cache_get(c, t, strlen(t), 1004, 5, &out)); /* leeway */
  static char big[TOKEN_CACHE_MAX_TOKEN + 2];
  memset(big, 'a', sizeof big - 1);
  token_cache_put(c, big, strlen(big), &alice, 1000);
  assert_false(token_cache_get(c, big, strlen(big), 1001, 0, &out));
  token_cache_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_verified_token_is_found_again),
    cmocka_unit_test(a_token_differing_in_one_byte_is_not_a_hit),
    cmocka_unit_test(an_expired_or_overlong_token_is_not_a_hit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
