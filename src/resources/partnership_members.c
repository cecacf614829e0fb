#include "resources/partnership_members.h"

#include <string.h>

#include "domain/ids.h"
#include "http/body.h"

static const char *const KINDS[] = {"project_partner", "local_government", "business", "social_economy",
                                    "labour_market", "social_assistance", "social_integration", "ngo",
                                    "other", NULL};

static bool code_valid(const char *s) { return ids_code_slug_valid(s, 2, 32); }

static const struct field FIELDS[] = {
  {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .max = 300},
  {.name = "kind", .type = FIELD_ENUM, .flags = FIELD_REQUIRED | FIELD_FILTER, .values = KINDS},
  {.name = "code", .type = FIELD_STRING, .flags = FIELD_FILTER, .min = 2, .max = 32, .valid = code_valid},
  {.name = "nip", .type = FIELD_STRING, .flags = FIELD_FILTER, .max = 10, .valid = field_nip_valid,
   .invalid_code = "invalid_checksum"},
  {.name = "regon", .type = FIELD_STRING, .max = 14, .valid = field_regon_valid, .invalid_code = "invalid_checksum"},
  {.name = "krs", .type = FIELD_STRING, .max = 10, .valid = field_krs_valid},
  /* members may lie outside the region: any well-formed code */
  {.name = "teryt_gmina", .type = FIELD_STRING, .flags = FIELD_FILTER, .max = 7, .valid = field_teryt_valid,
   .to_column = field_teryt_current},
  {.name = "city", .type = FIELD_STRING, .max = 100},
  {.name = "street", .type = FIELD_STRING, .max = 200},
  {.name = "postal_code", .type = FIELD_STRING, .max = 6, .valid = field_postal_code_valid},
  {.name = "email", .type = FIELD_STRING, .max = 254, .valid = field_email_valid},
  {.name = "phone", .type = FIELD_STRING, .max = 30, .valid = field_phone_valid},
  {.name = "representative", .type = FIELD_STRING, .max = 200},
  {.name = "joined_on", .type = FIELD_DATE},
  {.name = "left_on", .type = FIELD_DATE},
  {.name = "declaration_signed_on", .type = FIELD_DATE},
  {.name = "notes", .type = FIELD_STRING, .max = 4000},
};

static const char *const SORTS[] = {"name", NULL};

static const struct constraint_field CONSTRAINTS[] = {
  {"partnership_members_code", "code", NULL, NULL},
  {"partnership_members_nip", "nip", NULL, NULL},
  {"partnership_members_krs", "krs", NULL, NULL},
  {"partnership_members_check", "left_on", "invalid", "must not be before joined_on"},
  {NULL, NULL, NULL, NULL},
};

/* left_on not before joined_on (dates compare as text in YYYY-MM-DD). */
static ips_status members_check(struct ips_request *req, struct db_conn *conn, const json_t *record,
                                json_t *errors) {
  (void)req;
  (void)conn;
  const char *joined = json_string_value(json_object_get(record, "joined_on"));
  const char *left = json_string_value(json_object_get(record, "left_on"));
  if (joined && left && strcmp(left, joined) < 0)
    body_error(errors, "left_on", "invalid", "must not be before joined_on");
  return IPS_OK;
}

struct resource partnership_members_resource = {
  .name = "partnership-members",
  .table = "partnership_members",
  .owned = true,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
  .hooks = {.check = members_check},
};
