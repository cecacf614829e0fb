#include "resources/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/tx.h"
#include "domain/ids.h"
#include "http/body.h"
#include "http/preconditions.h"
#include "http/problem.h"
#include "http/response.h"
#include "resource/resource.h"
#include "resources/report_csv.h"

#define TARGETS_JSON                                                                              \
  "json_build_object('es_entities_supported', es_entities_supported, 'advisory_hours', advisory_hours," \
  " 'training_participants', training_participants, 'seminars', seminars, 'version', version,"     \
  " 'updated_at', updated_at)::text"

static const struct db_statement TARGETS = {
  "reports_targets", "SELECT version, " TARGETS_JSON " FROM report_targets", 0, false};

/* $1..$4 the four targets (NULL clears), $5 the version read */
static const struct db_statement SET_TARGETS = {
  "reports_set_targets",
  "UPDATE report_targets SET es_entities_supported = $1::integer, advisory_hours = $2::numeric,"
  " training_participants = $3::integer, seminars = $4::integer, version = version + 1, updated_at = now()"
  " WHERE version = $5::integer RETURNING version, " TARGETS_JSON,
  5, true};

/*
 * The indicators of DESIGN §3 in one statement. $1 from, $2 to (dates,
 * Europe/Warsaw, inclusive), $3 partner (of the deliveries). A beneficiary
 * counts when it attended at least one delivery of the period; erased ones
 * count (their statistical fields remain), deleted records do not.
 */
static const struct db_statement INDICATORS = {
  "reports_indicators",
  /* The deliveries in scope with their live entity, and who attended them
   * (deleted people do not count) with what the report groups them by:
   * each table is read once, and joined by hash. */
  "WITH d AS MATERIALIZED ("
  "  SELECT d.id, d.hours, coalesce(d.guests, 0) AS guests, s.kind, e.id AS entity_id, e.legal_form"
  "    FROM deliveries d JOIN services s ON s.id = d.service_id"
  "    LEFT JOIN es_entities e ON e.id = d.es_entity_id AND e.deleted_at IS NULL"
  "   WHERE d.deleted_at IS NULL"
  "     AND ($1::text IS NULL OR d.started_at >= ips_period_start($1::text))"
  "     AND ($2::text IS NULL OR d.started_at < ips_period_end($2::text))"
  "     AND ($3::text IS NULL OR d.partner = $3::text)),"
  " att AS MATERIALIZED ("
  "  SELECT d.kind, p.beneficiary_id, b.gender, b.education, b.labour_status, b.partner, b.teryt_gmina"
  "    FROM participants p JOIN d ON d.id = p.delivery_id"
  "    JOIN beneficiaries b ON b.id = p.beneficiary_id AND b.deleted_at IS NULL"
  "   WHERE p.deleted_at IS NULL AND p.attended),"
  " ben AS MATERIALIZED ("
  "  SELECT min(a.gender) AS gender, min(a.education) AS education, min(a.labour_status) AS labour_status,"
  "         min(a.partner) AS partner, min(g.powiat) AS powiat, bool_or(g.high_poverty) AS high_poverty"
  "    FROM att a JOIN gminas g ON g.teryt = a.teryt_gmina GROUP BY a.beneficiary_id),"
  /* one pass over the people for every category */
  " bs AS (SELECT count(*) AS total,"
  "   count(*) FILTER (WHERE gender = 'female') AS female, count(*) FILTER (WHERE gender = 'male') AS male,"
  "   count(*) FILTER (WHERE education = 'none') AS e_none, count(*) FILTER (WHERE education = 'primary') AS e_primary,"
  "   count(*) FILTER (WHERE education = 'lower_secondary') AS e_lower,"
  "   count(*) FILTER (WHERE education = 'upper_secondary') AS e_upper,"
  "   count(*) FILTER (WHERE education = 'post_secondary') AS e_post, count(*) FILTER (WHERE education = 'tertiary') AS e_tertiary,"
  "   count(*) FILTER (WHERE education IS NULL) AS e_unknown,"
  "   count(*) FILTER (WHERE labour_status = 'employed') AS l_employed,"
  "   count(*) FILTER (WHERE labour_status = 'unemployed') AS l_unemployed,"
  "   count(*) FILTER (WHERE labour_status = 'long_term_unemployed') AS l_long,"
  "   count(*) FILTER (WHERE labour_status = 'inactive') AS l_inactive,"
  "   count(*) FILTER (WHERE labour_status = 'self_employed') AS l_self,"
  "   count(*) FILTER (WHERE labour_status IS NULL) AS l_unknown,"
  "   count(*) FILTER (WHERE high_poverty) AS high_poverty FROM ben),"
  " by_powiat AS (SELECT powiat, count(*) AS n FROM ben GROUP BY powiat),"
  " by_partner AS (SELECT partner, count(*) AS n FROM ben GROUP BY partner),"
  /* one pass over the deliveries and one over the attendance, by kind */
  " kd AS (SELECT kind, count(*) AS deliveries, sum(hours) AS hours, count(DISTINCT entity_id) AS entities"
  "          FROM d GROUP BY kind),"
  " kp AS (SELECT kind, count(DISTINCT beneficiary_id) AS participants FROM att GROUP BY kind),"
  " ents AS (SELECT count(DISTINCT entity_id) AS supported,"
  "          count(DISTINCT entity_id) FILTER (WHERE legal_form = 'social_cooperative') AS coops FROM d),"
  " kinds AS (SELECT unnest(ARRAY['advisory', 'legal', 'financial', 'marketing', 'information',"
  "           'training', 'seminar']) AS kind)"
  " SELECT json_build_object("
  "  'period', json_build_object('from', $1::text, 'to', $2::text, 'partner', $3::text),"
  "  'es_entities', (SELECT json_build_object('supported', ents.supported, 'social_cooperatives', ents.coops,"
  "      'target', t.es_entities_supported, 'share_of_target', CASE WHEN t.es_entities_supported > 0"
  "      THEN round(ents.supported::numeric / t.es_entities_supported, 4) END) FROM ents, report_targets t),"
  "  'by_service_kind', (SELECT json_object_agg(k.kind, json_build_object('deliveries', coalesce(kd.deliveries, 0),"
  "      'hours', coalesce(kd.hours, 0), 'entities', coalesce(kd.entities, 0),"
  "      'participants', coalesce(kp.participants, 0)) ORDER BY k.kind)"
  "      FROM kinds k LEFT JOIN kd ON kd.kind = k.kind LEFT JOIN kp ON kp.kind = k.kind),"
  "  'beneficiaries', (SELECT json_build_object('total', total,"
  "    'by_gender', json_build_object('female', female, 'male', male),"
  "    'by_education', json_build_object('none', e_none, 'primary', e_primary, 'lower_secondary', e_lower,"
  "       'upper_secondary', e_upper, 'post_secondary', e_post, 'tertiary', e_tertiary, 'unknown', e_unknown),"
  "    'by_labour_status', json_build_object('employed', l_employed, 'unemployed', l_unemployed,"
  "       'long_term_unemployed', l_long, 'inactive', l_inactive, 'self_employed', l_self, 'unknown', l_unknown),"
  "    'by_partner', (SELECT json_object_agg(pp.code, coalesce(bp.n, 0) ORDER BY pp.code)"
  "       FROM project_partners pp LEFT JOIN by_partner bp ON bp.partner = pp.code),"
  "    'by_powiat', (SELECT json_object_agg(pw.teryt, coalesce(bw.n, 0) ORDER BY pw.teryt)"
  "       FROM powiats pw LEFT JOIN by_powiat bw ON bw.powiat = pw.teryt),"
  "    'high_poverty_gminas', high_poverty) FROM bs),"
  "  'seminars', (SELECT json_build_object('count', count(*), 'guests', coalesce(sum(guests), 0),"
  "    'beneficiary_attendees', (SELECT count(*) FROM att WHERE kind = 'seminar'))"
  "    FROM d WHERE kind = 'seminar'))::text",
  3, false};

static const char *const PERIOD_PARAMS[] = {"from", "to", "partner", NULL};

/* from/to dates with from <= to, partner a project partner; sends 400 otherwise. */
bool report_period(struct ips_request *req, struct db_conn *conn, const char **from, const char **to,
                   const char **partner) {
  const char *unknown = query_unknown_key(&req->query, PERIOD_PARAMS);
  if (unknown) {
    problem_bad_parameter(req, unknown, "unknown_parameter", "is not a parameter of this report");
    return false;
  }
  *from = query_get(&req->query, "from");
  *to = query_get(&req->query, "to");
  *partner = query_get(&req->query, "partner");
  static const char *const names[] = {"from", "to"};
  const char *values[] = {*from, *to};
  for (int i = 0; i < 2; i++) {
    if (values[i] && !ids_parse_date(values[i], NULL, NULL, NULL)) {
      problem_bad_parameter(req, names[i], "invalid", "must be a date YYYY-MM-DD");
      return false;
    }
  }
  if (*from && *to && strcmp(*from, *to) > 0) {
    problem_bad_parameter(req, "from", "invalid", "must not be after to");
    return false;
  }
  if (*partner) {
    ips_status st = ids_code_slug_valid(*partner, 2, 32) ? engine_partner_exists(conn, *partner) : IPS_INVALID;
    if (st == IPS_INVALID) {
      problem_bad_parameter(req, "partner", "invalid", "is not a project partner");
      return false;
    }
    if (st != IPS_OK) {
      problem_from_status(req, st);
      return false;
    }
  }
  return true;
}

void reports_indicators(struct ips_request *req) {
  struct db_conn *conn;
  PGresult *res = NULL;
  const char *from, *to, *partner;
  ips_status st = request_db(req, &conn);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    return;
  }
  if (!report_period(req, conn, &from, &to, &partner) || !request_may(req, NULL)) return;
  const char *values[] = {from, to, partner};
  st = db_exec(conn, &INDICATORS, values, &res);
  if (st != IPS_OK) problem_from_status(req, st);
  else respond_copy(req, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
  PQclear(res);
}

void reports_targets_get(struct ips_request *req) {
  struct db_conn *conn;
  PGresult *res = NULL;
  if (!request_no_query(req)) return;
  if (!request_may(req, NULL)) return;
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &TARGETS, NULL, &res);
  if (st != IPS_OK) {
    problem_from_status(req, st);
  } else if (!precondition_not_modified(req, atoll(PQgetvalue(res, 0, 0)))) {
    respond_copy(req, 200, "application/json", PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
  }
  PQclear(res);
}

/* A target of the patch: absent keeps current, null clears, else a number
 * from 0 (integers, or with two decimals for hours). Adds errors. */
static char *target_value(json_t *patch, json_t *current, const char *name, bool decimals, json_t *errors) {
  json_t *v = json_object_get(patch, name);
  if (v == NULL) v = json_object_get(current, name);
  if (v == NULL || json_is_null(v)) return NULL;
  char buf[32];
  long hundredths;
  if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100000000) {
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return strdup(buf);
  }
  if (decimals && json_is_real(v) && decimal2_of(json_real_value(v), &hundredths) && hundredths >= 0 &&
      hundredths <= 10000000000L) {
    snprintf(buf, sizeof buf, "%ld.%02ld", hundredths / 100, hundredths % 100);
    return strdup(buf);
  }
  body_error(errors, name, "invalid", decimals ? "must be a number from 0 with at most two decimals, or null"
                                               : "must be a whole number from 0, or null");
  return NULL;
}

void reports_targets_patch(struct ips_request *req) {
  static const char *const names[] = {"es_entities_supported", "advisory_hours", "training_participants",
                                      "seminars", NULL};
  struct db_conn *conn = NULL;
  PGresult *res = NULL;
  char *values[5] = {NULL};
  json_t *current = NULL;
  if (!request_no_query(req)) return;
  ips_status st = request_db(req, &conn);
  if (st == IPS_OK) st = db_exec(conn, &TARGETS, NULL, &res);
  if (st != IPS_OK) goto fail;
  if (!request_may(req, NULL)) goto out;
  long long version = atoll(PQgetvalue(res, 0, 0));
  if (!precondition_if_match(req, version)) goto out;
  json_t *patch = body_object(req);
  if (patch == NULL) goto out;
  current = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
  json_t *errors = json_array();
  body_reject_unknown(patch, names, errors);
  for (int i = 0; i < 4; i++) values[i] = target_value(patch, current, names[i], i == 1, errors);
  if (body_fail_if_errors(req, errors)) goto out;
  char version_text[24];
  snprintf(version_text, sizeof version_text, "%lld", version);
  values[4] = strdup(version_text);
  PQclear(res);
  res = NULL;
  st = request_tx_begin(req, &conn);
  /* the update and COMMIT in one round trip; no row means nothing changed */
  if (st == IPS_OK) st = tx_exec_commit(conn, &SET_TARGETS, (const char *const *)values, &res);
  if (st == IPS_OK && PQntuples(res) == 0) {
    /* changed between our read and this update: tell its version now */
    PQclear(res);
    res = NULL;
    st = db_exec(conn, &TARGETS, NULL, &res);
    if (st != IPS_OK) goto fail;
    precondition_failed(req, atoll(PQgetvalue(res, 0, 0)));
    goto out;
  }
  if (st != IPS_OK) goto fail;
  respond_json_etag(req, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1),
                    atoll(PQgetvalue(res, 0, 0)));
  goto out;
fail:
  if (conn) tx_rollback(conn);
  problem_from_status(req, st);
out:
  for (int i = 0; i < 5; i++) free(values[i]);
  json_decref(current);
  PQclear(res);
}
