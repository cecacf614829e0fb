/*
 * libmicrohttpd answers some malformed requests itself, before any handler
 * (a request head too large: 431; a bad Content-Length or chunked encoding:
 * 400), with HTML pages of its own. This module interposes the two
 * libmicrohttpd functions those answers go through, as body_guard.c does
 * MHD_start_daemon, and sends a problem+json document instead, so that
 * every answer of the service is problem+json.
 */
#ifndef IPS_HTTP_MHD_ERRORS_H
#define IPS_HTTP_MHD_ERRORS_H

/* Links this module in (the interposed functions are found by the dynamic
 * linker, not called by name). Call once before the daemon starts. */
void mhd_errors_arm(void);

#endif
