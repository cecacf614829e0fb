/*
 * The route table: every path the service answers, with its handler and the
 * policy row and action that decide who may call it (DESIGN §2).
 */
#ifndef IPS_ROUTES_H
#define IPS_ROUTES_H

#include <stddef.h>

#include "app.h"

/* The static table (borrowed, never freed); its length in *n. */
const struct route *routes_table(size_t *n);

#endif
