#include "resources/partnership_members.h"

#include <string.h>

#include "domain/ids.h"
#include "auth/policy.h"
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
  {"partnership_members_partner_fkey", "partner", "invalid", "is not a project partner"},
  {NULL, NULL, NULL, NULL},
};

/* the database's own wall, should a re-coding race past members_check_update */
static const struct constraint_field IN_USE[] = {
  {"project_partner_in_use", "code", "in_use", "the partner still has users or records"},
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

/* ---- project partners: the tenants ---- */

static bool is_project_partner(const json_t *record) {
  const char *kind = json_string_value(json_object_get(record, "kind"));
  return kind && strcmp(kind, "project_partner") == 0;
}

/* The code of record, borrowed; NULL when absent or null. */
static const char *code_of(const json_t *record) { return json_string_value(json_object_get(record, "code")); }

static bool same_code(const json_t *a, const json_t *b) {
  const char *x = code_of(a), *y = code_of(b);
  return (x == NULL && y == NULL) || (x && y && strcmp(x, y) == 0);
}

/*
 * Project partners are the tenants every user and record names: only an
 * admin creates one, deletes one, makes a member one or another kind, or
 * changes its code. A coordinator still edits the other fields of its own
 * partner's row.
 */
static bool members_authorize(const struct ips_request *req, const json_t *current, const json_t *next,
                              const char **why) {
  if (policy_may_manage_partners(req->principal.role_id)) return true;
  bool was = current && is_project_partner(current), will = next && is_project_partner(next);
  if (current == NULL && will) *why = "only an admin may create a project partner";
  else if (next == NULL && was) *why = "only an admin may delete a project partner";
  else if (current && next && was != will) *why = "only an admin may change whether a member is a project partner";
  else if (was && will && !same_code(current, next)) *why = "only an admin may change a project partner's code";
  else return true;
  return false;
}

static const struct db_statement PARTNER_USE = {
  "members_partner_use", "SELECT project_partner_use($1::text, $2::uuid)", 2, false};

static const struct db_statement MEMBER_PARTNER_USE = {
  "members_member_partner_use",
  "SELECT project_partner_use(code, id) FROM partnership_members"
  " WHERE id = $1::uuid AND kind = 'project_partner' AND code IS NOT NULL AND deleted_at IS NULL",
  1, false};

/* What still names partner code (member: its own row): "users", "records"
 * or NULL in *use (static text). */
static ips_status partner_use(struct db_conn *conn, const struct db_statement *stmt, const char *const *values,
                              const char **use) {
  PGresult *res = NULL;
  *use = NULL;
  ips_status st = db_exec(conn, stmt, values, &res);
  if (st == IPS_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
    *use = strcmp(PQgetvalue(res, 0, 0), "users") == 0 ? "users" : "records";
  PQclear(res);
  return st;
}

/* A partner's code is fixed, and it stays a partner, once users or records
 * name it: 409 on the field that would change. */
static ips_status members_check_update(struct ips_request *req, struct db_conn *conn, const json_t *current,
                                       const json_t *next, json_t *errors) {
  const char *code = code_of(current);
  bool recoded = !same_code(current, next), rekinded = !is_project_partner(next);
  if (!is_project_partner(current) || code == NULL || !(recoded || rekinded)) return IPS_OK;
  const char *values[] = {code, request_param(req, "id")}, *use = NULL;
  ips_status st = partner_use(conn, &PARTNER_USE, values, &use);
  if (st != IPS_OK || use == NULL) return st;
  body_error(errors, recoded ? "code" : "kind", "in_use",
             strcmp(use, "users") == 0 ? "the partner still has users" : "the partner still has records");
  return IPS_CONFLICT;
}

/* A project partner that users or records still name is not deleted. */
static ips_status members_before_delete(struct db_conn *conn, const char *id, const char **why) {
  const char *values[] = {id}, *use = NULL;
  ips_status st = partner_use(conn, &MEMBER_PARTNER_USE, values, &use);
  if (st != IPS_OK || use == NULL) return st;
  *why = strcmp(use, "users") == 0 ? "the partner still has users" : "the partner still has records";
  return IPS_CONFLICT;
}

struct resource partnership_members_resource = {
  .name = "partnership-members",
  .table = "partnership_members",
  .owned = true,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
  .in_use = IN_USE,
  .hooks = {.check = members_check, .authorize = members_authorize, .check_update = members_check_update,
            .before_delete = members_before_delete},
};
