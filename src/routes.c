/*
 * routes.c - the route table, the one source of a route's handler, policy
 * row and action. The dispatcher (server.c) matches requests against it,
 * authenticates every route that is not public, and refuses any answer of a
 * guarded route whose handler did not make the check (request_may); the
 * engine's resources are prepared from the descriptors named here.
 */
#include "routes.h"

#include "auth/tokens.h"
#include "http/metrics.h"
#include "resource/resource.h"
#include "resources/audit.h"
#include "resources/beneficiaries.h"
#include "resources/changes.h"
#include "resources/deliveries.h"
#include "resources/docs.h"
#include "resources/es_entities.h"
#include "resources/gminas.h"
#include "resources/health.h"
#include "resources/partnership_members.h"
#include "resources/problems.h"
#include "resources/reports.h"
#include "resources/services.h"
#include "resources/users.h"

/* No token and no policy row: anyone may call. */
#define PUBLIC(method, path, handler) {method, path, handler, ROUTE_PUBLIC, POLICY_NONE, ACTION_READ, NULL}
/* A token, and the policy row's cell for the caller's role and action. */
#define GUARDED(method, path, handler, policy, action) {method, path, handler, 0, policy, action, NULL}
/* The same, served by the resource engine from res. */
#define ENGINE(method, path, handler, res, policy, action) {method, path, handler, 0, policy, action, res}
#define CRUD(path, res, policy)                                                  \
  ENGINE("GET", path, resource_list, res, policy, ACTION_READ),                  \
  ENGINE("POST", path, resource_create, res, policy, ACTION_CREATE),             \
  ENGINE("GET", path "/{id}", resource_get, res, policy, ACTION_READ),           \
  ENGINE("PATCH", path "/{id}", resource_update, res, policy, ACTION_UPDATE),    \
  ENGINE("DELETE", path "/{id}", resource_delete, res, policy, ACTION_DELETE)

/* clang-format off */
static const struct route ROUTES[] = {
  PUBLIC("GET", "/healthz", health_live),
  PUBLIC("GET", "/readyz", health_ready),
  PUBLIC("GET", "/metrics", metrics_handler),
  PUBLIC("GET", "/problems", problems_index),
  PUBLIC("GET", "/problems/{slug}", problems_page),
  PUBLIC("GET", "/openapi.yaml", docs_serve),
  PUBLIC("GET", "/openapi.json", docs_serve),
  PUBLIC("GET", "/docs", docs_serve),
  PUBLIC("GET", "/docs/docs.js", docs_serve),
  PUBLIC("GET", "/docs/redoc.standalone.js", docs_serve),
  PUBLIC("GET", "/.well-known/jwks.json", tokens_jwks),
  PUBLIC("POST", "/v1/auth/token", tokens_issue),
  PUBLIC("POST", "/v1/auth/revoke", tokens_revoke),
  GUARDED("GET", "/v1/me", users_me, POLICY_SELF, ACTION_READ),
  PUBLIC("GET", "/v1/gminas", gminas_list),
  PUBLIC("GET", "/v1/gminas/{teryt}", gminas_get),
  GUARDED("PATCH", "/v1/gminas/{teryt}", gminas_patch, POLICY_GMINAS, ACTION_UPDATE),
  ENGINE("GET", "/v1/users", resource_list, &users_resource, POLICY_USERS, ACTION_READ),
  ENGINE("POST", "/v1/users", resource_create, &users_resource, POLICY_USERS, ACTION_CREATE),
  ENGINE("GET", "/v1/users/{id}", resource_get, &users_resource, POLICY_USERS, ACTION_READ),
  ENGINE("PATCH", "/v1/users/{id}", resource_update, &users_resource, POLICY_USERS, ACTION_UPDATE),
  CRUD("/v1/partnership-members", &partnership_members_resource, POLICY_PARTNERSHIP_MEMBERS),
  CRUD("/v1/es-entities", &es_entities_resource, POLICY_ES_ENTITIES),
  CRUD("/v1/services", &services_resource, POLICY_SERVICES),
  CRUD("/v1/beneficiaries", &beneficiaries_resource, POLICY_BENEFICIARIES),
  ENGINE("POST", "/v1/beneficiaries/{id}/erasure", beneficiaries_erase, &beneficiaries_resource,
         POLICY_BENEFICIARIES, ACTION_ERASE),
  GUARDED("GET", "/v1/beneficiaries/{id}/deliveries", beneficiaries_deliveries, POLICY_BENEFICIARIES,
          ACTION_READ),
  CRUD("/v1/deliveries", &deliveries_resource, POLICY_DELIVERIES),
  GUARDED("GET", "/v1/deliveries/{id}/participants", participants_list, POLICY_PARTICIPANTS, ACTION_READ),
  GUARDED("PUT", "/v1/deliveries/{id}/participants/{beneficiary_id}", participants_put, POLICY_PARTICIPANTS,
          ACTION_CREATE),
  GUARDED("DELETE", "/v1/deliveries/{id}/participants/{beneficiary_id}", participants_delete,
          POLICY_PARTICIPANTS, ACTION_DELETE),
  {"GET", "/v1/public/es-entities", resource_list, ROUTE_PUBLIC, POLICY_NONE, ACTION_READ,
   &public_es_entities_resource},
  GUARDED("GET", "/v1/audit", audit_list, POLICY_AUDIT, ACTION_READ),
  GUARDED("GET", "/v1/reports/targets", reports_targets_get, POLICY_TARGETS, ACTION_READ),
  GUARDED("PATCH", "/v1/reports/targets", reports_targets_patch, POLICY_TARGETS, ACTION_UPDATE),
  GUARDED("GET", "/v1/reports/indicators", reports_indicators, POLICY_INDICATORS, ACTION_READ),
  GUARDED("GET", "/v1/reports/participants.csv", reports_participants_csv, POLICY_PARTICIPANTS_CSV,
          ACTION_READ),
  GUARDED("GET", "/v1/changes", changes_list, POLICY_CHANGES, ACTION_READ),
};
/* clang-format on */

const struct route *routes_table(size_t *n) {
  *n = sizeof ROUTES / sizeof ROUTES[0];
  return ROUTES;
}

/* The engine resource of route i when no earlier route names it; else NULL. */
static struct resource *first_use(size_t i) {
  for (size_t j = 0; j < i; j++)
    if (ROUTES[j].resource == ROUTES[i].resource) return NULL;
  return ROUTES[i].resource;
}

size_t routes_resources(struct resource **out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
    struct resource *r = first_use(i);
    if (r && n < cap) out[n] = r;
    if (r) n++;
  }
  return n;
}

bool routes_prepare_resources(void) {
  struct resource *all[ROUTES_MAX_RESOURCES];
  size_t n = routes_resources(all, ROUTES_MAX_RESOURCES);
  if (n > ROUTES_MAX_RESOURCES) return false;
  for (size_t i = 0; i < n; i++)
    if (resource_prepare(all[i]) != IPS_OK) return false;
  return true;
}

void routes_release_resources(void) {
  struct resource *all[ROUTES_MAX_RESOURCES];
  size_t n = routes_resources(all, ROUTES_MAX_RESOURCES);
  for (size_t i = 0; i < n && i < ROUTES_MAX_RESOURCES; i++) resource_release(all[i]);
}
