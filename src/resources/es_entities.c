#include "resources/es_entities.h"

#include "http/body.h"

static const char *const LEGAL_FORMS[] = {"social_cooperative", "cooperative", "foundation", "association",
                                          "cis", "kis", "zaz", "wtz", "nonprofit_company", "church_entity",
                                          "other", NULL};
static const char *const STATUSES[] = {"candidate", "active", "completed", "withdrawn", NULL};

static const struct field FIELDS[] = {
  {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .max = 300},
  {.name = "legal_form", .type = FIELD_ENUM, .flags = FIELD_REQUIRED | FIELD_FILTER, .values = LEGAL_FORMS},
  {.name = "krs", .type = FIELD_STRING, .max = 10, .valid = field_krs_valid},
  {.name = "nip", .type = FIELD_STRING, .flags = FIELD_FILTER, .max = 10, .valid = field_nip_valid,
   .invalid_code = "invalid_checksum"},
  {.name = "regon", .type = FIELD_STRING, .max = 14, .valid = field_regon_valid, .invalid_code = "invalid_checksum"},
  {.name = "teryt_gmina", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_FILTER, .max = 7,
   .valid = field_teryt_valid, .to_column = field_teryt_current},
  {.name = "postal_code", .type = FIELD_STRING, .max = 6, .valid = field_postal_code_valid},
  {.name = "city", .type = FIELD_STRING, .max = 100},
  {.name = "street", .type = FIELD_STRING, .max = 200},
  {.name = "email", .type = FIELD_STRING, .max = 254, .valid = field_email_valid},
  {.name = "phone", .type = FIELD_STRING, .max = 30, .valid = field_phone_valid},
  {.name = "website", .type = FIELD_STRING, .max = 2048, .valid = field_url_valid},
  {.name = "founded_on", .type = FIELD_DATE},
  {.name = "employees", .type = FIELD_INT, .min = 0, .max = 1000000},
  {.name = "disadvantaged_employees", .type = FIELD_INT, .min = 0, .max = 1000000},
  {.name = "members", .type = FIELD_INT, .min = 0, .max = 1000000},
  {.name = "status", .type = FIELD_ENUM, .flags = FIELD_FILTER, .values = STATUSES,
   .column_default = "'candidate'"},
  {.name = "enrolled_on", .type = FIELD_DATE},
  {.name = "offer", .type = FIELD_STRING, .max = 4000},
  {.name = "public", .type = FIELD_BOOL, .flags = FIELD_FILTER, .column_default = "false"},
};

static const char *const SORTS[] = {"name", NULL};

static const struct constraint_field CONSTRAINTS[] = {
  {"es_entities_nip", "nip", NULL, NULL},
  {"es_entities_krs", "krs", NULL, NULL},
  {"es_entities_teryt_gmina_fkey", "teryt_gmina", "invalid", "is not a gmina of the region"},
  {"es_entities_disadvantaged_le_employees", "disadvantaged_employees", "invalid",
   "must not be more than employees"},
  {"es_entities_partner_fkey", "partner", "invalid", "is not a project partner"},
  {NULL, NULL, NULL, NULL},
};

/* In the region, founded_on not in the future, no more disadvantaged
 * employees than employees. */
static ips_status es_entities_check(struct ips_request *req, struct db_conn *conn, const json_t *record,
                                    json_t *errors) {
  (void)req;
  json_t *employees = json_object_get(record, "employees");
  json_t *disadvantaged = json_object_get(record, "disadvantaged_employees");
  if (json_is_integer(disadvantaged) &&
      (!json_is_integer(employees) || json_integer_value(disadvantaged) > json_integer_value(employees)))
    body_error(errors, "disadvantaged_employees", "invalid", "must not be more than employees");
  ips_status st = field_gmina_in_region(conn, record, "teryt_gmina", errors);
  return st == IPS_OK ? field_date_not_future(conn, record, "founded_on", errors) : st;
}

struct resource es_entities_resource = {
  .name = "es-entities",
  .table = "es_entities",
  .owned = true,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
  .hooks = {.check = es_entities_check},
};

/* What the incubator shows the public: entities that agreed to it, and only
 * these fields. */
static const struct field PUBLIC_FIELDS[] = {
  {.name = "name", .type = FIELD_STRING, .flags = FIELD_SEARCH, .max = 300},
  {.name = "legal_form", .type = FIELD_ENUM, .flags = FIELD_FILTER, .values = LEGAL_FORMS},
  {.name = "city", .type = FIELD_STRING, .max = 100},
  {.name = "teryt_gmina", .type = FIELD_STRING, .flags = FIELD_FILTER, .max = 7, .valid = field_teryt_valid,
   .to_column = field_teryt_current},
  {.name = "website", .type = FIELD_STRING, .max = 2048},
  {.name = "offer", .type = FIELD_STRING, .max = 4000},
};

struct resource public_es_entities_resource = {
  .name = "public/es-entities",
  .table = "es_entities",
  .flags = RESOURCE_BARE_JSON,
  .list_where = "public",
  .fields = PUBLIC_FIELDS,
  .nfields = sizeof PUBLIC_FIELDS / sizeof PUBLIC_FIELDS[0],
  .sorts = SORTS,
};
