/*
 * Deliveries: each session of support actually given, and its attendance
 * (GET /v1/deliveries/{id}/participants, PUT and DELETE
 * /v1/deliveries/{id}/participants/{beneficiary_id}).
 */
#ifndef IPS_RESOURCES_DELIVERIES_H
#define IPS_RESOURCES_DELIVERIES_H

#include "http/request.h"
#include "resource/resource.h"

extern struct resource deliveries_resource;

void participants_list(struct ips_request *req);
void participants_put(struct ips_request *req);
void participants_delete(struct ips_request *req);

#endif
