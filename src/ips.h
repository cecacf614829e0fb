/*
 * Shared result codes of ips-api.
 *
 * Functions that can fail return an ips_status and hand their results through
 * out-parameters; callers map the status to HTTP at the edge (http/problem.c).
 */
#ifndef IPS_H
#define IPS_H

typedef enum {
  IPS_OK = 0,
  IPS_NOT_FOUND,      /* the record does not exist (or was deleted) */
  IPS_INVALID,        /* the input is malformed; the caller reports a 4xx */
  IPS_CONFLICT,       /* a uniqueness or state conflict */
  IPS_STALE,          /* optimistic concurrency: the version moved on */
  IPS_UNAVAILABLE,    /* the database is unreachable or the pool is exhausted */
  IPS_ERROR           /* anything else: logged, answered with 500 */
} ips_status;

#define IPS_VERSION_STRING "0.1.0"

#endif
