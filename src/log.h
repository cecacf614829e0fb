/*
 * Logging through yder, initialised once before the server starts. Lines go
 * to stderr: faults (ERROR), security events (WARNING, "security: ..."),
 * business events and access lines (INFO). Never a token, password or PII.
 */
#ifndef IPS_LOG_H
#define IPS_LOG_H

#include <stdbool.h>

void log_start(int level);
void log_stop(void);

/* True when a message of this yder level would be written: yder formats a
 * message before it filters it, so hot paths ask first. */
bool log_enabled(unsigned long level);

#endif
