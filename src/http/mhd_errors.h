/*
 * libmicrohttpd answers some malformed requests itself, before any handler
 * (a request head too large: 431; a bad Content-Length or chunked encoding:
 * 400), with HTML pages of its own. This module interposes the two
 * libmicrohttpd functions those answers go through, as body_guard.c does
 * MHD_start_daemon, and sends a problem+json document instead, so that
 * every answer of the service is problem+json.
 *
 * A Content-Length that is not a number of at most 2^64 - 1 makes
 * libmicrohttpd 0.9.75 write the head of its 400/413 answer twice. The
 * library looks headers up through MHD_lookup_connection_value_n, also
 * interposed here: such a Content-Length is hidden from it, so it sees a
 * request without a body, and body_guard.c refuses the request (400 or 413,
 * Connection: close) before any handler runs.
 */
#ifndef IPS_HTTP_MHD_ERRORS_H
#define IPS_HTTP_MHD_ERRORS_H

#include <microhttpd.h>

/* Links this module in (the interposed functions are found by the dynamic
 * linker, not called by name). Call once before the daemon starts. */
void mhd_errors_arm(void);

/* The request header name (a header, not a footer) as the client sent it,
 * even one hidden from libmicrohttpd; NULL when absent. Borrowed from the
 * connection, valid for the request. */
const char *mhd_request_header(struct MHD_Connection *c, const char *name);

#endif
