#include "resources/services.h"

#include "domain/ids.h"

const char *const SERVICE_KINDS[] = {"advisory", "legal", "financial", "marketing", "information",
                                     "training", "seminar", NULL};

static bool code_valid(const char *s) { return ids_code_slug_valid(s, 2, 64); }

static const struct field FIELDS[] = {
  {.name = "code", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_FILTER, .min = 2, .max = 64,
   .valid = code_valid},
  {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .max = 300},
  {.name = "kind", .type = FIELD_ENUM, .flags = FIELD_REQUIRED | FIELD_FILTER, .values = SERVICE_KINDS},
  {.name = "description", .type = FIELD_STRING, .max = 4000},
  {.name = "active", .type = FIELD_BOOL, .flags = FIELD_FILTER, .column_default = "true"},
};

static const char *const SORTS[] = {"name", NULL};

static const struct constraint_field CONSTRAINTS[] = {
  {"services_code", "code", NULL, NULL},
  {"services_partner_fkey", "partner", "invalid", "is not a project partner"},
  {NULL, NULL, NULL, NULL},
};

static const struct db_statement IN_USE = {
  "services_in_use",
  "SELECT EXISTS (SELECT 1 FROM deliveries WHERE service_id = $1::uuid AND deleted_at IS NULL)", 1, false};

/* A service that deliveries refer to stays: it can be made inactive instead. */
static ips_status services_before_delete(struct db_conn *conn, const char *id, const char **why) {
  PGresult *res = NULL;
  const char *values[] = {id};
  ips_status st = db_exec(conn, &IN_USE, values, &res);
  if (st == IPS_OK && PQgetvalue(res, 0, 0)[0] == 't') {
    *why = "the service has deliveries; make it inactive instead";
    st = IPS_CONFLICT;
  }
  PQclear(res);
  return st;
}

struct resource services_resource = {
  .name = "services",
  .table = "services",
  .owned = true,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
  .hooks = {.before_delete = services_before_delete},
};
