/* Unit tests of resource logic that needs no database: CSV fields of the
 * participant export (quoting, formula neutralising), and what a PESEL implies for a beneficiary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "resources/beneficiaries.h"
#include "resources/report_csv.h"
#include "util/strbuf.h"

static void assert_csv(const char *value, const char *expected) {
  struct strbuf b;
  strbuf_init(&b);
  csv_field(&b, value);
  assert_string_equal(b.data ? b.data : "", expected);
  strbuf_free(&b);
}

static void csv_fields_are_quoted_only_when_needed(void **state) {
  (void)state;
  assert_csv("Nowak", "Nowak");
  assert_csv("Łódź", "Łódź");
  assert_csv(NULL, "");
  assert_csv("", "");
  assert_csv("Kowalski, Jan", "\"Kowalski, Jan\"");
  assert_csv("Spółdzielnia \"Razem\"", "\"Spółdzielnia \"\"Razem\"\"\"");
  assert_csv("two\nlines", "\"two\nlines\"");
  assert_csv("cr\rhere", "\"cr\rhere\"");
}

static void assert_csv_text(const char *value, const char *expected) {
  struct strbuf b;
  strbuf_init(&b);
  csv_text_field(&b, value);
  assert_string_equal(b.data ? b.data : "", expected);
  strbuf_free(&b);
}

/* OWASP CSV injection: a text cell a spreadsheet would run as a formula is
 * quoted and starts with a single quote; the text stays readable. */
static void csv_text_fields_that_start_a_formula_are_neutralised(void **state) {
  (void)state;
  assert_csv_text("=HYPERLINK(\"http://evil.example/\",\"x\")",
                  "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\"");
  assert_csv_text("+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\"");
  assert_csv_text("-2+3", "\"'-2+3\"");
  assert_csv_text("@SUM(A1:A9)", "\"'@SUM(A1:A9)\"");
  assert_csv_text("\t=1+1", "\"'\t=1+1\"");
  assert_csv_text("\r=1+1", "\"'\r=1+1\"");
  assert_csv_text("+48 600 100 200", "\"'+48 600 100 200\"");
  assert_csv_text("=a, \"b\"", "\"'=a, \"\"b\"\"\"");
  /* anything else is written as csv_field writes it */
  assert_csv_text("Nowak", "Nowak");
  assert_csv_text("Kowalska-Nowak", "Kowalska-Nowak");
  assert_csv_text("a=b", "a=b");
  assert_csv_text(" =1", " =1");
  assert_csv_text("'quoted", "'quoted");
  assert_csv_text("Kowalski, Jan", "\"Kowalski, Jan\"");
  assert_csv_text(NULL, "");
  assert_csv_text("", "");
  /* values the service writes are left as they are */
  assert_csv("-3", "-3");
  assert_csv("2.50", "2.50");
}

/* Applies the PESEL rules to body; returns the error fields as "a b ". */
static const char *pesel_errors(const char *body, json_t **record) {
  static char out[256];
  json_t *errors = json_array();
  *record = json_loads(body, 0, NULL);
  beneficiaries_apply_pesel(*record, errors);
  out[0] = '\0';
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    strcat(out, json_string_value(json_object_get(e, "field")));
    strcat(out, ":");
    strcat(out, json_string_value(json_object_get(e, "code")));
    strcat(out, " ");
  }
  json_decref(errors);
  return out;
}

static void pesel_fills_birth_date_and_gender(void **state) {
  (void)state;
  json_t *r;
  assert_string_equal(pesel_errors("{\"pesel\":\"44051401359\"}", &r), "");
  assert_string_equal(json_string_value(json_object_get(r, "birth_date")), "1944-05-14");
  assert_string_equal(json_string_value(json_object_get(r, "gender")), "male");
  json_decref(r);
  assert_string_equal(pesel_errors("{\"pesel\":\"02270803624\"}", &r), ""); /* 2002-07-08, female */
  assert_string_equal(json_string_value(json_object_get(r, "birth_date")), "2002-07-08");
  assert_string_equal(json_string_value(json_object_get(r, "gender")), "female");
  json_decref(r);
}

static void pesel_must_agree(void **state) {
  (void)state;
  json_t *r;
  assert_string_equal(pesel_errors("{\"pesel\":\"44051401359\",\"birth_date\":\"1944-05-15\",\"gender\":\"female\"}", &r),
                      "birth_date:invalid gender:invalid ");
  json_decref(r);
  assert_string_equal(pesel_errors("{\"pesel\":\"44051401358\"}", &r), "pesel:invalid_checksum gender:required ");
  json_decref(r);
  assert_string_equal(pesel_errors("{}", &r), "gender:required ");
  json_decref(r);
  assert_string_equal(pesel_errors("{\"gender\":\"male\",\"support_start\":\"2025-05-01\",\"support_end\":\"2025-04-30\"}", &r),
                      "support_end:invalid ");
  json_decref(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(csv_fields_are_quoted_only_when_needed),
    cmocka_unit_test(csv_text_fields_that_start_a_formula_are_neutralised),
    cmocka_unit_test(pesel_fills_birth_date_and_gender),
    cmocka_unit_test(pesel_must_agree),
  };
  return cmocka_run_group_tests_name("resources", tests, NULL, NULL);
}
