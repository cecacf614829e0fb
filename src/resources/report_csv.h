/*
 * GET /v1/reports/participants.csv: the participant list for the funding
 * body, one row a beneficiary and service kind received, streamed from
 * PostgreSQL row by row (single-row mode) so that a large export never sits
 * in memory whole.
 */
#ifndef IPS_RESOURCES_REPORT_CSV_H
#define IPS_RESOURCES_REPORT_CSV_H

#include <stdbool.h>

#include "http/request.h"

struct strbuf;
struct db_conn;

/* Appends value as one RFC 4180 field: quoted when it holds a comma, a
 * quote, CR or LF (quotes doubled); NULL is an empty field. */
void csv_field(struct strbuf *out, const char *value);

/* Appends value as csv_field does, but a value that begins with =, +, -, @,
 * TAB or CR, which a spreadsheet would run as a formula, is quoted with a
 * single quote put before it ('=SUM(A1) reads as text): for text that
 * people typed. NULL is an empty field. */
void csv_text_field(struct strbuf *out, const char *value);

/* The period parameters of the reports (from, to, partner); sends 400 on a
 * bad one and returns false. */
bool report_period(struct ips_request *req, struct db_conn *conn, const char **from, const char **to,
                   const char **partner);

#endif
