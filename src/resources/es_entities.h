/* Social economy entities supported by the incubator, and their public view
 * (GET /v1/public/es-entities, no token). */
#ifndef IPS_RESOURCES_ES_ENTITIES_H
#define IPS_RESOURCES_ES_ENTITIES_H

#include "resource/resource.h"

extern struct resource es_entities_resource;
extern struct resource public_es_entities_resource;

#endif
