/*
 * GET /v1/reports/participants.csv: the participant list for the funding
 * body, one row a beneficiary and service kind received, streamed from
 * PostgreSQL row by row (COPY TO STDOUT in CSV) so that a large export never sits
 * in memory whole.
 */
#ifndef IPS_RESOURCES_REPORT_CSV_H
#define IPS_RESOURCES_REPORT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

struct strbuf;
struct db_conn;

/* A column of the export: its name, and whether its cells are text that
 * people typed (neutralised against spreadsheet formulas). */
struct csv_column {
  const char *name;
  bool text;
};

/* Appends one row of COPY ... (FORMAT csv) output (row[0..len), ending in
 * LF) as the export writes it: CRLF at its end; an empty string, which
 * COPY writes as "", empty as NULL is; and a text cell that begins with =,
 * +, -, @, TAB or CR, which a spreadsheet would run as a formula, quoted
 * with a single quote put before it ('=SUM(A1) reads as text). Every other
 * field stays as COPY wrote it (quoted when it holds a comma, a quote, CR
 * or LF, quotes doubled). */
void csv_copy_row(struct strbuf *out, const char *row, size_t len, const struct csv_column *columns,
                  int count);

/* The period parameters of the reports (from, to, partner); sends 400 on a
 * bad one and returns false. */
bool report_period(struct ips_request *req, struct db_conn *conn, const char **from, const char **to,
                   const char **partner);

#endif
