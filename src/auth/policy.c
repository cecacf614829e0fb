/*
 * policy.c - the permission table of ips-api (DESIGN §2, §3)
 *
 * Every cell of POLICY below is a scope:
 *   NO   the role may not do the action at all (403);
 *   OWN  only on records owned by the caller's partner; a create is allowed
 *        and the new record is owned by that partner; a list is allowed and
 *        the resource narrows it to that partner's rows where it must
 *        (participants.csv);
 *   ANY  on records of any partner.
 * A cell not written is NO, so a forgotten row fails closed, and
 * POLICY_NONE (the zero a route gets when it names no policy) has no row. Actions that a
 * resource does not have (creating a gmina, deleting a user, erasing anything
 * but a beneficiary) are NO for everyone, admin included.
 *
 * The per-role facts that are not role x resource x action (the token name,
 * how far PII is visible, whether the owner partner may be set) are in
 * ROLES, one row per role.
 */
#include "auth/policy.h"

#include <stddef.h>
#include <string.h>

#define NO SCOPE_NONE
#define OWN SCOPE_OWN
#define ANY SCOPE_ANY

/* clang-format off */
static const policy_scope POLICY[ROLE_COUNT][POLICY_RESOURCE_COUNT][ACTION_COUNT] = {
  /*                                   read create update delete erase */
  [ROLE_ADMIN] = {
    [POLICY_SELF]                = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_USERS]               = { ANY, ANY,   ANY,   NO,    NO  },
    [POLICY_GMINAS]              = { ANY, NO,    ANY,   NO,    NO  },
    [POLICY_PARTNERSHIP_MEMBERS] = { ANY, ANY,   ANY,   ANY,   NO  },
    [POLICY_ES_ENTITIES]         = { ANY, ANY,   ANY,   ANY,   NO  },
    [POLICY_BENEFICIARIES]       = { ANY, ANY,   ANY,   ANY,   ANY },
    [POLICY_SERVICES]            = { ANY, ANY,   ANY,   ANY,   NO  },
    [POLICY_DELIVERIES]          = { ANY, ANY,   ANY,   ANY,   NO  },
    [POLICY_PARTICIPANTS]        = { ANY, ANY,   ANY,   ANY,   NO  },
    [POLICY_AUDIT]               = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_CHANGES]             = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_INDICATORS]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS_CSV]    = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_TARGETS]             = { ANY, NO,    ANY,   NO,    NO  },
  },
  [ROLE_COORDINATOR] = {
    [POLICY_SELF]                = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_USERS]               = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_GMINAS]              = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTNERSHIP_MEMBERS] = { ANY, OWN,   OWN,   OWN,   NO  },
    [POLICY_ES_ENTITIES]         = { ANY, OWN,   OWN,   OWN,   NO  },
    [POLICY_BENEFICIARIES]       = { ANY, OWN,   OWN,   OWN,   NO  },
    [POLICY_SERVICES]            = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_DELIVERIES]          = { ANY, OWN,   OWN,   OWN,   NO  },
    [POLICY_PARTICIPANTS]        = { ANY, OWN,   OWN,   OWN,   NO  },
    [POLICY_AUDIT]               = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_CHANGES]             = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_INDICATORS]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS_CSV]    = { OWN, NO,    NO,    NO,    NO  },
    [POLICY_TARGETS]             = { ANY, NO,    NO,    NO,    NO  },
  },
  /* Deletes nothing (DESIGN §2), attendance included: an advisor adds
   * people to its partner's deliveries and marks them attended or not
   * (PUT), and only a coordinator or an admin takes one off (DELETE). */
  [ROLE_ADVISOR] = {
    [POLICY_SELF]                = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_USERS]               = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_GMINAS]              = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTNERSHIP_MEMBERS] = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_ES_ENTITIES]         = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_BENEFICIARIES]       = { ANY, OWN,   OWN,   NO,    NO  },
    [POLICY_SERVICES]            = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_DELIVERIES]          = { ANY, OWN,   OWN,   NO,    NO  },
    [POLICY_PARTICIPANTS]        = { ANY, OWN,   OWN,   NO,    NO  },
    [POLICY_AUDIT]               = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_CHANGES]             = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_INDICATORS]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS_CSV]    = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_TARGETS]             = { ANY, NO,    NO,    NO,    NO  },
  },
  [ROLE_AUDITOR] = {
    [POLICY_SELF]                = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_USERS]               = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_GMINAS]              = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTNERSHIP_MEMBERS] = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_ES_ENTITIES]         = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_BENEFICIARIES]       = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_SERVICES]            = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_DELIVERIES]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS]        = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_AUDIT]               = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_CHANGES]             = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_INDICATORS]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS_CSV]    = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_TARGETS]             = { ANY, NO,    NO,    NO,    NO  },
  },
  /* Reads without PII (see ROLES), so nothing that is only PII or staff data. */
  [ROLE_INTEGRATION] = {
    [POLICY_SELF]                = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_USERS]               = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_GMINAS]              = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTNERSHIP_MEMBERS] = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_ES_ENTITIES]         = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_BENEFICIARIES]       = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_SERVICES]            = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_DELIVERIES]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS]        = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_AUDIT]               = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_CHANGES]             = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_INDICATORS]          = { ANY, NO,    NO,    NO,    NO  },
    [POLICY_PARTICIPANTS_CSV]    = { NO,  NO,    NO,    NO,    NO  },
    [POLICY_TARGETS]             = { ANY, NO,    NO,    NO,    NO  },
  },
};

/* name: as in tokens; pii: whose beneficiaries' PII the role sees;
 * sets_owner: may set or change a record's owner partner; tenants: may
 * create, re-code, re-kind and delete project partners (the tenants). */
static const struct {
  const char *name;
  policy_scope pii;
  bool sets_owner;
  bool tenants;
} ROLES[ROLE_COUNT] = {
  [ROLE_ADMIN]       = { "admin",       ANY, true,  true  },
  [ROLE_COORDINATOR] = { "coordinator", OWN, false, false },
  [ROLE_ADVISOR]     = { "advisor",     OWN, false, false },
  [ROLE_AUDITOR]     = { "auditor",     ANY, false, false },
  [ROLE_INTEGRATION] = { "integration", NO,  false, false },
};
/* clang-format on */

#undef NO
#undef OWN
#undef ANY

/* True when role is one of the ROLE_COUNT roles. */
static bool role_valid(policy_role role) {
  return (int)role >= 0 && (int)role < ROLE_COUNT;
}

/* True when caller_partner names a partner and record_partner is that one. */
static bool same_partner(const char *caller_partner, const char *record_partner) {
  return caller_partner != NULL && caller_partner[0] != '\0' && record_partner != NULL &&
         strcmp(caller_partner, record_partner) == 0;
}

bool policy_role_parse(const char *name, policy_role *out) {
  if (name == NULL) return false;
  for (int r = 0; r < ROLE_COUNT; r++) {
    if (strcmp(name, ROLES[r].name) == 0) {
      if (out != NULL) *out = (policy_role)r;
      return true;
    }
  }
  return false;
}

const char *policy_role_name(policy_role role) {
  return role_valid(role) ? ROLES[role].name : NULL;
}

policy_scope policy_scope_of(policy_role role, policy_resource res, policy_action action) {
  if (!role_valid(role) || (int)res < 0 || (int)res >= POLICY_RESOURCE_COUNT ||
      (int)action < 0 || (int)action >= ACTION_COUNT)
    return SCOPE_NONE;
  return POLICY[role][res][action];
}

bool policy_allows(policy_role role, const char *caller_partner, policy_resource res,
                   policy_action action, const char *record_partner) {
  switch (policy_scope_of(role, res, action)) {
  case SCOPE_ANY:
    return true;
  case SCOPE_OWN:
    if (caller_partner == NULL || caller_partner[0] == '\0') return false;
    return record_partner == NULL || same_partner(caller_partner, record_partner);
  case SCOPE_NONE:
    break;
  }
  return false;
}

bool policy_sees_pii(policy_role role, const char *caller_partner, const char *record_partner) {
  if (!role_valid(role)) return false;
  switch (ROLES[role].pii) {
  case SCOPE_ANY:
    return true;
  case SCOPE_OWN:
    return same_partner(caller_partner, record_partner);
  case SCOPE_NONE:
    break;
  }
  return false;
}

bool policy_may_see_any_pii(policy_role role) {
  return role_valid(role) && ROLES[role].pii != SCOPE_NONE;
}

bool policy_may_set_owner(policy_role role) {
  return role_valid(role) && ROLES[role].sets_owner;
}

bool policy_may_manage_partners(policy_role role) {
  return role_valid(role) && ROLES[role].tenants;
}
