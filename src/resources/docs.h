/* GET /openapi.yaml, /openapi.json, /docs, /docs/docs.js and
 * /docs/redoc.standalone.js:
 * the contract and its documentation page, served from the binary. */
#ifndef IPS_RESOURCES_DOCS_H
#define IPS_RESOURCES_DOCS_H

#include "http/request.h"

/* Answers the embedded file of the request's route (docs.c's table). */
void docs_serve(struct ips_request *req);

#endif
