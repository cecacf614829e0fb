/*
 * The HTTP server: the ulfius instance in libmicrohttpd's thread-pool mode,
 * the route table, the dispatcher every request goes through, and the drain
 * on SIGTERM/SIGINT.
 */
#ifndef IPS_SERVER_H
#define IPS_SERVER_H

#include "config.h"

/* Serves until SIGTERM or SIGINT; returns the process exit code. */
int server_run(const struct ips_config *cfg);

#endif
