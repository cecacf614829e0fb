/*
 * Wakes long-polling readers of the change feed: one thread LISTENs on the
 * channel the change-feed trigger NOTIFYs, and broadcasts to waiters. Waiters
 * also wake once a second and look for themselves, so a lost notification
 * (or a listener reconnecting) costs at most a second.
 */
#ifndef IPS_DB_NOTIFY_H
#define IPS_DB_NOTIFY_H

#include <stdbool.h>

struct notifier;

/* Starts the listener thread on conninfo (borrowed for its lifetime).
 * Returns a new notifier (stop with notifier_stop), or NULL. */
struct notifier *notifier_start(const char *conninfo, unsigned max_waiters);

/* Stops the thread, wakes every waiter for good, frees the notifier. */
void notifier_stop(struct notifier *n);

/* Ends every wait now and refuses new ones (the server is draining). */
void notifier_shutdown(struct notifier *n);

/*
 * Takes a waiting slot; false when max_waiters are already waiting or the
 * server is draining (the caller answers at once). Release with
 * notifier_leave.
 */
bool notifier_enter(struct notifier *n);
void notifier_leave(struct notifier *n);

/* Waits up to timeout_ms for a change newer than after, or a second at
 * most; true when one was announced. */
bool notifier_wait(struct notifier *n, long long after, unsigned timeout_ms);

/* True once the server is draining. */
bool notifier_closing(struct notifier *n);

#endif
