/*
 * test_routes.c - every route of the table against DESIGN §2
 *
 * EXPECTED is written from DESIGN §2 and §3, route by route, apart from the
 * policy table: for each role (admin, coordinator, advisor, auditor,
 * integration) how far the route reaches — 'A' any partner's records, 'O'
 * only its own partner's, '-' not at all — or "public" for the routes that
 * need no token. The test walks the real route table and every role, so a
 * route that names the wrong policy row or action, a new route nobody
 * described, or a route that dropped its public flag shows up here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <ulfius.h>

#include "app.h"
#include "auth/policy.h"
#include "http/request.h"
#include "routes.h"

struct expected_route {
  const char *method;
  const char *pattern;
  const char *roles; /* five letters in policy_role order, or "public" */
};

/* clang-format off */
static const struct expected_route EXPECTED[] = {
  /* public: health, metrics (its own optional token), problem types, the contract and its
   * documentation, keys, sign-in, gminas, the public view */
  {"GET",    "/healthz",                                   "public"},
  {"GET",    "/readyz",                                    "public"},
  {"GET",    "/metrics",                                   "public"},
  {"GET",    "/openapi.yaml",                              "public"},
  {"GET",    "/openapi.json",                              "public"},
  {"GET",    "/docs",                                      "public"},
  {"GET",    "/docs/docs.js",                              "public"},
  {"GET",    "/docs/redoc.standalone.js",                  "public"},
  {"GET",    "/problems",                                  "public"},
  {"GET",    "/problems/{slug}",                           "public"},
  {"GET",    "/.well-known/jwks.json",                     "public"},
  {"POST",   "/v1/auth/token",                             "public"},
  {"POST",   "/v1/auth/revoke",                            "public"},
  {"GET",    "/v1/gminas",                                 "public"},
  {"GET",    "/v1/gminas/{teryt}",                         "public"},
  {"GET",    "/v1/public/es-entities",                     "public"},
  /*                                                        admin coord advis audit integ */
  {"GET",    "/v1/me",                                     "AAAAA"},
  /* the high-poverty list comes from the funding call: an admin sets it */
  {"PATCH",  "/v1/gminas/{teryt}",                         "A----"},
  /* users: admin writes; admin and auditor read */
  {"GET",    "/v1/users",                                  "A--A-"},
  {"POST",   "/v1/users",                                  "A----"},
  {"GET",    "/v1/users/{id}",                             "A--A-"},
  {"PATCH",  "/v1/users/{id}",                             "A----"},
  /* coordinators write their own partner's records; advisors only people and their support */
  {"GET",    "/v1/partnership-members",                    "AAAAA"},
  {"POST",   "/v1/partnership-members",                    "AO---"},
  {"GET",    "/v1/partnership-members/{id}",               "AAAAA"},
  {"PATCH",  "/v1/partnership-members/{id}",               "AO---"},
  {"DELETE", "/v1/partnership-members/{id}",               "AO---"},
  {"GET",    "/v1/es-entities",                            "AAAAA"},
  {"POST",   "/v1/es-entities",                            "AO---"},
  {"GET",    "/v1/es-entities/{id}",                       "AAAAA"},
  {"PATCH",  "/v1/es-entities/{id}",                       "AO---"},
  {"DELETE", "/v1/es-entities/{id}",                       "AO---"},
  /* the service catalogue: admin writes, everyone reads */
  {"GET",    "/v1/services",                               "AAAAA"},
  {"POST",   "/v1/services",                               "A----"},
  {"GET",    "/v1/services/{id}",                          "AAAAA"},
  {"PATCH",  "/v1/services/{id}",                          "A----"},
  {"DELETE", "/v1/services/{id}",                          "A----"},
  /* beneficiaries: advisors create and update their own, delete nothing; only admin erases */
  {"GET",    "/v1/beneficiaries",                          "AAAAA"},
  {"POST",   "/v1/beneficiaries",                          "AOO--"},
  {"GET",    "/v1/beneficiaries/{id}",                     "AAAAA"},
  {"PATCH",  "/v1/beneficiaries/{id}",                     "AOO--"},
  {"DELETE", "/v1/beneficiaries/{id}",                     "AO---"},
  {"POST",   "/v1/beneficiaries/{id}/erasure",             "A----"},
  {"GET",    "/v1/beneficiaries/{id}/deliveries",          "AAAAA"},
  {"GET",    "/v1/deliveries",                             "AAAAA"},
  {"POST",   "/v1/deliveries",                             "AOO--"},
  {"GET",    "/v1/deliveries/{id}",                        "AAAAA"},
  {"PATCH",  "/v1/deliveries/{id}",                        "AOO--"},
  {"DELETE", "/v1/deliveries/{id}",                        "AO---"},
  /* attendance: as deliveries; advisors delete nothing, attendance included */
  {"GET",    "/v1/deliveries/{id}/participants",           "AAAAA"},
  {"PUT",    "/v1/deliveries/{id}/participants/{beneficiary_id}", "AOO--"},
  {"DELETE", "/v1/deliveries/{id}/participants/{beneficiary_id}", "AO---"},
  /* the audit log: admin and auditor */
  {"GET",    "/v1/audit",                                  "A--A-"},
  /* every authenticated role reads the indicators and the change feed */
  {"GET",    "/v1/reports/targets",                        "AAAAA"},
  {"PATCH",  "/v1/reports/targets",                        "A----"},
  {"GET",    "/v1/reports/indicators",                     "AAAAA"},
  /* the participant list: admin and auditor all of it, a coordinator its own partner's */
  {"GET",    "/v1/reports/participants.csv",               "AO-A-"},
  {"GET",    "/v1/changes",                                "AAAAA"},
};
/* clang-format on */

#define NEXPECTED (sizeof EXPECTED / sizeof EXPECTED[0])

static const struct expected_route *expected_of(const struct route *r) {
  for (size_t i = 0; i < NEXPECTED; i++)
    if (strcmp(EXPECTED[i].method, r->method) == 0 && strcmp(EXPECTED[i].pattern, r->pattern) == 0)
      return &EXPECTED[i];
  return NULL;
}

static char scope_letter(policy_scope s) {
  return s == SCOPE_ANY ? 'A' : s == SCOPE_OWN ? 'O' : '-';
}

static void every_route_and_role_matches_design(void **state) {
  (void)state;
  size_t n;
  const struct route *routes = routes_table(&n);
  for (size_t i = 0; i < n; i++) {
    const struct route *r = &routes[i];
    const struct expected_route *e = expected_of(r);
    if (e == NULL) fail_msg("%s %s is not described by DESIGN's table in this test", r->method, r->pattern);
    if (strcmp(e->roles, "public") == 0) {
      if (!(r->flags & ROUTE_PUBLIC)) fail_msg("%s %s should be public", r->method, r->pattern);
      continue;
    }
    if (r->flags & ROUTE_PUBLIC) fail_msg("%s %s must not be public", r->method, r->pattern);
    char got[ROLE_COUNT + 1] = "";
    for (int role = 0; role < ROLE_COUNT; role++)
      got[role] = scope_letter(policy_scope_of((policy_role)role, r->policy, r->action));
    if (strcmp(got, e->roles) != 0)
      fail_msg("%s %s: roles %s, DESIGN says %s (admin coordinator advisor auditor integration)", r->method,
               r->pattern, got, e->roles);
  }
}

/* The other way round: nothing DESIGN describes is missing from the table. */
static void every_described_route_exists(void **state) {
  (void)state;
  size_t n;
  const struct route *routes = routes_table(&n);
  for (size_t i = 0; i < NEXPECTED; i++) {
    bool found = false;
    for (size_t j = 0; j < n && !found; j++)
      found = strcmp(EXPECTED[i].method, routes[j].method) == 0 && strcmp(EXPECTED[i].pattern, routes[j].pattern) == 0;
    if (!found) fail_msg("%s %s is missing from the route table", EXPECTED[i].method, EXPECTED[i].pattern);
  }
}

/* Public routes name no policy row, so one that loses its flag is denied to all. */
static void public_routes_name_no_policy(void **state) {
  (void)state;
  size_t n;
  const struct route *routes = routes_table(&n);
  for (size_t i = 0; i < n; i++) {
    if (!(routes[i].flags & ROUTE_PUBLIC)) {
      assert_int_not_equal(routes[i].policy, POLICY_NONE);
      continue;
    }
    if (routes[i].policy != POLICY_NONE) fail_msg("public %s %s names a policy row", routes[i].method, routes[i].pattern);
    for (int role = 0; role < ROLE_COUNT; role++)
      assert_int_equal(policy_scope_of((policy_role)role, routes[i].policy, routes[i].action), SCOPE_NONE);
  }
}

/* A request on route for a caller of role and partner, with a response to write into. */
static void request_for(struct ips_request *req, struct _u_request *u, struct _u_response *resp,
                        const struct route *route, policy_role role, const char *partner) {
  memset(req, 0, sizeof *req);
  ulfius_init_request(u);
  ulfius_init_response(resp);
  req->u = u;
  req->resp = resp;
  req->route = route;
  req->principal.authenticated = true;
  req->principal.role_id = role;
  snprintf(req->principal.partner, sizeof req->principal.partner, "%s", partner);
  snprintf(req->request_id, sizeof req->request_id, "test");
}

static void request_done(struct _u_request *u, struct _u_response *resp) {
  ulfius_clean_request(u);
  ulfius_clean_response(resp);
}

/* A route whose row was written without a policy (all zero) fails closed. */
static void a_route_without_policy_is_denied_to_every_role(void **state) {
  (void)state;
  static const struct route bare = {"GET", "/v1/new", NULL, 0, 0, 0, NULL};
  for (int role = 0; role < ROLE_COUNT; role++) {
    struct ips_request req;
    struct _u_request u;
    struct _u_response resp;
    request_for(&req, &u, &resp, &bare, (policy_role)role, "byczyna");
    assert_false(request_may(&req, NULL));
    assert_false(req.authorized);
    assert_int_equal(resp.status, 403);
    request_done(&u, &resp);
  }
}

/* The record-level check reads the route's row: own partner yes, other no. */
static void request_may_checks_the_owner_of_the_record(void **state) {
  (void)state;
  static const struct route patch = {"PATCH", "/v1/es-entities/{id}", NULL, 0, POLICY_ES_ENTITIES,
                                     ACTION_UPDATE, NULL};
  struct ips_request req;
  struct _u_request u;
  struct _u_response resp;
  request_for(&req, &u, &resp, &patch, ROLE_COORDINATOR, "byczyna");
  assert_true(request_may(&req, "byczyna"));
  assert_true(req.authorized);
  request_done(&u, &resp);
  request_for(&req, &u, &resp, &patch, ROLE_COORDINATOR, "byczyna");
  assert_false(request_may(&req, "chorzow"));
  assert_int_equal(resp.status, 403);
  request_done(&u, &resp);
  /* a record without an owner is still one record: OWN does not reach it */
  request_for(&req, &u, &resp, &patch, ROLE_COORDINATOR, "byczyna");
  assert_false(request_may(&req, ""));
  request_done(&u, &resp);
  request_for(&req, &u, &resp, &patch, ROLE_ADMIN, "byczyna");
  assert_true(request_may(&req, "chorzow"));
  request_done(&u, &resp);
}

/* An unauthenticated principal is never allowed on a guarded route. */
static void an_unauthenticated_caller_is_denied(void **state) {
  (void)state;
  static const struct route read = {"GET", "/v1/changes", NULL, 0, POLICY_CHANGES, ACTION_READ, NULL};
  struct ips_request req;
  struct _u_request u;
  struct _u_response resp;
  request_for(&req, &u, &resp, &read, ROLE_ADMIN, "byczyna");
  req.principal.authenticated = false;
  assert_false(request_may(&req, NULL));
  request_done(&u, &resp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_route_and_role_matches_design),
    cmocka_unit_test(every_described_route_exists),
    cmocka_unit_test(public_routes_name_no_policy),
    cmocka_unit_test(a_route_without_policy_is_denied_to_every_role),
    cmocka_unit_test(request_may_checks_the_owner_of_the_record),
    cmocka_unit_test(an_unauthenticated_caller_is_denied),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
