/*
 * A fixed number of slots for costly work (a counting semaphore whose
 * acquire waits a bounded time). Thread-safe.
 */
#ifndef IPS_UTIL_SLOTS_H
#define IPS_UTIL_SLOTS_H

#include <stdbool.h>

struct slots;

/* New slots, n of them (n >= 1); returns an owned object (slots_destroy),
 * or NULL when out of memory. */
struct slots *slots_create(unsigned n);

/* Takes a slot, waiting at most wait_ms for one to come free; false when
 * none did (nothing is taken then). */
bool slots_acquire(struct slots *s, unsigned wait_ms);

/* Gives back a slot taken by slots_acquire. */
void slots_release(struct slots *s);

/* Frees s (NULL is fine); no slot may be taken. */
void slots_destroy(struct slots *s);

#endif
