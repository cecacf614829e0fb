/*
 * Beneficiaries: the people the incubator supports (the ESF participant
 * record, personal data). PESEL-derived fields, erasure, and the support
 * history of one person live here; the engine does the rest.
 */
#ifndef IPS_RESOURCES_BENEFICIARIES_H
#define IPS_RESOURCES_BENEFICIARIES_H

#include "http/request.h"
#include "resource/resource.h"

extern struct resource beneficiaries_resource;

/* POST /v1/beneficiaries/{id}/erasure (admin, If-Match, no body). */
void beneficiaries_erase(struct ips_request *req);

/* GET /v1/beneficiaries/{id}/deliveries: the deliveries the person is on. */
void beneficiaries_deliveries(struct ips_request *req);

/* The derived fields and the agreement rules of a PESEL, pure: fills
 * birth_date and gender of record when absent, adds errors when they
 * disagree. Exposed for unit tests. */
void beneficiaries_apply_pesel(json_t *record, json_t *errors);

#endif
