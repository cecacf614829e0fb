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
 * The indicators of DESIGN §3, read from the summary that the writing
 * transactions keep (migration 0008): a few rows per Warsaw day of the
 * period. $1 from, $2 to (dates, Europe/Warsaw, inclusive), $3 partner (of
 * the deliveries). A subject (a person who attended, an entity supported)
 * counts when one of its days falls in the period: its chains' starts up to
 * to, less its chains' ends before from, less the chains with a gap holding
 * the whole period. Erased people count (their statistical fields remain),
 * deleted records do not; the gminas' high-poverty flag is read now.
 */
static const struct db_statement INDICATORS = {
  "reports_indicators",
  "WITH p AS (SELECT coalesce($3::text, '') AS partner, $1::date AS from_day, $2::date AS to_day),"
  "  daily AS ("
  "   SELECT r.kind, r.slot,"
  "          sum(r.firsts) - coalesce(sum(r.lasts) FILTER (WHERE r.day < p.from_day), 0) AS n,"
  "          coalesce(sum(r.amount) FILTER (WHERE p.from_day IS NULL OR r.day >= p.from_day), 0) AS amount"
  "     FROM p JOIN report_daily r ON r.partner = p.partner AND (p.to_day IS NULL OR r.day <= p.to_day)"
  "    GROUP BY r.kind, r.slot),"
  "  gaps AS ("
  "   SELECT g.kind, sl.slot, count(*) AS n"
  "     FROM p JOIN report_gaps g ON g.partner = p.partner AND g.gap @> daterange(p.from_day, p.to_day, '[]')"
  "     JOIN report_subjects s ON s.subject_type = g.subject_type AND s.subject = g.subject"
  "    CROSS JOIN LATERAL unnest(CASE WHEN g.kind = '' THEN s.slots ELSE ARRAY[report_kind_slot(s.subject_type)] END) sl(slot)"
  "    WHERE p.from_day IS NOT NULL AND p.to_day IS NOT NULL"
  "    GROUP BY g.kind, sl.slot),"
  "  c AS (SELECT d.kind, d.slot, d.n - coalesce(g.n, 0) AS n, d.amount FROM daily d LEFT JOIN gaps g USING (kind, slot)),"
  "  dd AS ("
  "   SELECT r.kind, sum(r.deliveries) AS deliveries, sum(r.hours) AS hours, sum(r.guests) AS guests"
  "     FROM p JOIN report_delivery_days r ON r.partner = p.partner"
  "      AND (p.from_day IS NULL OR r.day >= p.from_day) AND (p.to_day IS NULL OR r.day <= p.to_day)"
  "    GROUP BY r.kind),"
  "  kinds AS (SELECT unnest(ARRAY['advisory', 'legal', 'financial', 'marketing', 'information',"
  "            'training', 'seminar']) AS kind)"
  " SELECT json_build_object("
  "   'period', json_build_object('from', $1::text, 'to', $2::text, 'partner', $3::text),"
  "   'es_entities', (SELECT json_build_object('supported', e.n, 'social_cooperatives', co.n,"
  "       'target', t.es_entities_supported, 'share_of_target', CASE WHEN t.es_entities_supported > 0"
  "       THEN round(e.n::numeric / t.es_entities_supported, 4) END)"
  "       FROM report_targets t,"
  "       LATERAL (SELECT coalesce(sum(n), 0) AS n FROM c WHERE kind = '' AND slot = 'entities') e,"
  "       LATERAL (SELECT coalesce(sum(n), 0) AS n FROM c WHERE kind = '' AND slot = 'coops') co),"
  "   'by_service_kind', (SELECT json_object_agg(k.kind, json_build_object('deliveries', coalesce(dd.deliveries, 0),"
  "       'hours', coalesce(dd.hours, 0), 'entities', coalesce(ce.n, 0), 'participants', coalesce(cp.n, 0))"
  "       ORDER BY k.kind)"
  "       FROM kinds k LEFT JOIN dd ON dd.kind = k.kind"
  "       LEFT JOIN c ce ON ce.kind = k.kind AND ce.slot = 'entities'"
  "       LEFT JOIN c cp ON cp.kind = k.kind AND cp.slot = 'people'),"
  "   'beneficiaries', (SELECT json_build_object("
  "     'total', coalesce((SELECT n FROM c WHERE kind = '' AND slot = 'people'), 0),"
  "     'by_gender', (SELECT json_object_agg(v, coalesce(c.n, 0) ORDER BY o)"
  "        FROM unnest(ARRAY['female', 'male']) WITH ORDINALITY x(v, o)"
  "        LEFT JOIN c ON c.kind = '' AND c.slot = 'gender:' || v),"
  "     'by_education', (SELECT json_object_agg(v, coalesce(c.n, 0) ORDER BY o)"
  "        FROM unnest(ARRAY['none', 'primary', 'lower_secondary', 'upper_secondary', 'post_secondary', 'tertiary',"
  "                          'unknown']) WITH ORDINALITY x(v, o)"
  "        LEFT JOIN c ON c.kind = '' AND c.slot = 'education:' || v),"
  "     'by_labour_status', (SELECT json_object_agg(v, coalesce(c.n, 0) ORDER BY o)"
  "        FROM unnest(ARRAY['employed', 'unemployed', 'long_term_unemployed', 'inactive', 'self_employed',"
  "                          'unknown']) WITH ORDINALITY x(v, o)"
  "        LEFT JOIN c ON c.kind = '' AND c.slot = 'labour:' || v),"
  "     'by_partner', (SELECT json_object_agg(pp.code, coalesce(c.n, 0) ORDER BY pp.code)"
  "        FROM project_partners pp LEFT JOIN c ON c.kind = '' AND c.slot = 'partner:' || pp.code),"
  "     'by_powiat', (SELECT json_object_agg(pw.teryt, coalesce(x.n, 0) ORDER BY pw.teryt)"
  "        FROM powiats pw LEFT JOIN (SELECT g.powiat, sum(c.n) AS n FROM gminas g"
  "                                     JOIN c ON c.kind = '' AND c.slot = 'gmina:' || g.teryt GROUP BY g.powiat) x"
  "          ON x.powiat = pw.teryt),"
  "     'high_poverty_gminas', (SELECT coalesce(sum(c.n), 0) FROM gminas g"
  "                              JOIN c ON c.kind = '' AND c.slot = 'gmina:' || g.teryt WHERE g.high_poverty))),"
  "   'seminars', json_build_object("
  "     'count', coalesce((SELECT deliveries FROM dd WHERE kind = 'seminar'), 0),"
  "     'guests', coalesce((SELECT guests FROM dd WHERE kind = 'seminar'), 0),"
  "     'beneficiary_attendees', coalesce((SELECT amount FROM c WHERE kind = 'seminar' AND slot = 'attendances'), 0)))::text",
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
  /* a report may lag the writes by a few seconds: the replica's, if any */
  ips_status st = request_read_db(req, &conn);
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
