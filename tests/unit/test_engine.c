/* Unit tests of the resource engine's pure parts: merge patch and body
 * validation against a descriptor. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "resource/resource.h"

static json_t *parse(const char *text) { return json_loads(text, JSON_DECODE_ANY, NULL); }

/* RFC 7396 appendix A, one row: target + patch = result. */
static void assert_merge(const char *target, const char *patch, const char *result) {
  json_t *t = parse(target), *p = parse(patch), *want = parse(result);
  if (json_is_object(t) && json_is_object(p)) {
    assert_true(merge_patch_apply(t, p));
    char *got = json_dumps(t, JSON_SORT_KEYS | JSON_COMPACT), *exp = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    if (!json_equal(t, want)) fail_msg("%s + %s gave %s, expected %s", target, patch, got, exp);
    free(got);
    free(exp);
  } else {
    assert_false(merge_patch_apply(t, p));
  }
  json_decref(t);
  json_decref(p);
  json_decref(want);
}

static void merge_patch_rfc7396_examples(void **state) {
  (void)state;
  assert_merge("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  assert_merge("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
  assert_merge("{\"a\":\"b\"}", "{\"a\":null}", "{}");
  assert_merge("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
  assert_merge("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  assert_merge("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
  assert_merge("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
  assert_merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
  assert_merge("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
  assert_merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
  assert_merge("{\"a\":\"foo\"}", "[\"a\"]", "[\"a\"]"); /* not an object: refused */
}

static const char *const COLOURS[] = {"red", "green", NULL};
static bool no_x(const char *s) { return strchr(s, 'x') == NULL; }

static const struct field FIELDS[] = {
  {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 5, .valid = no_x,
   .invalid_code = "invalid_checksum"},
  {.name = "colour", .type = FIELD_ENUM, .values = COLOURS},
  {.name = "count", .type = FIELD_INT, .min = 0, .max = 10},
  {.name = "on", .type = FIELD_BOOL},
  {.name = "day", .type = FIELD_DATE},
  {.name = "state", .type = FIELD_ENUM, .values = COLOURS, .column_default = "'red'"},
  {.name = "secret", .type = FIELD_STRING, .flags = FIELD_WRITE_ONLY | FIELD_REQUIRED, .min = 3, .max = 9},
};

static struct resource thing = {
  .name = "things", .table = "things", .fields = FIELDS, .nfields = sizeof FIELDS / sizeof FIELDS[0],
};

/* The "field:code" pairs of errors, sorted into one string. */
static char *codes(json_t *errors) {
  static char out[512];
  out[0] = '\0';
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    strcat(out, json_string_value(json_object_get(e, "field")));
    strcat(out, ":");
    strcat(out, json_string_value(json_object_get(e, "code")));
    strcat(out, " ");
    /* each error carries a JSON pointer to its field */
    char pointer[64];
    snprintf(pointer, sizeof pointer, "/%s", json_string_value(json_object_get(e, "field")));
    assert_string_equal(json_string_value(json_object_get(e, "pointer")), pointer);
  }
  return out;
}

static void assert_errors(const char *body, bool creating, const char *expected) {
  json_t *obj = parse(body), *errors = json_array();
  resource_validate_mode(&thing, obj, creating, errors);
  const char *got = codes(errors);
  if (strcmp(got, expected) != 0) fail_msg("%s: got '%s', expected '%s'", body, got, expected);
  json_decref(obj);
  json_decref(errors);
}

static void valid_bodies_have_no_errors(void **state) {
  (void)state;
  assert_errors("{\"name\":\"ab\",\"secret\":\"abcd\"}", true, "");
  assert_errors("{\"name\":\"żółć\",\"colour\":\"red\",\"count\":10,\"on\":false,\"day\":\"2024-02-29\",\"secret\":\"abc\"}",
                true, "");
  assert_errors("{\"name\":\"ab\",\"state\":\"red\"}", false, ""); /* a write-only field need not come back */
  assert_errors("{\"name\":\"ab\",\"colour\":null,\"secret\":\"abc\"}", true, "");
}

static void every_bad_field_is_reported(void **state) {
  (void)state;
  assert_errors("{}", true, "name:required secret:required ");
  assert_errors("{\"name\":\"\",\"secret\":\"ab\"}", true, "name:required secret:too_short ");
  assert_errors("{\"name\":\"abcdef\",\"secret\":\"abc\"}", true, "name:too_long ");
  assert_errors("{\"name\":\"axe\",\"secret\":\"abc\"}", true, "name:invalid_checksum ");
  assert_errors("{\"name\":1,\"colour\":\"blue\",\"count\":11,\"on\":\"yes\",\"day\":\"2023-02-29\",\"secret\":\"abc\"}",
                true, "name:invalid colour:invalid count:invalid on:invalid day:invalid ");
  assert_errors("{\"name\":\"ab\",\"count\":1.5,\"secret\":\"abc\"}", true, "count:invalid ");
  assert_errors("{\"name\":\"ab\",\"secret\":\"abc\",\"id\":\"x\",\"version\":2,\"extra\":1}", true,
                "id:read_only version:read_only extra:unknown_field ");
  assert_errors("{\"name\":null,\"state\":\"red\"}", false, "name:required ");
}

/* A field with a column default takes it when a create leaves it out, but
 * an update (a merge patch's null removes the member) may not clear it. */
static void defaulted_field_is_not_null_on_update(void **state) {
  (void)state;
  assert_errors("{\"name\":\"ab\",\"secret\":\"abc\"}", true, "");
  assert_errors("{\"name\":\"ab\",\"state\":null,\"secret\":\"abc\"}", true, "");
  assert_errors("{\"name\":\"ab\",\"state\":\"green\"}", false, "");
  assert_errors("{\"name\":\"ab\"}", false, "state:invalid ");
  assert_errors("{\"name\":\"ab\",\"state\":null}", false, "state:invalid ");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(merge_patch_rfc7396_examples),
    cmocka_unit_test(valid_bodies_have_no_errors),
    cmocka_unit_test(every_bad_field_is_reported),
    cmocka_unit_test(defaulted_field_is_not_null_on_update),
  };
  return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
