#include "resources/users.h"

#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "domain/ids.h"
#include "http/response.h"

static const char *const ROLES[] = {"admin", "coordinator", "advisor", "auditor", "integration", NULL};

bool users_username_valid(const char *s) {
  size_t n = strlen(s);
  if (n < 2 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
      return false;
  return true;
}

static bool partner_code_valid(const char *s) { return ids_code_slug_valid(s, 2, 32); }

static bool password_acceptable(const char *s) { return password_weakness(s) == NULL; }

/* Returns the argon2id hash of password as a new string, or NULL. */
static char *password_column(const char *password) {
  char hash[PASSWORD_HASH_MAX];
  return password_hash(password, hash) == IPS_OK ? strdup(hash) : NULL;
}

static const struct field FIELDS[] = {
  {.name = "username", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .min = 2, .max = 64,
   .valid = users_username_valid},
  {.name = "partner", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_FILTER | FIELD_PARTNER, .min = 2,
   .max = 32,
   .valid = partner_code_valid},
  {.name = "role", .type = FIELD_ENUM, .flags = FIELD_REQUIRED | FIELD_FILTER, .values = ROLES},
  {.name = "password", .type = FIELD_STRING, .flags = FIELD_WRITE_ONLY, .min = PASSWORD_MIN_LENGTH,
   .max = PASSWORD_MAX_LENGTH, .valid = password_acceptable, .invalid_code = "too_weak",
   .column = "password_hash", .to_column = password_column},
  {.name = "active", .type = FIELD_BOOL, .flags = FIELD_FILTER, .column_default = "true"},
};

static const char *const SORTS[] = {"username", NULL};
static const struct constraint_field CONSTRAINTS[] = {
  {"users_username", "username", NULL, NULL},
  {"users_partner_fkey", "partner", "invalid", "is not a project partner"},
  {NULL, NULL, NULL, NULL},
};

struct resource users_resource = {
  .name = "users",
  .table = "users",
  .owned = false,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
};

void users_me(struct ips_request *req) {
  const struct principal *p = &req->principal;
  if (!request_no_query(req)) return;
  if (!request_may(req, NULL)) return;
  json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:I}", "sub", p->sub, "partner", p->partner, "role", p->role,
                          "iss", p->iss, "exp", (json_int_t)p->exp);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  if (text == NULL) {
    respond_empty(req, 500);
    return;
  }
  respond_json_owned(req, 200, text, strlen(text));
}
