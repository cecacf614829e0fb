/* Unit tests of configuration parsing: each bad value is refused and the
 * message names the variable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "config.h"

static void clear_env(void) {
  static const char *const names[] = {
    "IPS_DATABASE_URL", "IPS_DIRECT_DATABASE_URL", "IPS_REPLICA_DATABASE_URL", "IPS_LISTEN", "IPS_THREADS", "IPS_DB_POOL_SIZE", "IPS_MAX_BODY_BYTES",
    "IPS_LOG_LEVEL", "IPS_CORS_ORIGINS", "IPS_METRICS_TOKEN", "IPS_DB_CHECKOUT_TIMEOUT_MS",
    "IPS_DB_PREPARED_STATEMENTS", "IPS_LONG_POLL_MAX", "IPS_HTTP_MODE", "IPS_MAX_CONNECTIONS",
    "IPS_MAX_CONNECTIONS_PER_CLIENT", "IPS_HTTP_HEAD_TIMEOUT_S", "IPS_HTTP_BODY_TIMEOUT_S",
    "IPS_PASSWORD_CHECKS", "IPS_PASSWORD_CHECK_WAIT_MS",
    "IPS_SIGN_IN_CLIENT_FAILURES", "IPS_TRUSTED_PROXIES", NULL};
  for (const char *const *n = names; *n; n++) unsetenv(*n);
}

static int setup(void **state) {
  (void)state;
  clear_env();
  setenv("IPS_DATABASE_URL", "postgresql://ips@127.0.0.1/ips", 1);
  return 0;
}

static void defaults(void **state) {
  (void)state;
  struct ips_config cfg;
  char err[256] = "";
  assert_int_equal(config_load(&cfg, true, err, sizeof err), IPS_OK);
  assert_string_equal(cfg.listen, "127.0.0.1:8080");
  /* without IPS_DIRECT_DATABASE_URL the sessions of their own go where the rest goes */
  assert_string_equal(cfg.direct_database_url, "postgresql://ips@127.0.0.1/ips");
  assert_null(cfg.replica_database_url);
  assert_int_equal(cfg.listen_addr.ss_family, AF_INET);
  assert_int_equal(ntohs(((struct sockaddr_in *)&cfg.listen_addr)->sin_port), 8080);
  assert_int_equal(cfg.max_body_bytes, 1048576);
  assert_true(cfg.threads >= 1);
  assert_true(cfg.thread_per_connection);
  assert_true(cfg.db_pool_size >= 8 && cfg.db_pool_size % 8 == 0); /* 8 a core */
  assert_int_equal(cfg.log_level, Y_LOG_LEVEL_INFO);
  assert_string_equal(cfg.jwt_issuer, "ips-api");
  assert_string_equal(cfg.jwt_audience, "ips");
  assert_true(cfg.db_prepared_statements);
  assert_int_equal(cfg.n_cors_origins, 0);
  assert_int_equal(cfg.long_poll_max, 256);
  assert_int_equal(cfg.max_connections, 4096);
  assert_int_equal(cfg.http_head_timeout_s, 10);
  assert_int_equal(cfg.http_body_timeout_s, 30);
  assert_int_equal(cfg.max_connections_per_client, 64);
  assert_true(cfg.password_checks >= 1 && cfg.password_checks <= 256); /* the cores */
  assert_int_equal(cfg.password_check_wait_ms, 100);
  assert_int_equal(cfg.sign_in_client_failures, 20);
  assert_int_equal(cfg.n_trusted_proxies, 0);
  config_free(&cfg);
}

/* Loads with one variable set to a bad value; the message must name it. */
static void assert_refused(const char *name, const char *value) {
  struct ips_config cfg;
  char err[256] = "";
  setenv(name, value, 1);
  assert_int_equal(config_load(&cfg, true, err, sizeof err), IPS_INVALID);
  if (strstr(err, name) == NULL) fail_msg("message for %s=%s does not name it: %s", name, value, err);
  config_free(&cfg);
  unsetenv(name);
}

static void bad_values_name_the_variable(void **state) {
  (void)state;
  assert_refused("IPS_LISTEN", "8080");
  assert_refused("IPS_DIRECT_DATABASE_URL", "host=db dbname=ips");
  assert_refused("IPS_REPLICA_DATABASE_URL", "replica.internal:5432");
  assert_refused("IPS_LISTEN", "example.org:80");
  assert_refused("IPS_LISTEN", "127.0.0.1:99999");
  assert_refused("IPS_LISTEN", "127.0.0.1:");
  assert_refused("IPS_THREADS", "0");
  assert_refused("IPS_THREADS", "four");
  assert_refused("IPS_THREADS", "-1");
  assert_refused("IPS_DB_POOL_SIZE", "100000");
  assert_refused("IPS_MAX_BODY_BYTES", "10");
  assert_refused("IPS_MAX_BODY_BYTES", "1e6");
  assert_refused("IPS_LOG_LEVEL", "loud");
  assert_refused("IPS_CORS_ORIGINS", "*");
  assert_refused("IPS_CORS_ORIGINS", "https://a.example/path");
  assert_refused("IPS_CORS_ORIGINS", "ftp://a.example");
  assert_refused("IPS_METRICS_TOKEN", "short");
  assert_refused("IPS_DB_PREPARED_STATEMENTS", "maybe");
  assert_refused("IPS_MAX_CONNECTIONS_PER_CLIENT", "0");
  assert_refused("IPS_MAX_CONNECTIONS", "1");
  assert_refused("IPS_HTTP_HEAD_TIMEOUT_S", "soon");
  assert_refused("IPS_HTTP_BODY_TIMEOUT_S", "-1");
  assert_refused("IPS_HTTP_BODY_TIMEOUT_S", "3601");
  assert_refused("IPS_LONG_POLL_MAX", "0");
  assert_refused("IPS_LONG_POLL_MAX", "many");
  setenv("IPS_HTTP_MODE", "pool", 1);
  setenv("IPS_THREADS", "8", 1);
  assert_refused("IPS_LONG_POLL_MAX", "8"); /* would leave no worker for other requests */
  unsetenv("IPS_HTTP_MODE");
  unsetenv("IPS_THREADS");
  assert_refused("IPS_PASSWORD_CHECKS", "0");
  assert_refused("IPS_PASSWORD_CHECKS", "1000");
  assert_refused("IPS_PASSWORD_CHECK_WAIT_MS", "5000");
  assert_refused("IPS_SIGN_IN_CLIENT_FAILURES", "0");
  assert_refused("IPS_SIGN_IN_CLIENT_FAILURES", "many");
  assert_refused("IPS_TRUSTED_PROXIES", "proxy.example");
  assert_refused("IPS_TRUSTED_PROXIES", "10.0.0.0/33");
  assert_refused("IPS_TRUSTED_PROXIES", "10.0.0.1/");
  assert_refused("IPS_TRUSTED_PROXIES", "::1/129");
  assert_refused("IPS_TRUSTED_PROXIES", "10.0.0.1-10.0.0.9");
  assert_refused("IPS_DATABASE_URL", "host=localhost"); /* last: it unsets the URL */
}

static void database_url_required_for_serve(void **state) {
  (void)state;
  unsetenv("IPS_DATABASE_URL");
  struct ips_config cfg;
  char err[256] = "";
  assert_int_equal(config_load(&cfg, true, err, sizeof err), IPS_INVALID);
  assert_non_null(strstr(err, "IPS_DATABASE_URL"));
  config_free(&cfg);
  assert_int_equal(config_load(&cfg, false, err, sizeof err), IPS_OK);
  config_free(&cfg);
}

static void listen_forms(void **state) {
  (void)state;
  struct sockaddr_storage a;
  socklen_t len;
  assert_int_equal(config_parse_listen("0.0.0.0:80", &a, &len), IPS_OK);
  assert_int_equal(config_parse_listen("localhost:0", &a, &len), IPS_OK);
  assert_int_equal(a.ss_family, AF_INET);
  assert_int_equal(config_parse_listen("[::1]:8080", &a, &len), IPS_OK);
  assert_int_equal(a.ss_family, AF_INET6);
  assert_int_equal(config_parse_listen("[::1]8080", &a, &len), IPS_INVALID);
  assert_int_equal(config_parse_listen("::1:8080", &a, &len), IPS_INVALID);
}

static void cors_origins_split(void **state) {
  (void)state;
  char *out[4];
  size_t n;
  assert_int_equal(config_parse_origins("https://a.example, http://localhost:3000", out, 4, &n), IPS_OK);
  assert_int_equal(n, 2);
  assert_string_equal(out[0], "https://a.example");
  assert_string_equal(out[1], "http://localhost:3000");
  free(out[0]);
  free(out[1]);
}

static void limits_and_proxies_read(void **state) {
  (void)state;
  setenv("IPS_PASSWORD_CHECKS", "3", 1);
  setenv("IPS_PASSWORD_CHECK_WAIT_MS", "0", 1);
  setenv("IPS_SIGN_IN_CLIENT_FAILURES", "50", 1);
  setenv("IPS_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 ,fd00::/8", 1);
  setenv("IPS_DIRECT_DATABASE_URL", "postgresql://ips@db.internal:5432/ips", 1);
  setenv("IPS_REPLICA_DATABASE_URL", "postgresql://ips@replica.internal:5432/ips", 1);
  struct ips_config cfg;
  char err[256] = "";
  assert_int_equal(config_load(&cfg, true, err, sizeof err), IPS_OK);
  assert_string_equal(cfg.direct_database_url, "postgresql://ips@db.internal:5432/ips");
  assert_string_equal(cfg.replica_database_url, "postgresql://ips@replica.internal:5432/ips");
  assert_string_equal(cfg.database_url, "postgresql://ips@127.0.0.1/ips");
  assert_int_equal(cfg.password_checks, 3);
  assert_int_equal(cfg.password_check_wait_ms, 0);
  assert_int_equal(cfg.sign_in_client_failures, 50);
  assert_int_equal(cfg.n_trusted_proxies, 3);
  assert_int_equal(cfg.trusted_proxies[0].prefix, 8);
  assert_int_equal(cfg.trusted_proxies[1].prefix, 32);
  assert_int_equal(cfg.trusted_proxies[2].base.family, AF_INET6);
  config_free(&cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(defaults, setup),
    cmocka_unit_test_setup(bad_values_name_the_variable, setup),
    cmocka_unit_test_setup(database_url_required_for_serve, setup),
    cmocka_unit_test_setup(listen_forms, setup),
    cmocka_unit_test_setup(cors_origins_split, setup),
    cmocka_unit_test_setup(limits_and_proxies_read, setup),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
