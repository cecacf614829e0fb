/*
 * test_pool.c - the connection pool against the real test database
 * (IPS_TEST_DATABASE_URL, as deploy/test.sh sets it for every test).
 *
 * One connection must take any number of named statements: a fixed table of
 * prepared statements, once full, prepared the next one again on every use
 * and failed with 42P05 (a 500 to the client).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pool.h"

#define NSTATEMENTS 400

static struct db_pool *pool_of_one(bool prepared) {
  const char *url = getenv("IPS_TEST_DATABASE_URL");
  if (url == NULL) fail_msg("IPS_TEST_DATABASE_URL must name the test database");
  struct db_pool_options opt = {url, 1, 2000, prepared};
  struct db_pool *pool = db_pool_create(&opt);
  assert_non_null(pool);
  return pool;
}

static void many_statements_on_one_connection(void **state) {
  (void)state;
  static char names[NSTATEMENTS][32], sql[NSTATEMENTS][48];
  static struct db_statement stmts[NSTATEMENTS];
  for (int i = 0; i < NSTATEMENTS; i++) {
    snprintf(names[i], sizeof names[i], "test_pool_%d", i);
    snprintf(sql[i], sizeof sql[i], "SELECT %d", i);
    stmts[i] = (struct db_statement){names[i], sql[i], 0, false};
  }
  struct db_pool *pool = pool_of_one(true);
  struct db_conn *conn;
  assert_int_equal(db_checkout(pool, &conn), IPS_OK);
  /* twice round: the second time every statement is prepared already */
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < NSTATEMENTS; i++) {
      PGresult *res = NULL;
      ips_status st = db_exec(conn, &stmts[i], NULL, &res);
      if (st != IPS_OK) fail_msg("statement %d of round %d failed (status %d)", i, round, st);
      assert_int_equal(atoi(PQgetvalue(res, 0, 0)), i);
      PQclear(res);
    }
  assert_true(db_pool_prepared_max(pool) >= NSTATEMENTS);
  db_checkin(conn);
  db_pool_destroy(pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(many_statements_on_one_connection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
