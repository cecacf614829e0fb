/*
 * The route table: every path the service answers, with its handler and the
 * policy row and action that decide who may call it (DESIGN §2).
 */
#ifndef IPS_ROUTES_H
#define IPS_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* The static table (borrowed, never freed); its length in *n. */
const struct route *routes_table(size_t *n);

#define ROUTES_MAX_RESOURCES 32

/* The engine resources the table names, each once, into out (at most cap);
 * returns how many there are. */
size_t routes_resources(struct resource **out, size_t cap);
/* Generates every engine resource's SQL; false (logged) on a descriptor error. */
bool routes_prepare_resources(void);
void routes_release_resources(void);

#endif
