/* Unit tests of password hashing: the PHC form is argon2's own, both ways,
 * and a missing or malformed hash is simply false. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <argon2.h>
#include <string.h>

#include "auth/password.h"

static void hashes_verify_both_ways_with_libargon2(void **state) {
  (void)state;
  char ours[PASSWORD_HASH_MAX];
  assert_int_equal(password_hash("correct horse battery", ours), IPS_OK);
  assert_true(strncmp(ours, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
  assert_int_equal(argon2id_verify(ours, "correct horse battery", 21), ARGON2_OK);
  assert_true(password_verify(ours, "correct horse battery"));
  assert_false(password_verify(ours, "correct horse batterY"));

  char theirs[PASSWORD_HASH_MAX];
  const uint8_t salt[16] = "0123456789abcdef";
  assert_int_equal(argon2id_hash_encoded(1, 1024, 1, "zażółć gęślą", strlen("zażółć gęślą"), salt,
                                         sizeof salt, 32, theirs, sizeof theirs), ARGON2_OK);
  assert_true(password_verify(theirs, "zażółć gęślą"));
  assert_false(password_verify(theirs, "zazolc gesla"));
}

static void missing_or_malformed_hashes_are_false(void **state) {
  (void)state;
  assert_false(password_verify(NULL, "anything at all"));
  assert_false(password_verify("", "anything at all"));
  assert_false(password_verify("$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x"));
  assert_false(password_verify("$argon2id$v=19$m=19456,t=2,p=1$!!!$???", "x"));
  assert_false(password_verify("$argon2id$v=19$m=0,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x"));
  /* the dummy is a real hash of a password nobody knows */
  assert_true(strncmp(password_dummy_hash(), "$argon2id$", 10) == 0);
  assert_false(password_verify(password_dummy_hash(), ""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(hashes_verify_both_ways_with_libargon2),
    cmocka_unit_test(missing_or_malformed_hashes_are_false),
  };
  return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
