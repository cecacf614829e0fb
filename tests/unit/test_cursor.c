/* Unit tests of base64url and keyset cursors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "resource/cursor.h"
#include "util/base64url.h"

static void base64url_vectors(void **state) {
  (void)state;
  static const struct { const char *plain, *coded; } v[] = {
    {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char *coded = base64url_encode((const unsigned char *)v[i].plain, strlen(v[i].plain));
    assert_string_equal(coded, v[i].coded);
    size_t n;
    unsigned char *plain = base64url_decode(coded, &n);
    assert_non_null(plain);
    assert_int_equal(n, strlen(v[i].plain));
    assert_memory_equal(plain, v[i].plain, n);
    free(plain);
    free(coded);
  }
}

static void base64url_rejects_other_alphabets(void **state) {
  (void)state;
  size_t n;
  assert_null(base64url_decode("Zm9v+", &n));
  assert_null(base64url_decode("Zm8=", &n));
  assert_null(base64url_decode("Z", &n));
  assert_null(base64url_decode("Zh", &n)); /* non-zero leftover bits */
  assert_null(base64url_decode("a b", &n));
}

static void cursor_round_trip(void **state) {
  (void)state;
  const char *keys[] = {"Łubniany", "1609052"};
  char *c = cursor_encode("-name", keys, 2);
  assert_non_null(c);
  char *out[2] = {NULL, NULL};
  assert_int_equal(cursor_decode(c, "-name", 2, out), IPS_OK);
  assert_string_equal(out[0], "Łubniany");
  assert_string_equal(out[1], "1609052");
  free(out[0]);
  free(out[1]);
  free(c);
}

static void cursor_of_another_sort_is_refused(void **state) {
  (void)state;
  const char *keys[] = {"1604013"};
  char *c = cursor_encode("teryt", keys, 1);
  char *out[2] = {NULL, NULL};
  assert_int_equal(cursor_decode(c, "-teryt", 1, out), IPS_INVALID);
  assert_int_equal(cursor_decode(c, "teryt", 2, out), IPS_INVALID);
  assert_null(out[0]);
  free(c);
}

static void cursor_garbage_is_refused(void **state) {
  (void)state;
  char *out[2] = {NULL, NULL};
  assert_int_equal(cursor_decode("garbage!", "teryt", 1, out), IPS_INVALID);
  assert_int_equal(cursor_decode("Z2FyYmFnZQ", "teryt", 1, out), IPS_INVALID); /* "garbage" */
  /* {"s":"teryt","k":[1]}: a number where a string belongs */
  char *c = base64url_encode((const unsigned char *)"{\"s\":\"teryt\",\"k\":[1]}", 21);
  assert_int_equal(cursor_decode(c, "teryt", 1, out), IPS_INVALID);
  free(c);
  /* an extra member */
  const char *doc = "{\"s\":\"teryt\",\"k\":[\"1\"],\"x\":1}";
  c = base64url_encode((const unsigned char *)doc, strlen(doc));
  assert_int_equal(cursor_decode(c, "teryt", 1, out), IPS_INVALID);
  free(c);
  char longc[CURSOR_MAX_LENGTH + 2];
  memset(longc, 'A', sizeof longc - 1);
  longc[sizeof longc - 1] = '\0';
  assert_int_equal(cursor_decode(longc, "teryt", 1, out), IPS_INVALID);
  assert_null(out[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(base64url_vectors),
    cmocka_unit_test(base64url_rejects_other_alphabets),
    cmocka_unit_test(cursor_round_trip),
    cmocka_unit_test(cursor_of_another_sort_is_refused),
    cmocka_unit_test(cursor_garbage_is_refused),
  };
  return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
