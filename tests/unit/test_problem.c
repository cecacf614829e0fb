/*
 * test_problem.c - the table of problem kinds and the documents made of it:
 * every kind has a unique slug usable in a URI, an error status, a title and
 * a description; each status's default kind is one of that status; the
 * document names the kind's type, title and status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/problem.h"

static void every_kind_is_complete(void **state) {
  (void)state;
  for (int i = 0; i < PROBLEM_KIND_COUNT; i++) {
    const struct problem_kind *k = problem_kind((enum problem_kind_id)i);
    assert_non_null(k->slug);
    assert_true(strlen(k->slug) > 0);
    assert_int_equal(strspn(k->slug, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(k->slug));
    assert_in_range(k->status, 400, 599);
    assert_non_null(k->title);
    assert_true(strlen(k->title) > 0);
    assert_non_null(k->description);
    assert_true(strlen(k->description) > 40);
  }
}

static void slugs_and_titles_are_unique(void **state) {
  (void)state;
  for (int i = 0; i < PROBLEM_KIND_COUNT; i++)
    for (int j = i + 1; j < PROBLEM_KIND_COUNT; j++) {
      assert_string_not_equal(problem_kind((enum problem_kind_id)i)->slug, problem_kind((enum problem_kind_id)j)->slug);
      assert_string_not_equal(problem_kind((enum problem_kind_id)i)->title, problem_kind((enum problem_kind_id)j)->title);
    }
}

static void a_slug_finds_its_kind(void **state) {
  (void)state;
  for (int i = 0; i < PROBLEM_KIND_COUNT; i++) {
    const struct problem_kind *k = problem_kind((enum problem_kind_id)i);
    assert_ptr_equal(problem_kind_by_slug(k->slug), k);
  }
  assert_null(problem_kind_by_slug("no-such-kind"));
  assert_null(problem_kind_by_slug(""));
  assert_null(problem_kind_by_slug(NULL));
}

static void a_status_defaults_to_a_kind_of_its_own(void **state) {
  (void)state;
  for (int i = 0; i < PROBLEM_KIND_COUNT; i++) {
    long status = problem_kind((enum problem_kind_id)i)->status;
    assert_int_equal(problem_kind(problem_kind_of_status(status))->status, status);
  }
  assert_int_equal(problem_kind_of_status(422), PROBLEM_INVALID_FIELDS);
  assert_int_equal(problem_kind_of_status(400), PROBLEM_MALFORMED_REQUEST);
  assert_int_equal(problem_kind_of_status(418), PROBLEM_MALFORMED_REQUEST);
  assert_int_equal(problem_kind_of_status(599), PROBLEM_INTERNAL_ERROR);
}

static void the_document_names_the_kind(void **state) {
  (void)state;
  char *text = problem_document(PROBLEM_IDEMPOTENCY_KEY_REUSED, "used before", "rid-1", NULL);
  assert_non_null(text);
  json_t *doc = json_loads(text, 0, NULL);
  assert_non_null(doc);
  assert_string_equal(json_string_value(json_object_get(doc, "type")), "/problems/idempotency-key-reused");
  assert_string_equal(json_string_value(json_object_get(doc, "title")), "Idempotency Key Reused");
  assert_int_equal(json_integer_value(json_object_get(doc, "status")), 422);
  assert_string_equal(json_string_value(json_object_get(doc, "detail")), "used before");
  assert_string_equal(json_string_value(json_object_get(doc, "request_id")), "rid-1");
  assert_null(json_object_get(doc, "errors"));
  json_decref(doc);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_kind_is_complete),
    cmocka_unit_test(slugs_and_titles_are_unique),
    cmocka_unit_test(a_slug_finds_its_kind),
    cmocka_unit_test(a_status_defaults_to_a_kind_of_its_own),
    cmocka_unit_test(the_document_names_the_kind),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
