#include "resources/report_csv.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>
#include <yder.h>

#include "app.h"
#include "db/pool.h"
#include "http/problem.h"
#include "http/response.h"
#include "resources/reports.h"
#include "util/strbuf.h"

#define CSV_BLOCK (64 * 1024)

/*
 * The columns, in order. TEXT cells hold what people typed or named (names,
 * addresses, codes, an entity's or a gmina's name: every text column of the
 * query) and are neutralised against spreadsheet formulas; VALUE cells are
 * ids, numbers and dates that PostgreSQL formats itself, written as they
 * are (a negative age from inconsistent dates stays a number).
 */
enum csv_cell { CSV_VALUE, CSV_TEXT };

static const struct {
  const char *name;
  enum csv_cell cell;
} COLUMNS[] = {
  {"beneficiary_id", CSV_VALUE}, {"partner", CSV_TEXT},       {"first_name", CSV_TEXT},
  {"last_name", CSV_TEXT},       {"pesel", CSV_TEXT},         {"gender", CSV_TEXT},
  {"age_at_support_start", CSV_VALUE},                        {"education", CSV_TEXT},
  {"labour_status", CSV_TEXT},   {"teryt_gmina", CSV_TEXT},   {"gmina", CSV_TEXT},
  {"powiat", CSV_TEXT},          {"street", CSV_TEXT},        {"postal_code", CSV_TEXT},
  {"email", CSV_TEXT},           {"phone", CSV_TEXT},         {"es_entity", CSV_TEXT},
  {"support_start", CSV_VALUE},  {"support_end", CSV_VALUE},  {"service_kind", CSV_TEXT},
  {"hours", CSV_VALUE},
};
#define CSV_COLUMNS ((int)(sizeof COLUMNS / sizeof COLUMNS[0]))

/* $1 from, $2 to, $3 partner of the deliveries, $4 partner of the beneficiaries (coordinators) */
static const char QUERY[] =
    "WITH d AS ("
    "  SELECT d.id, d.hours, d.started_at, s.kind FROM deliveries d JOIN services s ON s.id = d.service_id"
    "   WHERE d.deleted_at IS NULL"
    "     AND ($1::text IS NULL OR d.started_at >= ips_period_start($1::text))"
    "     AND ($2::text IS NULL OR d.started_at < ips_period_end($2::text))"
    "     AND ($3::text IS NULL OR d.partner = $3::text)),"
    " r AS ("
    "  SELECT p.beneficiary_id, d.kind, sum(d.hours) AS hours, min(d.started_at) AS first_at"
    "    FROM participants p JOIN d ON d.id = p.delivery_id"
    "   WHERE p.deleted_at IS NULL AND p.attended GROUP BY p.beneficiary_id, d.kind)"
    " SELECT b.id, b.partner, b.first_name, b.last_name, b.pesel, b.gender,"
    "  CASE WHEN b.birth_date IS NOT NULL"
    "       THEN extract(year FROM age(coalesce(b.support_start, (r.first_at AT TIME ZONE 'Europe/Warsaw')::date),"
    "                                  b.birth_date))::integer"
    "       ELSE extract(year FROM coalesce(b.support_start, (r.first_at AT TIME ZONE 'Europe/Warsaw')::date))::integer"
    "            - b.birth_year END,"
    "  b.education, b.labour_status, b.teryt_gmina, g.name, pw.name, b.street, b.postal_code, b.email, b.phone,"
    "  e.name, b.support_start, b.support_end, r.kind, r.hours"
    "  FROM r JOIN beneficiaries b ON b.id = r.beneficiary_id AND b.deleted_at IS NULL"
    "  JOIN gminas g ON g.teryt = b.teryt_gmina JOIN powiats pw ON pw.teryt = g.powiat"
    "  LEFT JOIN es_entities e ON e.id = b.es_entity_id AND e.deleted_at IS NULL"
    " WHERE ($4::text IS NULL OR b.partner = $4::text)"
    " ORDER BY b.last_name, b.id, r.kind";

/* Appends value between quotes, quotes doubled, after prefix (may be ""). */
static void csv_quoted(struct strbuf *out, const char *prefix, const char *value) {
  strbuf_putc(out, '"');
  strbuf_puts(out, prefix);
  for (const char *c = value; *c; c++) {
    if (*c == '"') strbuf_putc(out, '"');
    strbuf_putc(out, *c);
  }
  strbuf_putc(out, '"');
}

void csv_field(struct strbuf *out, const char *value) {
  if (value == NULL) return;
  if (strpbrk(value, ",\"\r\n") == NULL) strbuf_puts(out, value);
  else csv_quoted(out, "", value);
}

/* The first characters that make a spreadsheet read a cell as a formula
 * (OWASP, CSV injection); the NUL ends the list, not a trigger. */
static bool csv_formula_start(char c) {
  return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

void csv_text_field(struct strbuf *out, const char *value) {
  if (value != NULL && csv_formula_start(value[0])) csv_quoted(out, "'", value);
  else csv_field(out, value);
}

struct csv_stream {
  struct db_conn *conn;   /* owned: checked in when the stream ends */
  struct strbuf pending;
  size_t sent;            /* bytes of pending already handed to MHD */
  bool header_sent;
  bool done;
  bool failed;
};

static void append_header(struct strbuf *b) {
  for (int col = 0; col < CSV_COLUMNS; col++) {
    if (col) strbuf_putc(b, ',');
    strbuf_puts(b, COLUMNS[col].name);
  }
  strbuf_append(b, "\r\n", 2);
}

static void append_row(struct strbuf *b, const PGresult *res) {
  for (int col = 0; col < CSV_COLUMNS; col++) {
    const char *value = PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
    if (col) strbuf_putc(b, ',');
    if (COLUMNS[col].cell == CSV_TEXT) csv_text_field(b, value);
    else csv_field(b, value);
  }
  strbuf_append(b, "\r\n", 2);
}

/* Fills pending with the next rows, up to about a block. */
static void refill(struct csv_stream *s) {
  PGconn *pg = db_pgconn(s->conn);
  strbuf_free(&s->pending);
  s->sent = 0;
  if (!s->header_sent) {
    append_header(&s->pending);
    s->header_sent = true;
  }
  while (!s->done && s->pending.len < CSV_BLOCK) {
    PGresult *res = PQgetResult(pg);
    if (res == NULL) {
      s->done = true;
      break;
    }
    ExecStatusType t = PQresultStatus(res);
    if (t == PGRES_SINGLE_TUPLE) {
      append_row(&s->pending, res);
    } else if (t != PGRES_TUPLES_OK) {
      y_log_message(Y_LOG_LEVEL_ERROR, "report csv: the query failed: SQLSTATE %s",
                    PQresultErrorField(res, PG_DIAG_SQLSTATE) ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "?");
      s->failed = true;
    }
    PQclear(res);
  }
}

static ssize_t csv_read(void *cls, uint64_t offset, char *out, size_t max) {
  (void)offset;
  struct csv_stream *s = cls;
  if (s->sent >= s->pending.len) {
    if (s->done) return s->failed ? U_STREAM_ERROR : U_STREAM_END;
    refill(s);
    if (s->failed) return U_STREAM_ERROR;
    if (s->pending.len == 0) return U_STREAM_END;
  }
  size_t n = s->pending.len - s->sent;
  if (n > max) n = max;
  memcpy(out, s->pending.data + s->sent, n);
  s->sent += n;
  return (ssize_t)n;
}

/* The end of the stream, complete or not: drain or cancel, give the
 * connection back. */
static void csv_free(void *cls) {
  struct csv_stream *s = cls;
  PGconn *pg = db_pgconn(s->conn);
  if (!s->done && pg) {
    PGcancel *cancel = PQgetCancel(pg);
    char err[128];
    if (cancel) {
      PQcancel(cancel, err, sizeof err);
      PQfreeCancel(cancel);
    }
    PGresult *res;
    while ((res = PQgetResult(pg)) != NULL) PQclear(res);
  }
  db_checkin(s->conn);
  strbuf_free(&s->pending);
  free(s);
}

void reports_participants_csv(struct ips_request *req) {
  struct db_conn *conn;
  const char *from, *to, *partner;
  const struct principal *p = &req->principal;
  /* a report may lag the writes by a few seconds: the replica's, if any */
  ips_status st = request_read_db(req, &conn);
  if (st != IPS_OK) {
    problem_from_status(req, st);
    return;
  }
  if (!report_period(req, conn, &from, &to, &partner) || !request_may(req, NULL)) return;
  /* admin and auditor: every row; a coordinator: its own partner's beneficiaries */
  const char *own = policy_sees_pii(p->role_id, p->partner, "*") ? NULL : p->partner;
  const char *values[] = {from, to, partner, own};
  PGconn *pg = db_pgconn(conn);
  if (!PQsendQueryParams(pg, QUERY, 4, NULL, values, NULL, NULL, 0) || !PQsetSingleRowMode(pg)) {
    y_log_message(Y_LOG_LEVEL_ERROR, "report csv: cannot send the query: %s", PQerrorMessage(pg));
    PGresult *res;
    while ((res = PQgetResult(pg)) != NULL) PQclear(res);
    problem_from_status(req, PQstatus(pg) == CONNECTION_OK ? IPS_ERROR : IPS_UNAVAILABLE);
    return;
  }
  struct csv_stream *s = calloc(1, sizeof *s);
  if (s == NULL) {
    PGresult *res;
    while ((res = PQgetResult(pg)) != NULL) PQclear(res);
    problem_send(req, 500, "out of memory");
    return;
  }
  strbuf_init(&s->pending);
  /* the stream owns the connection now; the dispatcher must not check it in */
  s->conn = conn;
  req->db = NULL;
  req->db_is_replica = false;
  /* the first rows now, so that a failing query is still a 5xx problem */
  refill(s);
  if (s->failed) {
    csv_free(s);
    problem_send(req, 500, "the report could not be produced; it has been logged");
    return;
  }
  ulfius_set_stream_response(req->resp, 200, csv_read, csv_free, U_STREAM_SIZE_UNKNOWN, CSV_BLOCK, s);
  respond_header(req, "Content-Type", "text/csv; charset=utf-8");
  respond_header(req, "Content-Disposition", "attachment; filename=\"participants.csv\"");
}
