/*
 * ips-api: the REST/JSON backend of the Social Economy Incubator.
 *
 *   ips-api serve      serve the API (IPS_* environment)
 *   ips-api migrate    apply pending database migrations
 *   ips-api create-user USERNAME --partner CODE --role ROLE
 *                      add a user; the password is the first line of stdin
 *   ips-api version    print the version and the schema version it needs
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <yder.h>

#include "config.h"
#include "db/migrate.h"
#include "ips.h"
#include "log.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "resource/resource.h"
#include "resources/users.h"
#include "routes.h"
#include "server.h"

static const char USAGE[] =
    "usage: ips-api <command>\n"
    "  serve      serve the API; configuration from IPS_* variables (see README)\n"
    "  migrate    apply pending migrations to IPS_DATABASE_URL\n"
    "  create-user USERNAME --partner CODE --role ROLE\n"
    "             add a user; the password is read from the first line of stdin\n"
    "  version    print the version\n";

/* Installs the triggers that store each engine resource's JSON, after the
 * migrations that made their columns. */
static bool install_stored_json(PGconn *conn) {
  struct resource *all[ROUTES_MAX_RESOURCES];
  size_t n = routes_resources(all, ROUTES_MAX_RESOURCES);
  bool ok = routes_prepare_resources();
  for (size_t i = 0; i < n && ok; i++) {
    char msg[512];
    if (resource_json_install(conn, all[i], msg, sizeof msg) != IPS_OK) {
      y_log_message(Y_LOG_LEVEL_ERROR, "migrate: cannot install the stored JSON of %s: %s", all[i]->table, msg);
      ok = false;
    }
  }
  routes_release_resources();
  return ok;
}

static int cmd_migrate(const struct ips_config *cfg) {
  /* a session of its own: the advisory lock must stay on one connection */
  PGconn *conn = PQconnectdb(cfg->direct_database_url);
  int code = 1;
  if (PQstatus(conn) != CONNECTION_OK) {
    y_log_message(Y_LOG_LEVEL_ERROR, "migrate: cannot connect (IPS_DATABASE_URL): %s", PQerrorMessage(conn));
  } else if (migrate_apply(conn) == IPS_OK && install_stored_json(conn)) {
    code = 0;
  }
  PQfinish(conn);
  return code;
}

/* Reads the first line of stdin into buf without its line end; false when
 * there is none or it is too long. */
static bool read_password(char *buf, size_t cap) {
  if (fgets(buf, (int)cap, stdin) == NULL) return false;
  size_t n = strcspn(buf, "\r\n");
  if (buf[n] == '\0' && n == cap - 1) return false;
  buf[n] = '\0';
  return true;
}

static int create_user_fail(PGconn *conn, const char *message) {
  fprintf(stderr, "ips-api create-user: %s\n", message);
  PQfinish(conn);
  return 1;
}

static int cmd_create_user(const struct ips_config *cfg, int argc, char **argv) {
  const char *username = NULL, *partner = NULL, *role = NULL;
  policy_role role_id;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--partner") == 0 && i + 1 < argc) partner = argv[++i];
    else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) role = argv[++i];
    else if (argv[i][0] != '-' && username == NULL) username = argv[i];
    else return create_user_fail(NULL, "usage: ips-api create-user USERNAME --partner CODE --role ROLE");
  }
  if (username == NULL || partner == NULL || role == NULL)
    return create_user_fail(NULL, "usage: ips-api create-user USERNAME --partner CODE --role ROLE");
  if (!users_username_valid(username))
    return create_user_fail(NULL, "the username must be 2-64 of a-z 0-9 . _ - starting with a letter or digit");
  if (!policy_role_parse(role, &role_id))
    return create_user_fail(NULL, "unknown role: use admin, coordinator, advisor, auditor or integration");
  char password[PASSWORD_MAX_LENGTH + 2], hash[PASSWORD_HASH_MAX], message[160];
  if (!read_password(password, sizeof password))
    return create_user_fail(NULL, "give the password on the first line of standard input");
  const char *weak = password_weakness(password);
  if (weak) {
    snprintf(message, sizeof message, "the password %s", weak);
    return create_user_fail(NULL, message);
  }
  if (password_hash(password, hash) != IPS_OK) return create_user_fail(NULL, "cannot hash the password");
  PGconn *conn = PQconnectdb(cfg->database_url);
  if (PQstatus(conn) != CONNECTION_OK) return create_user_fail(conn, "cannot connect (IPS_DATABASE_URL)");
  const char *values[] = {username, partner, role, hash};
  PGresult *res = PQexecParams(conn,
      "WITH actor AS (SELECT set_config('ips.actor', 'create-user', false)),"
      " ins AS (INSERT INTO users (username, partner, role, password_hash)"
      "  SELECT $1, $2, $3, $4 FROM actor WHERE EXISTS (SELECT 1 FROM project_partners WHERE code = $2)"
      "  ON CONFLICT (username) DO NOTHING RETURNING id)"
      " SELECT (SELECT id::text FROM ins), EXISTS (SELECT 1 FROM project_partners WHERE code = $2)",
      4, NULL, values, NULL, NULL, 0);
  int code = 1;
  if (PQresultStatus(res) != PGRES_TUPLES_OK)
    fprintf(stderr, "ips-api create-user: %s", PQerrorMessage(conn));
  else if (PQgetvalue(res, 0, 1)[0] != 't')
    fprintf(stderr, "ips-api create-user: unknown partner '%s': not a project partner\n", partner);
  else if (PQgetisnull(res, 0, 0))
    fprintf(stderr, "ips-api create-user: the user '%s' exists already\n", username);
  else {
    printf("created user %s (%s, %s): %s\n", username, partner, role, PQgetvalue(res, 0, 0));
    code = 0;
  }
  PQclear(res);
  PQfinish(conn);
  return code;
}

int main(int argc, char **argv) {
  if (argc < 2 || (argc != 2 && strcmp(argv[1], "create-user") != 0)) {
    fputs(USAGE, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "version") == 0) {
    printf("ips-api %s (schema %d)\n", IPS_VERSION_STRING, migrate_latest_version());
    return 0;
  }
  bool serve = strcmp(cmd, "serve") == 0, migrate = strcmp(cmd, "migrate") == 0;
  bool create_user = strcmp(cmd, "create-user") == 0;
  if (!serve && !migrate && !create_user) {
    fprintf(stderr, "ips-api: unknown command '%s'\n%s", cmd, USAGE);
    return 2;
  }
  struct ips_config cfg;
  char err[256] = "";
  ips_status st = config_load(&cfg, true, err, sizeof err);
  if (st != IPS_OK) {
    fprintf(stderr, "ips-api: configuration: %s\n", err[0] ? err : "out of memory");
    config_free(&cfg);
    return 2;
  }
  log_start(cfg.log_level);
  int code = serve ? server_run(&cfg) : migrate ? cmd_migrate(&cfg) : cmd_create_user(&cfg, argc, argv);
  log_stop();
  config_free(&cfg);
  return code;
}
