/*
 * Refusals before the body is read: 413 for a body declared far over the
 * limit, 400 for a malformed Content-Length, 501 for a transfer coding other
 * than chunked; and the request deadlines' phases (request_deadline.h).
 *
 * ulfius reads a whole request body before any callback runs and silently
 * truncates it past max_post_body_size, so a client declaring a huge
 * Content-Length would be read to the end (or wait forever) before hearing
 * no. ulfius offers no hook between the headers and the body, so this module
 * wraps the access handler ulfius hands to libmicrohttpd: ulfius starts MHD
 * through MHD_start_daemon(), which this executable defines and therefore
 * interposes; the definition records ulfius' handler and starts MHD with
 * body_guard_handler in front of it.
 */
#ifndef IPS_HTTP_BODY_GUARD_H
#define IPS_HTTP_BODY_GUARD_H

#include <stddef.h>

struct metrics;

/* Arms the guard for the next MHD_start_daemon(): bodies declared far
 * larger than max_body (8 times) are answered 413 before they are read;
 * metrics (borrowed) counts them. */
void body_guard_arm(size_t max_body, struct metrics *metrics);

#endif
