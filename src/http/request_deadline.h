/*
 * Deadlines for requests, against slow clients (slowloris): a connection
 * must deliver each request head within IPS_HTTP_HEAD_TIMEOUT_S of opening,
 * or of the end of its previous request, and the body within
 * IPS_HTTP_BODY_TIMEOUT_S of the head; otherwise it is shut.
 * libmicrohttpd's own timeout counts idleness, so a client that sends a byte
 * every few seconds (or declares a chunk of 2^64 - 1 bytes and trickles it)
 * never meets it. A request inside its handler (a long poll) has no
 * deadline here.
 */
#ifndef IPS_HTTP_REQUEST_DEADLINE_H
#define IPS_HTTP_REQUEST_DEADLINE_H

#include <microhttpd.h>
#include <stdbool.h>

/* Starts the watchdog thread (both 0: no deadline, nothing started; one 0:
 * that phase has none). False when the thread cannot be made. */
bool request_deadline_start(unsigned head_seconds, unsigned body_seconds);
/* Stops the watchdog; connections still open are left to the daemon. */
void request_deadline_stop(void);

/* MHD_OPTION_NOTIFY_CONNECTION: tracks each connection from its start to
 * its close. */
void request_deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                             enum MHD_ConnectionNotificationCode code);
/* Each call of the access handler, with its *upload_data_size: the first
 * call of a request (its head is in) starts the body's time and returns
 * true; the final one (size 0 after the first) ends it, and the handler
 * runs without a deadline. libmicrohttpd's con_cls cannot tell the first
 * call: the URI log callback has set it already. */
bool request_deadline_on_call(struct MHD_Connection *c, size_t upload_data_size);
/* The connection's request has ended: the next head's time starts now. */
void request_deadline_rearm(struct MHD_Connection *c);

#endif
