#include "resources/report_csv.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>
#include <yder.h>

#include "app.h"
#include "db/pool.h"
#include "http/gzip.h"
#include "http/problem.h"
#include "http/response.h"
#include "resources/reports.h"
#include "util/strbuf.h"

#define CSV_BLOCK (64 * 1024)

/*
 * The columns, in order. Text cells hold what people typed or named (names,
 * addresses, codes, an entity's or a gmina's name: every text column of the
 * query) and are neutralised against spreadsheet formulas; the others are
 * ids, numbers and dates that PostgreSQL formats itself, written as they
 * are (a negative age from inconsistent dates stays a number).
 */
static const struct csv_column COLUMNS[] = {
  {"beneficiary_id", false}, {"partner", true},     {"first_name", true},     {"last_name", true},
  {"pesel", true},           {"gender", true},      {"age_at_support_start", false},
  {"education", true},       {"labour_status", true}, {"teryt_gmina", true}, {"gmina", true},
  {"powiat", true},          {"street", true},      {"postal_code", true},    {"email", true},
  {"phone", true},           {"es_entity", true},   {"support_start", false}, {"support_end", false},
  {"service_kind", true},    {"hours", false},
};
#define CSV_COLUMNS ((int)(sizeof COLUMNS / sizeof COLUMNS[0]))

/* $1 from, $2 to, $3 partner of the deliveries, $4 partner of the beneficiaries (coordinators);
 * sent as COPY (...) TO STDOUT with the values as literals (sql_with_literals) */
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

/* The first characters that make a spreadsheet read a cell as a formula
 * (OWASP, CSV injection); the NUL ends the list, not a trigger. */
static bool csv_formula_start(char c) {
  return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

/* The length of the field at row[0..len): up to the comma or line end
 * after it; a quoted field ends at a quote that is not doubled. */
static size_t copy_field_length(const char *row, size_t len) {
  size_t i = 0;
  if (len > 0 && row[0] == '"') {
    for (i = 1; i < len; i++) {
      if (row[i] != '"') continue;
      if (i + 1 < len && row[i + 1] == '"') i++;
      else return i + 1;
    }
    return len;
  }
  while (i < len && row[i] != ',' && row[i] != '\n') i++;
  return i;
}

/* Appends one field of COPY's CSV as the export writes it (see csv_copy_row). */
static void append_copy_field(struct strbuf *out, const char *field, size_t n, bool text) {
  bool quoted = n >= 2 && field[0] == '"';
  const char *inner = quoted ? field + 1 : field;
  size_t inner_len = quoted ? n - 2 : n;
  if (inner_len == 0) return;  /* "" (an empty string) reads as NULL does */
  if (text && csv_formula_start(inner[0])) {
    strbuf_append(out, "\"'", 2);
    strbuf_append(out, inner, inner_len);  /* its quotes are doubled already */
    strbuf_putc(out, '"');
  } else {
    strbuf_append(out, field, n);
  }
}

void csv_copy_row(struct strbuf *out, const char *row, size_t len, const struct csv_column *columns,
                  int count) {
  if (len > 0 && row[len - 1] == '\n') len--;
  size_t at = 0;
  for (int col = 0; col < count && at <= len; col++) {
    if (col) strbuf_putc(out, ',');
    size_t n = copy_field_length(row + at, len - at);
    append_copy_field(out, row + at, n, columns[col].text);
    at += n + 1;  /* and the comma */
  }
  strbuf_append(out, "\r\n", 2);
}

struct csv_stream {
  struct db_conn *conn;   /* owned: checked in when the stream ends */
  struct strbuf pending;
  size_t sent;            /* bytes of pending already handed to MHD */
  bool header_sent;
  bool done;              /* the COPY has ended, its result read */
  bool failed;
  bool gzip;              /* the answer is gzip-coded through z */
  bool flushed;           /* z has sent out all of pending */
  bool coded_end;         /* z has written the gzip trailer */
  z_stream z;
};

static void append_header(struct strbuf *b) {
  for (int col = 0; col < CSV_COLUMNS; col++) {
    if (col) strbuf_putc(b, ',');
    strbuf_puts(b, COLUMNS[col].name);
  }
  strbuf_append(b, "\r\n", 2);
}

static void log_failure(const PGresult *res) {
  const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  y_log_message(Y_LOG_LEVEL_ERROR, "report csv: the query failed: SQLSTATE %s", state ? state : "?");
}

/* After the last row: the COPY's own result says whether it completed. */
static void finish_copy(struct csv_stream *s, PGconn *pg) {
  PGresult *res;
  while ((res = PQgetResult(pg)) != NULL) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      log_failure(res);
      s->failed = true;
    }
    PQclear(res);
  }
  s->done = true;
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
    char *row = NULL;
    int n = PQgetCopyData(pg, &row, 0);
    if (n < 0) {
      finish_copy(s, pg);  /* -1 the end, -2 an error: the result says which */
      if (n == -2) s->failed = true;
      break;
    }
    csv_copy_row(&s->pending, row, (size_t)n, COLUMNS, CSV_COLUMNS);
    PQfreemem(row);
  }
  if (strbuf_failed(&s->pending)) s->failed = true;
}

/*
 * The gzip-coded stream: pending is deflated as it comes (Z_NO_FLUSH);
 * once a block of rows is in, Z_SYNC_FLUSH sends it on before the next,
 * possibly slow, read from the database; after the last, Z_FINISH. Memory
 * stays one block and one deflate state, whatever the size of the export.
 */
static ssize_t csv_read_gzip(struct csv_stream *s, char *out, size_t max) {
  z_stream *z = &s->z;
  z->next_out = (Bytef *)out;
  z->avail_out = max > UINT_MAX ? UINT_MAX : (uInt)max;
  uInt room = z->avail_out;
  while (z->avail_out == room && !s->coded_end) {
    if (z->avail_in == 0 && s->flushed && !s->done) {
      refill(s);
      if (s->failed) return U_STREAM_ERROR;
      z->next_in = (Bytef *)s->pending.data;
      z->avail_in = (uInt)s->pending.len;
      s->flushed = false;
    }
    int flush = z->avail_in > 0 ? Z_NO_FLUSH : s->done ? Z_FINISH : Z_SYNC_FLUSH;
    int rc = deflate(z, flush);
    if (rc == Z_STREAM_END) s->coded_end = true;
    else if (rc != Z_OK && rc != Z_BUF_ERROR) return U_STREAM_ERROR;
    if (flush == Z_SYNC_FLUSH && z->avail_out > 0) s->flushed = true;
  }
  size_t n = room - z->avail_out;
  if (n == 0) return s->failed ? U_STREAM_ERROR : U_STREAM_END;
  return (ssize_t)n;
}

/* Starts coding the stream, from the rows already in pending. */
static bool csv_start_gzip(struct csv_stream *s) {
  if (s->pending.len > UINT_MAX || !gzip_stream_init(&s->z)) return false;
  s->gzip = true;
  s->z.next_in = (Bytef *)s->pending.data;
  s->z.avail_in = (uInt)s->pending.len;
  return true;
}

static ssize_t csv_read(void *cls, uint64_t offset, char *out, size_t max) {
  (void)offset;
  struct csv_stream *s = cls;
  if (s->gzip) return csv_read_gzip(s, out, max);
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

/* Reads and drops what is left of a COPY, then its results. */
static void drain_copy(PGconn *pg) {
  char *row;
  int n;
  while ((n = PQgetCopyData(pg, &row, 0)) > 0) PQfreemem(row);
  PGresult *res;
  while ((res = PQgetResult(pg)) != NULL) PQclear(res);
}

/* The end of the stream, complete or not: cancel and drain, give the
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
    drain_copy(pg);
  }
  db_checkin(s->conn);
  if (s->gzip) deflateEnd(&s->z);
  strbuf_free(&s->pending);
  free(s);
}

/*
 * Returns sql (owned by the caller; NULL when out of memory) with each $N
 * (one digit, N <= n) replaced by values[N-1] as an escaped literal, or by
 * NULL where values[N-1] is NULL: for COPY, which takes no parameters.
 */
static char *sql_with_literals(PGconn *pg, const char *sql, int n, const char *const *values) {
  struct strbuf out;
  strbuf_init(&out);
  for (const char *c = sql; *c; c++) {
    int index = c[0] == '$' && c[1] >= '1' && c[1] <= '9' ? c[1] - '1' : -1;
    if (index < 0 || index >= n) {
      strbuf_putc(&out, *c);
      continue;
    }
    c++;
    char *literal = values[index] ? PQescapeLiteral(pg, values[index], strlen(values[index])) : NULL;
    if (values[index] && literal == NULL) {
      strbuf_free(&out);
      return NULL;
    }
    strbuf_puts(&out, literal ? literal : "NULL");
    PQfreemem(literal);
  }
  return strbuf_steal(&out);
}

/* Starts COPY (the query) TO STDOUT in CSV: PostgreSQL formats every value
 * and sends a row a message, far cheaper to read than a result a row. */
static bool send_copy(PGconn *pg, const char *const *values) {
  char *query = sql_with_literals(pg, QUERY, 4, values);
  if (query == NULL) return false;
  struct strbuf copy;
  strbuf_init(&copy);
  strbuf_printf(&copy, "COPY (%s) TO STDOUT (FORMAT csv)", query);
  free(query);
  bool sent = !strbuf_failed(&copy) && PQsendQuery(pg, copy.data);
  strbuf_free(&copy);
  if (!sent) return false;
  PGresult *res = PQgetResult(pg);
  bool started = PQresultStatus(res) == PGRES_COPY_OUT;
  if (!started) log_failure(res);
  PQclear(res);
  return started;
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
  if (!send_copy(pg, values)) {
    if (PQstatus(pg) == CONNECTION_OK) drain_copy(pg);
    problem_from_status(req, PQstatus(pg) == CONNECTION_OK ? IPS_ERROR : IPS_UNAVAILABLE);
    return;
  }
  struct csv_stream *s = calloc(1, sizeof *s);
  if (s == NULL) {
    drain_copy(pg);
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "out of memory");
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
    problem_send_kind(req, PROBLEM_INTERNAL_ERROR, "the report could not be produced; it has been logged");
    return;
  }
  if (respond_gzip_accepted(req) && !csv_start_gzip(s)) {
    csv_free(s);
    problem_send(req, 500, "out of memory");
    return;
  }
  ulfius_set_stream_response(req->resp, 200, csv_read, csv_free, U_STREAM_SIZE_UNKNOWN, CSV_BLOCK, s);
  respond_header(req, "Content-Type", "text/csv; charset=utf-8");
  respond_header(req, "Content-Disposition", "attachment; filename=\"participants.csv\"");
  if (s->gzip) respond_header(req, "Content-Encoding", "gzip");
}
