/*
 * ips-api: the REST/JSON backend of the Social Economy Incubator.
 *
 *   ips-api serve      serve the API (IPS_* environment)
 *   ips-api migrate    apply pending database migrations
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
#include "server.h"

static const char USAGE[] =
    "usage: ips-api <command>\n"
    "  serve      serve the API; configuration from IPS_* variables (see README)\n"
    "  migrate    apply pending migrations to IPS_DATABASE_URL\n"
    "  version    print the version\n";

static int cmd_migrate(const struct ips_config *cfg) {
  PGconn *conn = PQconnectdb(cfg->database_url);
  int code = 1;
  if (PQstatus(conn) != CONNECTION_OK) {
    y_log_message(Y_LOG_LEVEL_ERROR, "migrate: cannot connect (IPS_DATABASE_URL): %s", PQerrorMessage(conn));
  } else if (migrate_apply(conn) == IPS_OK) {
    code = 0;
  }
  PQfinish(conn);
  return code;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs(USAGE, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "version") == 0) {
    printf("ips-api %s (schema %d)\n", IPS_VERSION_STRING, migrate_latest_version());
    return 0;
  }
  bool serve = strcmp(cmd, "serve") == 0, migrate = strcmp(cmd, "migrate") == 0;
  if (!serve && !migrate) {
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
  int code = serve ? server_run(&cfg) : cmd_migrate(&cfg);
  log_stop();
  config_free(&cfg);
  return code;
}
