#include "resources/beneficiaries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/tx.h"
#include "domain/ids.h"
#include "http/body.h"
#include "http/preconditions.h"
#include "http/problem.h"
#include "http/response.h"
#include "resource/engine_sql.h"
#include "resource/idempotency.h"
#include "resource/list.h"
#include "resource/values.h"

static const char *const GENDERS[] = {"female", "male", NULL};
static const char *const EDUCATION[] = {"none", "primary", "lower_secondary", "upper_secondary",
                                        "post_secondary", "tertiary", NULL};
static const char *const LABOUR[] = {"employed", "unemployed", "long_term_unemployed", "inactive",
                                     "self_employed", NULL};

static bool pesel_shape(const char *s) {
  if (strlen(s) != 11) return false;
  for (const char *c = s; *c; c++)
    if (*c < '0' || *c > '9') return false;
  return true;
}

static const struct field FIELDS[] = {
  {.name = "first_name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .max = 100},
  {.name = "last_name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_SEARCH, .max = 100},
  {.name = "pesel", .type = FIELD_STRING, .flags = FIELD_PII | FIELD_FILTER, .max = 11, .valid = pesel_shape},
  {.name = "birth_date", .type = FIELD_DATE, .flags = FIELD_PII},
  {.name = "gender", .type = FIELD_ENUM, .flags = FIELD_FILTER, .values = GENDERS},
  {.name = "education", .type = FIELD_ENUM, .flags = FIELD_FILTER, .values = EDUCATION},
  {.name = "labour_status", .type = FIELD_ENUM, .flags = FIELD_FILTER, .values = LABOUR},
  {.name = "teryt_gmina", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_FILTER, .max = 7,
   .valid = field_teryt_valid, .to_column = field_teryt_current},
  {.name = "street", .type = FIELD_STRING, .flags = FIELD_PII, .max = 200},
  {.name = "postal_code", .type = FIELD_STRING, .max = 6, .valid = field_postal_code_valid},
  {.name = "email", .type = FIELD_STRING, .flags = FIELD_PII, .max = 254, .valid = field_email_valid},
  {.name = "phone", .type = FIELD_STRING, .flags = FIELD_PII, .max = 30, .valid = field_phone_valid},
  {.name = "es_entity_id", .type = FIELD_UUID, .flags = FIELD_FILTER},
  {.name = "member_id", .type = FIELD_UUID, .flags = FIELD_FILTER},
  {.name = "consent_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
  {.name = "support_start", .type = FIELD_DATE},
  {.name = "support_end", .type = FIELD_DATE},
  {.name = "birth_year", .type = FIELD_INT, .flags = FIELD_READ_ONLY},
  {.name = "erased", .type = FIELD_BOOL, .flags = FIELD_READ_ONLY},
};

static const char *const SORTS[] = {"last_name", NULL};

static const struct constraint_field CONSTRAINTS[] = {
  {"beneficiaries_pesel", "pesel", NULL, NULL},
  {"beneficiaries_teryt_gmina_fkey", "teryt_gmina", "invalid", "is not a gmina of the region"},
  {"beneficiaries_es_entity_id_fkey", "es_entity_id", "invalid", "names no record (or a deleted one)"},
  {"beneficiaries_member_id_fkey", "member_id", "invalid", "names no record (or a deleted one)"},
  {"beneficiaries_support_end_after_start", "support_end", "invalid", "must not be before support_start"},
  {"beneficiaries_partner_fkey", "partner", "invalid", "is not a project partner"},
  {NULL, NULL, NULL, NULL},
};

void beneficiaries_apply_pesel(json_t *record, json_t *errors) {
  const char *pesel = json_string_value(json_object_get(record, "pesel"));
  ids_pesel_info info;
  if (pesel && pesel_shape(pesel)) {
    if (!ids_pesel_parse(pesel, &info)) {
      body_error(errors, "pesel", "invalid_checksum", "is not a valid PESEL (checksum or date)");
    } else {
      char date[11];
      snprintf(date, sizeof date, "%04d-%02d-%02d", info.year, info.month, info.day);
      const char *gender = info.male ? "male" : "female";
      json_t *bd = json_object_get(record, "birth_date"), *g = json_object_get(record, "gender");
      if (bd == NULL || json_is_null(bd)) json_object_set_new(record, "birth_date", json_string(date));
      else if (json_is_string(bd) && strcmp(json_string_value(bd), date) != 0)
        body_error(errors, "birth_date", "invalid", "does not agree with the PESEL");
      if (g == NULL || json_is_null(g)) json_object_set_new(record, "gender", json_string(gender));
      else if (json_is_string(g) && strcmp(json_string_value(g), gender) != 0)
        body_error(errors, "gender", "invalid", "does not agree with the PESEL");
    }
  }
  json_t *g = json_object_get(record, "gender");
  if (g == NULL || json_is_null(g)) body_error(errors, "gender", "required", "is required (or give a PESEL)");
  const char *start = json_string_value(json_object_get(record, "support_start"));
  const char *end = json_string_value(json_object_get(record, "support_end"));
  if (start && end && strcmp(end, start) < 0)
    body_error(errors, "support_end", "invalid", "must not be before support_start");
}

static void beneficiaries_derive(struct ips_request *req, json_t *record, json_t *errors) {
  (void)req;
  beneficiaries_apply_pesel(record, errors);
}

static const struct db_statement ENTITY_LIVE = {
  "beneficiaries_entity_live",
  "SELECT EXISTS (SELECT 1 FROM es_entities WHERE id = $1::uuid AND deleted_at IS NULL)", 1, false};
static const struct db_statement MEMBER_LIVE = {
  "beneficiaries_member_live",
  "SELECT EXISTS (SELECT 1 FROM partnership_members WHERE id = $1::uuid AND deleted_at IS NULL)", 1, false};

/* In the region, consent and birth not in the future, affiliations live. */
static ips_status beneficiaries_check(struct ips_request *req, struct db_conn *conn, const json_t *record,
                                      json_t *errors) {
  (void)req;
  ips_status st = field_gmina_in_region(conn, record, "teryt_gmina", errors);
  if (st == IPS_OK) st = field_date_not_future(conn, record, "consent_on", errors);
  if (st == IPS_OK) st = field_date_not_future(conn, record, "birth_date", errors);
  if (st == IPS_OK) st = field_reference_live(conn, record, "es_entity_id", &ENTITY_LIVE, errors);
  if (st == IPS_OK) st = field_reference_live(conn, record, "member_id", &MEMBER_LIVE, errors);
  return st;
}

struct resource beneficiaries_resource = {
  .name = "beneficiaries",
  .table = "beneficiaries",
  .owned = true,
  .fields = FIELDS,
  .nfields = sizeof FIELDS / sizeof FIELDS[0],
  .sorts = SORTS,
  .constraints = CONSTRAINTS,
  .frozen_column = "erased",
  .hooks = {.check = beneficiaries_check, .derive = beneficiaries_derive},
};

/* ---- erasure ---- */

static const struct db_statement MARK_ERASE = {
  "beneficiaries_mark_erase", "SELECT set_config('ips.action', 'erase', true)", 0, true};

/* $1 id, $2 version; the caller is an admin, who sees everything */
static const struct db_statement ERASE = {
  "beneficiaries_erase",
  "UPDATE beneficiaries SET first_name = NULL, last_name = NULL, pesel = NULL, birth_date = NULL,"
  " street = NULL, postal_code = NULL, email = NULL, phone = NULL, es_entity_id = NULL, member_id = NULL,"
  " erased = true, version = version + 1, updated_at = now()"
  " WHERE id = $1::uuid AND version = $2::integer AND deleted_at IS NULL AND NOT erased"
  " RETURNING version",
  2, true};

static const char *path_id(struct ips_request *req) {
  const char *id = request_param(req, "id");
  if (id == NULL || !ids_uuid_valid(id)) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such beneficiary");
    return NULL;
  }
  return id;
}

void beneficiaries_erase(struct ips_request *req) {
  const struct resource *r = &beneficiaries_resource;
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  if (!request_no_query(req)) return;
  const char *id = path_id(req);
  if (id == NULL) return;
  const char *key[] = {id};
  if (!resource_write_preconditions(req, r, id, &res)) goto out;
  long long version = atoll(PQgetvalue(res, 0, 0));
  ips_status st = IPS_OK;
  if (PQgetvalue(res, 0, 3)[0] == 't') {
    problem_send_kind(req, PROBLEM_RECORD_ERASED, "the beneficiary has been erased already");
    goto out;
  }
  if (req->body) {
    problem_send_kind(req, PROBLEM_MALFORMED_BODY, "an erasure takes no request body");
    goto out;
  }
  PQclear(res);
  res = NULL;
  char version_text[24];
  snprintf(version_text, sizeof version_text, "%lld", version);
  const char *values[] = {id, version_text};
  st = request_tx_begin(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &MARK_ERASE, NULL, &res);
  PQclear(res);
  res = NULL;
  if (st == IPS_OK) st = db_exec(conn, &ERASE, values, &res);
  if (st == IPS_OK && PQntuples(res) == 1) {
    /* the stored answer of its create under an Idempotency-Key holds the
     * names and PII too: it goes with them, in the same transaction */
    st = idempotency_forget_record(conn, r->name, id);
  }
  if (st == IPS_OK && PQntuples(res) == 0) {
    /* changed (or erased) between our read and this update */
    tx_rollback(conn);
    PQclear(res);
    res = NULL;
    st = db_exec(conn, &r->sql->exists, key, &res);
    if (st != IPS_OK) goto fail;
    if (PQntuples(res) == 0) problem_send_kind(req, PROBLEM_NOT_FOUND, "no such beneficiary");
    else precondition_failed(req, atoll(PQgetvalue(res, 0, 0)));
    goto out;
  }
  if (st == IPS_OK) st = tx_commit(conn);
  if (st != IPS_OK) goto fail;
  PQclear(res);
  res = NULL;
  /* answer with the erased record as a read shows it */
  const char *get[] = {id, pii_scope(req)};
  st = db_exec(conn, &r->sql->get, get, &res);
  if (st != IPS_OK) goto fail;
  respond_json_etag(req, 200, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2),
                    atoll(PQgetvalue(res, 0, 0)));
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  PQclear(res);
}

/* ---- support history ---- */

/* $1 beneficiary, $2 cursor started_at, $3 cursor id, $4 limit + 1 */
static const struct db_statement HISTORY = {
  "beneficiaries_history",
  "SELECT d.started_at::text AS sort_key, d.id::text AS sort_id,"
  " json_build_object('delivery_id', d.id, 'service_id', d.service_id, 'kind', s.kind,"
  " 'service_name', s.name, 'es_entity_id', d.es_entity_id, 'started_at', d.started_at,"
  " 'hours', d.hours, 'topic', d.topic, 'partner', d.partner, 'attended', p.attended)::text AS body"
  " FROM participants p JOIN deliveries d ON d.id = p.delivery_id JOIN services s ON s.id = d.service_id"
  " WHERE p.beneficiary_id = $1::uuid AND p.deleted_at IS NULL AND d.deleted_at IS NULL"
  " AND ($2::text IS NULL OR (d.started_at, d.id) > ($2::timestamptz, $3::uuid))"
  " ORDER BY d.started_at, d.id LIMIT $4::integer",
  4, false};

static const char *const HISTORY_PARAMS[] = {"limit", "cursor", NULL};
static const struct list_sort HISTORY_SORTS[] = {{"started_at", 2}, {NULL, 0}};

void beneficiaries_deliveries(struct ips_request *req) {
  const struct resource *r = &beneficiaries_resource;
  struct db_conn *conn;
  PGresult *res = NULL;
  struct list_params lp;
  const char *unknown = query_unknown_key(&req->query, HISTORY_PARAMS);
  if (unknown) {
    problem_bad_parameter(req, unknown, "unknown_parameter", "is not a parameter of this list");
    return;
  }
  if (!list_params_parse(req, HISTORY_SORTS, "started_at", &lp)) return;
  if (lp.after[0] && (!cursor_timestamp_valid(lp.after[0]) || !ids_uuid_valid(lp.after[1]))) {
    problem_bad_parameter(req, "cursor", "invalid", "is not a cursor of this list");
    goto out;
  }
  const char *id = path_id(req);
  if (id == NULL) goto out;
  const char *get[] = {id, pii_scope(req)};
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &r->sql->get, get, &res);
  if (st != IPS_OK) goto fail;
  if (PQntuples(res) == 0) {
    problem_send_kind(req, PROBLEM_NOT_FOUND, "no such beneficiary");
    goto out;
  }
  if (!request_may(req, PQgetvalue(res, 0, 1))) goto out;
  PQclear(res);
  res = NULL;
  char limit[24];
  list_fetch_limit(&lp, limit);
  const char *values[] = {id, lp.after[0], lp.after[1], limit};
  st = db_exec(conn, &HISTORY, values, &res);
  if (st != IPS_OK) goto fail;
  static const int keys[] = {0, 1};
  list_respond(req, &lp, res, 2, keys);
  goto out;
fail:
  problem_from_status(req, st);
out:
  PQclear(res);
  list_params_free(&lp);
}
