/*
 * policy.h - who may do what (DESIGN §2, §3)
 *
 * One static table in policy.c answers, for every role, resource and action,
 * how far the permission reaches: nowhere, to the caller's own partner's
 * records, or to any partner's. Resources name the row they use
 * (POLICY_ES_ENTITIES, ...); no code outside policy.c compares role names.
 *
 * Pure functions: no allocation, no global state, safe from any thread.
 * An out-of-range role, resource or action is never allowed (SCOPE_NONE,
 * false). Partner codes are borrowed and only compared, never kept.
 */
#ifndef IPS_AUTH_POLICY_H
#define IPS_AUTH_POLICY_H

#include <stdbool.h>

typedef enum {
  ROLE_ADMIN,
  ROLE_COORDINATOR,
  ROLE_ADVISOR,
  ROLE_AUDITOR,
  ROLE_INTEGRATION,
  ROLE_COUNT
} policy_role;

/* One row group of the table per resource; participants is the attendance
 * of deliveries, participants_csv the funding body's participant list,
 * self the caller's own identity (/v1/me). POLICY_NONE is zero and has no
 * row: a route that names no policy is denied to every role. */
typedef enum {
  POLICY_NONE = 0,
  POLICY_SELF,
  POLICY_USERS,
  POLICY_GMINAS,
  POLICY_PARTNERSHIP_MEMBERS,
  POLICY_ES_ENTITIES,
  POLICY_BENEFICIARIES,
  POLICY_SERVICES,
  POLICY_DELIVERIES,
  POLICY_PARTICIPANTS,
  POLICY_AUDIT,
  POLICY_CHANGES,
  POLICY_INDICATORS,
  POLICY_PARTICIPANTS_CSV,
  POLICY_TARGETS,
  POLICY_RESOURCE_COUNT
} policy_resource;

/* ACTION_READ covers list and single reads; ACTION_ERASE is the GDPR erasure
 * of a beneficiary. Attendance PUT is a create (or update) and its DELETE is
 * ACTION_DELETE on POLICY_PARTICIPANTS. */
typedef enum {
  ACTION_READ,
  ACTION_CREATE,
  ACTION_UPDATE,
  ACTION_DELETE,
  ACTION_ERASE,
  ACTION_COUNT
} policy_action;

typedef enum {
  SCOPE_NONE, /* not allowed at all: 403 */
  SCOPE_OWN,  /* only records owned by the caller's partner */
  SCOPE_ANY   /* records of any partner */
} policy_scope;

/*
 * Parses a role name as it appears in tokens: "admin", "coordinator",
 * "advisor", "auditor", "integration" (exact, case-sensitive). Returns true
 * and stores the role in *out (when out is not NULL); returns false for an
 * unknown name or NULL and leaves *out untouched.
 */
bool policy_role_parse(const char *name, policy_role *out);

/*
 * Returns the token name of role, a static string (never free it), or NULL
 * for a value that is not a role.
 */
const char *policy_role_name(policy_role role);

/*
 * Returns how far role may do action on res: SCOPE_NONE, SCOPE_OWN or
 * SCOPE_ANY. SCOPE_NONE for an out-of-range argument. This function can't fail.
 */
policy_scope policy_scope_of(policy_role role, policy_resource res, policy_action action);

/*
 * Returns true when role, the caller being of caller_partner, may do action
 * on a record owned by record_partner.
 * record_partner NULL means the question is not about one record (a create,
 * whose record will be owned by the caller's partner, or a list, which the
 * resource narrows itself): then SCOPE_OWN counts as allowed.
 * SCOPE_OWN is never allowed to a caller without a partner (NULL or "").
 * For attendance, record_partner is the delivery's partner.
 */
bool policy_allows(policy_role role, const char *caller_partner, policy_resource res,
                   policy_action action, const char *record_partner);

/*
 * Returns true when role may see the PII fields of a beneficiary owned by
 * record_partner: admin and auditor always; coordinator and advisor only
 * when record_partner equals their own (non-empty) caller_partner;
 * integration never. A NULL record_partner is visible only to admin and
 * auditor: the question is always about one record, so fail closed.
 */
bool policy_sees_pii(policy_role role, const char *caller_partner, const char *record_partner);

/*
 * Returns true when role may see PII of at least some records (admin,
 * auditor, coordinator, advisor), which is what allows filtering a list by
 * a PII field; false for integration and out-of-range values.
 */
bool policy_may_see_any_pii(policy_role role);

/*
 * Returns true when role may set or change a record's owner partner: admin
 * only. Anyone else who sends `partner` gets 422 read_only.
 */
bool policy_may_set_owner(policy_role role);

/*
 * Returns true when role may manage the project partners themselves (the
 * tenants: partnership members of kind project_partner): create one, change
 * its code or kind, delete it. Admin only; anyone else may still edit the
 * ordinary fields of its own partner's row.
 */
bool policy_may_manage_partners(policy_role role);

#endif /* IPS_AUTH_POLICY_H */
