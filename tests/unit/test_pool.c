/*
 * test_pool.c - the connection pool against the real test database
 * (IPS_TEST_DATABASE_URL, as deploy/test.sh sets it for every test).
 *
 * One connection must take any number of named statements: a fixed table of
 * prepared statements, once full, prepared the next one again on every use
 * and failed with 42P05 (a 500 to the client).
 *
 * A connection checked in while threads wait goes to the one that waited
 * longest: with a shared condition variable, newcomers took it first and a
 * waiter could starve until its checkout timeout (a long tail of latency).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "db/pool.h"

#define NSTATEMENTS 400

static struct db_pool *pool_of_one_waiting(bool prepared, unsigned checkout_timeout_ms) {
  const char *url = getenv("IPS_TEST_DATABASE_URL");
  if (url == NULL) fail_msg("IPS_TEST_DATABASE_URL must name the test database");
  struct db_pool_options opt = {url, 1, checkout_timeout_ms, prepared};
  struct db_pool *pool = db_pool_create(&opt);
  assert_non_null(pool);
  return pool;
}

static struct db_pool *pool_of_one(bool prepared) { return pool_of_one_waiting(prepared, 2000); }

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* A thread that checks out, notes the order in which it got the
 * connection, holds it briefly and checks it in. */
struct taker {
  struct db_pool *pool;
  pthread_mutex_t *mu;
  int *served;        /* the next place in the order */
  int place;          /* this taker's place, -1 when it got nothing */
};

static void *take_and_note(void *arg) {
  struct taker *t = arg;
  struct db_conn *conn;
  t->place = -1;
  if (db_checkout(t->pool, &conn) != IPS_OK) return NULL;
  pthread_mutex_lock(t->mu);
  t->place = (*t->served)++;
  pthread_mutex_unlock(t->mu);
  sleep_ms(20);
  db_checkin(conn);
  return NULL;
}

static void waiters_are_served_first_come_first_served(void **state) {
  (void)state;
  enum { WAITERS = 6 };
  struct db_pool *pool = pool_of_one_waiting(true, 5000);
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  int served = 0;
  struct db_conn *held;
  assert_int_equal(db_checkout(pool, &held), IPS_OK);
  struct taker takers[WAITERS];
  pthread_t threads[WAITERS];
  /* each starts waiting well after the one before */
  for (int i = 0; i < WAITERS; i++) {
    takers[i] = (struct taker){pool, &mu, &served, -2};
    assert_int_equal(pthread_create(&threads[i], NULL, take_and_note, &takers[i]), 0);
    sleep_ms(50);
  }
  db_checkin(held);
  for (int i = 0; i < WAITERS; i++) pthread_join(threads[i], NULL);
  for (int i = 0; i < WAITERS; i++)
    if (takers[i].place != i) fail_msg("waiter %d was served %d-th", i, takers[i].place);
  db_pool_destroy(pool);
}

static void a_thread_coming_back_at_once_does_not_overtake_a_waiter(void **state) {
  (void)state;
  struct db_pool *pool = pool_of_one_waiting(true, 5000);
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  int served = 0;
  struct db_conn *held;
  assert_int_equal(db_checkout(pool, &held), IPS_OK);
  struct taker waiter = {pool, &mu, &served, -2};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, take_and_note, &waiter), 0);
  sleep_ms(100); /* it waits now */
  /* a busy thread: its next request checks out right after its last one */
  db_checkin(held);
  assert_int_equal(db_checkout(pool, &held), IPS_OK);
  pthread_mutex_lock(&mu);
  int mine = served++;
  pthread_mutex_unlock(&mu);
  db_checkin(held);
  pthread_join(thread, NULL);
  assert_int_equal(waiter.place, 0);
  assert_int_equal(mine, 1);
  db_pool_destroy(pool);
}

static void a_waiter_that_timed_out_leaves_the_queue(void **state) {
  (void)state;
  struct db_pool *pool = pool_of_one_waiting(true, 200);
  struct db_conn *held, *late;
  assert_int_equal(db_checkout(pool, &held), IPS_OK);
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  int served = 0;
  struct taker t = {pool, &mu, &served, -2};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, take_and_note, &t), 0);
  pthread_join(thread, NULL);
  assert_int_equal(t.place, -1); /* timed out after 200 ms */
  /* the connection checked in now is free again, not given to the departed */
  db_checkin(held);
  assert_int_equal(db_checkout(pool, &late), IPS_OK);
  db_checkin(late);
  db_pool_destroy(pool);
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
    cmocka_unit_test(waiters_are_served_first_come_first_served),
    cmocka_unit_test(a_thread_coming_back_at_once_does_not_overtake_a_waiter),
    cmocka_unit_test(a_waiter_that_timed_out_leaves_the_queue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
