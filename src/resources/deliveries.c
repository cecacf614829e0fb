#include "resources/deliveries.h"

#include <string.h>

#include "domain/ids.h"
#include "http/body.h"
#include "resources/services.h"

static const struct field FIELDS[] = {
  {.name = "service_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED | FIELD_FILTER},
  {.name = "es_entity_id", .type = FIELD_UUID, .flags = FIELD_FILTER},
  {.name = "started_at", .type = FIELD_TIMESTAMP, .flags = FIELD_REQUIRED},
  {.name = "hours", .type = FIELD_DECIMAL2, .flags = FIELD_REQUIRED, .min = 1, .max = 2400},
  {.name = "topic", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .max = 500},
  {.name = "location", .type = FIELD_STRING, .max = 300},
  {.name = "advisor", .type = FIELD_STRING, .max = 200},
  {.name = "guests", .type = FIELD_INT, .min = 0, .max = 100000},
  {.name = "notes", .type = FIELD_STRING, .max = 4000},
};

static const char *const SORTS[] = {"started_at", NULL};

/* from/to are calendar dates in Europe/Warsaw, inclusive; kind is the service's. */
static const struct custom_filter FILTERS[] = {
  {"from", FIELD_DATE, NULL, "started_at >= ips_period_start($::text)"},
  {"to", FIELD_DATE, NULL, "started_at < ips_period_end($::text)"},
  {"kind", FIELD_ENUM, SERVICE_KINDS, "service_id IN (SELECT id FROM services WHERE kind = $::text)"},
  {NULL, 0, NULL, NULL},
};

static const struct constraint_field CONSTRAINTS[] = {
  {"deliveries_service_id_fkey", "service_id", "invalid", "names no service"},
  {"deliveries_es_entity_id_fkey", "es_entity_id", "invalid", "names no ES entity"},
  {"deliveries_hours_range", "hours", "invalid", "must be more than 0 and at most 24"},
  {"deliveries_partner_fkey", "partner", "invalid", "is not a project partner"},
  {NULL, NULL, NULL, NULL},
};

/* $1 service: live?, active?, kind */
static const struct db_statement SERVICE_OF = {
  "deliveries_service_of",
  "SELECT deleted_at IS NULL, active, kind FROM services WHERE id = $1::uuid", 1, false};
static const struct db_statement ENTITY_LIVE = {
  "deliveries_entity_live",
  "SELECT EXISTS (SELECT 1 FROM es_entities WHERE id = $1::uuid AND deleted_at IS NULL)", 1, false};

/* The service exists, is live and takes new deliveries (active); trainings and
 * seminars may go without an entity, every other kind names one. */
static ips_status deliveries_check(struct ips_request *req, struct db_conn *conn, const json_t *record,
                                   json_t *errors) {
  const char *service = json_string_value(json_object_get(record, "service_id"));
  if (service && !ids_uuid_valid(service)) service = NULL; /* reported already */
  PGresult *res = NULL;
  const char *values[] = {service};
  ips_status st = service ? db_exec(conn, &SERVICE_OF, values, &res) : IPS_OK;
  if (st != IPS_OK || service == NULL) goto out;
  if (PQntuples(res) == 0 || PQgetvalue(res, 0, 0)[0] != 't') {
    body_error(errors, "service_id", "invalid", "names no service");
  } else {
    const char *kind = PQgetvalue(res, 0, 2);
    bool creating = strcmp(req->u->http_verb, "POST") == 0;
    if (creating && PQgetvalue(res, 0, 1)[0] != 't')
      body_error(errors, "service_id", "inactive", "the service is inactive and takes no deliveries");
    json_t *entity = json_object_get(record, "es_entity_id");
    if ((entity == NULL || json_is_null(entity)) && strcmp(kind, "training") != 0 && strcmp(kind, "seminar") != 0)
      body_error(errors, "es_entity_id", "required", "is required unless the service is a training or seminar");
  }
  st = field_reference_live(conn, record, "es_entity_id", &ENTITY_LIVE, errors);
out:
  PQclear(res);
  return st;
}

struct resource deliveries_resource = {
  .name = "deliveries",
  .table = "deliveries",
  .owned = true,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
  .filters = FILTERS,
  .hooks = {.check = deliveries_check},
};
