/*
 * A deadline for request heads, against slow clients (slowloris): a
 * connection must deliver each request head within IPS_HTTP_HEAD_TIMEOUT_S
 * of opening, or of the end of its previous request; otherwise it is shut.
 * libmicrohttpd's own timeout counts idleness, so a client that sends a byte
 * every few seconds never meets it.
 */
#ifndef IPS_HTTP_HEAD_DEADLINE_H
#define IPS_HTTP_HEAD_DEADLINE_H

#include <microhttpd.h>
#include <stdbool.h>

/* Starts the watchdog thread (seconds 0: no deadline, nothing started).
 * False when the thread cannot be made. */
bool head_deadline_start(unsigned seconds);
/* Stops the watchdog; connections still open are left to the daemon. */
void head_deadline_stop(void);

/* MHD_OPTION_NOTIFY_CONNECTION: tracks each connection from its start to
 * its close. */
void head_deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);
/* The head of the connection's current request has arrived. */
void head_deadline_met(struct MHD_Connection *c);
/* The connection's request has ended: the next head's time starts now. */
void head_deadline_rearm(struct MHD_Connection *c);

#endif
