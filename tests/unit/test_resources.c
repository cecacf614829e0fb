/* Unit tests of resource logic that needs no database: CSV rows of the
 * participant export (COPY's quoting kept, formula neutralising), and what a PESEL implies for a beneficiary. */
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

/* Rewrites one COPY CSV row of the columns id (a value), name (text) and
 * hours (a value) as the export writes it. */
static void assert_copy_row(const char *copy_row, const char *expected) {
  static const struct csv_column columns[] = {{"id", false}, {"name", true}, {"hours", false}};
  struct strbuf b;
  strbuf_init(&b);
  csv_copy_row(&b, copy_row, strlen(copy_row), columns, 3);
  assert_string_equal(b.data ? b.data : "", expected);
  strbuf_free(&b);
}

/* What COPY quotes stays quoted, an empty string is an empty field as NULL
 * is, and every line ends in CRLF (RFC 4180). */
static void csv_rows_from_copy_keep_its_quoting_and_end_in_crlf(void **state) {
  (void)state;
  assert_copy_row("1,Nowak,2.50\n", "1,Nowak,2.50\r\n");
  assert_copy_row("1,Łódź,2.50\n", "1,Łódź,2.50\r\n");
  assert_copy_row("1,,\n", "1,,\r\n");
  assert_copy_row("1,\"\",\n", "1,,\r\n");
  assert_copy_row("1,\"Kowalski, Jan\",3\n", "1,\"Kowalski, Jan\",3\r\n");
  assert_copy_row("1,\"Spółdzielnia \"\"Razem\"\"\",3\n", "1,\"Spółdzielnia \"\"Razem\"\"\",3\r\n");
  assert_copy_row("1,\"two\nlines\",3\n", "1,\"two\nlines\",3\r\n");
  assert_copy_row("1,\"cr\rhere\",3\n", "1,\"cr\rhere\",3\r\n");
  assert_copy_row("1,\"a,\"\"b\nc\"\"\",\n", "1,\"a,\"\"b\nc\"\"\",\r\n");
}

/* OWASP CSV injection: a text cell a spreadsheet would run as a formula is
 * quoted and starts with a single quote; the text stays readable. */
static void csv_text_cells_that_start_a_formula_are_neutralised(void **state) {
  (void)state;
  assert_copy_row("1,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\",2\n",
                  "1,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\",2\r\n");
  assert_copy_row("1,+cmd|' /C calc'!A0,2\n", "1,\"'+cmd|' /C calc'!A0\",2\r\n");
  assert_copy_row("1,-2+3,2\n", "1,\"'-2+3\",2\r\n");
  assert_copy_row("1,@SUM(A1:A9),2\n", "1,\"'@SUM(A1:A9)\",2\r\n");
  assert_copy_row("1,\t=1+1,2\n", "1,\"'\t=1+1\",2\r\n");
  assert_copy_row("1,\"\r=1+1\",2\n", "1,\"'\r=1+1\",2\r\n");
  assert_copy_row("1,+48 600 100 200,2\n", "1,\"'+48 600 100 200\",2\r\n");
  assert_copy_row("1,\"=a, \"\"b\"\"\",2\n", "1,\"'=a, \"\"b\"\"\",2\r\n");
  /* anything else is written as COPY wrote it */
  assert_copy_row("1,Kowalska-Nowak,2\n", "1,Kowalska-Nowak,2\r\n");
  assert_copy_row("1,a=b,2\n", "1,a=b,2\r\n");
  assert_copy_row("1, =1,2\n", "1, =1,2\r\n");
  assert_copy_row("1,'quoted,2\n", "1,'quoted,2\r\n");
  /* values the service writes are left as they are: a negative age, hours */
  assert_copy_row("-3,Nowak,-2.50\n", "-3,Nowak,-2.50\r\n");
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
    cmocka_unit_test(csv_rows_from_copy_keep_its_quoting_and_end_in_crlf),
    cmocka_unit_test(csv_text_cells_that_start_a_formula_are_neutralised),
    cmocka_unit_test(pesel_fills_birth_date_and_gender),
    cmocka_unit_test(pesel_must_agree),
  };
  return cmocka_run_group_tests_name("resources", tests, NULL, NULL);
}
