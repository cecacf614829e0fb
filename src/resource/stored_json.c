/* Installing and checking the triggers that store each resource's JSON
 * (resource.h, "Stored representations"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yder.h>

#include "resource/engine_sql.h"
#include "util/strbuf.h"

/* Runs sql; false with the server's message in msg when it failed. */
static bool run(PGconn *conn, const char *sql, char *msg, size_t msglen) {
  PGresult *res = PQexec(conn, sql);
  ExecStatusType st = PQresultStatus(res);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) snprintf(msg, msglen, "%s", PQerrorMessage(conn));
  PQclear(res);
  return ok;
}

/* The definition the database holds for table: a new string (free() it),
 * "" when it holds none, NULL when it cannot be read (message in msg). */
static char *installed_definition(PGconn *conn, const char *table, char *msg, size_t msglen) {
  const char *values[] = {table};
  PGresult *res = PQexecParams(conn, "SELECT definition FROM api_json_forms WHERE table_name = $1", 1, NULL,
                               values, NULL, NULL, 0);
  char *def = NULL;
  if (PQresultStatus(res) != PGRES_TUPLES_OK) snprintf(msg, msglen, "%s", PQerrorMessage(conn));
  else def = strdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
  PQclear(res);
  return def;
}

/* The statements that install r's function and trigger and recompute its
 * column, in the open transaction: a new string. The recomputation runs
 * with the table's own triggers off, so that it writes no audit entry and
 * no change (the records as clients see them do not change). */
static char *install_sql(const struct resource *r) {
  const struct resource_sql *s = r->sql;
  struct strbuf b;
  strbuf_init(&b);
  strbuf_printf(&b, "%s;\n", s->json_definition);
  strbuf_printf(&b, "CREATE OR REPLACE TRIGGER zz_%s BEFORE INSERT OR UPDATE ON %s"
                    " FOR EACH ROW EXECUTE FUNCTION %s_%s();\n",
                RESOURCE_JSON_COLUMN, r->table, RESOURCE_JSON_COLUMN, r->table);
  strbuf_puts(&b, "SET LOCAL TimeZone = 'UTC';\n");
  strbuf_printf(&b, "ALTER TABLE %s DISABLE TRIGGER USER;\n", r->table);
  strbuf_printf(&b, "UPDATE %s SET %s = %s::text;\n", r->table, RESOURCE_JSON_COLUMN, s->json);
  strbuf_printf(&b, "ALTER TABLE %s ENABLE TRIGGER USER;\n", r->table);
  return strbuf_steal(&b);
}

static bool record_definition(PGconn *conn, const struct resource *r, char *msg, size_t msglen) {
  const char *values[] = {r->table, r->sql->json_definition};
  PGresult *res = PQexecParams(conn,
                               "INSERT INTO api_json_forms (table_name, definition) VALUES ($1, $2)"
                               " ON CONFLICT (table_name) DO UPDATE SET definition = EXCLUDED.definition,"
                               " installed_at = now()",
                               2, NULL, values, NULL, NULL, 0);
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) snprintf(msg, msglen, "%s", PQerrorMessage(conn));
  PQclear(res);
  return ok;
}

ips_status resource_json_install(PGconn *conn, const struct resource *r, char *msg, size_t msglen) {
  if (r->sql == NULL || r->sql->json_definition == NULL) return IPS_OK;
  char *installed = NULL, *sql = NULL;
  bool ok = run(conn, "BEGIN", msg, msglen) &&
            /* one installer at a time; readers of the table wait for the recomputation */
            run(conn, "LOCK TABLE api_json_forms IN SHARE ROW EXCLUSIVE MODE", msg, msglen);
  if (ok) ok = (installed = installed_definition(conn, r->table, msg, msglen)) != NULL;
  bool changed = ok && strcmp(installed, r->sql->json_definition) != 0;
  if (changed) {
    sql = install_sql(r);
    ok = sql && run(conn, sql, msg, msglen) && record_definition(conn, r, msg, msglen);
  }
  ok = ok && run(conn, "COMMIT", msg, msglen);
  if (!ok) {
    PGresult *res = PQexec(conn, "ROLLBACK");
    PQclear(res);
  } else if (changed) {
    y_log_message(Y_LOG_LEVEL_INFO, "migrate: %s stores its JSON as %s builds it now (rows recomputed)", r->table,
                  r->name);
    /* every row was rewritten: reclaim the old versions and renew the
     * planner's figures now, not when autovacuum comes round */
    char vacuum[160];
    snprintf(vacuum, sizeof vacuum, "VACUUM (ANALYZE) %s", r->table);
    if (!run(conn, vacuum, msg, msglen))
      y_log_message(Y_LOG_LEVEL_WARNING, "migrate: cannot vacuum %s: %s", r->table, msg);
  }
  free(installed);
  free(sql);
  return ok ? IPS_OK : IPS_ERROR;
}

ips_status resource_json_check(PGconn *conn, const struct resource *r, char *msg, size_t msglen) {
  if (r->sql == NULL || r->sql->json_definition == NULL) return IPS_OK;
  char *installed = installed_definition(conn, r->table, msg, msglen);
  if (installed == NULL) return IPS_UNAVAILABLE;
  ips_status st = strcmp(installed, r->sql->json_definition) == 0 ? IPS_OK : IPS_STALE;
  if (st == IPS_STALE)
    snprintf(msg, msglen, "the database stores the JSON of %s in another form than this binary builds;"
                          " run `ips-api migrate`", r->table);
  free(installed);
  return st;
}
