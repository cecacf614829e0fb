/*
 * test_policy.c - unit tests for the permission table (DESIGN §2, §3)
 *
 * ALLOWED below is a second description of the policy, written from the
 * DESIGN text resource by resource (the table in policy.c goes role by role)
 * and listing only what is allowed. Every role x resource x action is
 * compared with it, so a wrong cell in either shows up. The named cases
 * after it read like the contract.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "auth/policy.h"

#define ADMIN ROLE_ADMIN
#define COORD ROLE_COORDINATOR
#define ADVIS ROLE_ADVISOR
#define AUDIT ROLE_AUDITOR
#define INTEG ROLE_INTEGRATION

#define READ ACTION_READ
#define CREATE ACTION_CREATE
#define UPDATE ACTION_UPDATE
#define DELETE ACTION_DELETE
#define ERASE ACTION_ERASE

#define OWN SCOPE_OWN
#define ANY SCOPE_ANY

struct grant {
  policy_resource res;
  policy_role role;
  policy_action action;
  policy_scope scope;
};

/* Everything not listed here is SCOPE_NONE, POLICY_NONE included. */
static const struct grant ALLOWED[] = {
  /* /v1/me: every authenticated role reads its own identity */
  {POLICY_SELF, ADMIN, READ, ANY},
  {POLICY_SELF, COORD, READ, ANY},
  {POLICY_SELF, ADVIS, READ, ANY},
  {POLICY_SELF, AUDIT, READ, ANY},
  {POLICY_SELF, INTEG, READ, ANY},

  /* users: admin writes (no delete: users are disabled); admin and auditor read */
  {POLICY_USERS, ADMIN, READ, ANY},
  {POLICY_USERS, ADMIN, CREATE, ANY},
  {POLICY_USERS, ADMIN, UPDATE, ANY},
  {POLICY_USERS, AUDIT, READ, ANY},

  /* gminas: everyone reads (public); admin patches high_poverty */
  {POLICY_GMINAS, ADMIN, READ, ANY},
  {POLICY_GMINAS, ADMIN, UPDATE, ANY},
  {POLICY_GMINAS, COORD, READ, ANY},
  {POLICY_GMINAS, ADVIS, READ, ANY},
  {POLICY_GMINAS, AUDIT, READ, ANY},
  {POLICY_GMINAS, INTEG, READ, ANY},

  /* partnership-members: coordinator writes its own; advisor only reads */
  {POLICY_PARTNERSHIP_MEMBERS, ADMIN, READ, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, ADMIN, CREATE, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, ADMIN, UPDATE, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, ADMIN, DELETE, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, COORD, READ, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, COORD, CREATE, OWN},
  {POLICY_PARTNERSHIP_MEMBERS, COORD, UPDATE, OWN},
  {POLICY_PARTNERSHIP_MEMBERS, COORD, DELETE, OWN},
  {POLICY_PARTNERSHIP_MEMBERS, ADVIS, READ, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, AUDIT, READ, ANY},
  {POLICY_PARTNERSHIP_MEMBERS, INTEG, READ, ANY},

  /* es-entities: as members */
  {POLICY_ES_ENTITIES, ADMIN, READ, ANY},
  {POLICY_ES_ENTITIES, ADMIN, CREATE, ANY},
  {POLICY_ES_ENTITIES, ADMIN, UPDATE, ANY},
  {POLICY_ES_ENTITIES, ADMIN, DELETE, ANY},
  {POLICY_ES_ENTITIES, COORD, READ, ANY},
  {POLICY_ES_ENTITIES, COORD, CREATE, OWN},
  {POLICY_ES_ENTITIES, COORD, UPDATE, OWN},
  {POLICY_ES_ENTITIES, COORD, DELETE, OWN},
  {POLICY_ES_ENTITIES, ADVIS, READ, ANY},
  {POLICY_ES_ENTITIES, AUDIT, READ, ANY},
  {POLICY_ES_ENTITIES, INTEG, READ, ANY},

  /* beneficiaries: advisor creates and updates its own; only admin erases */
  {POLICY_BENEFICIARIES, ADMIN, READ, ANY},
  {POLICY_BENEFICIARIES, ADMIN, CREATE, ANY},
  {POLICY_BENEFICIARIES, ADMIN, UPDATE, ANY},
  {POLICY_BENEFICIARIES, ADMIN, DELETE, ANY},
  {POLICY_BENEFICIARIES, ADMIN, ERASE, ANY},
  {POLICY_BENEFICIARIES, COORD, READ, ANY},
  {POLICY_BENEFICIARIES, COORD, CREATE, OWN},
  {POLICY_BENEFICIARIES, COORD, UPDATE, OWN},
  {POLICY_BENEFICIARIES, COORD, DELETE, OWN},
  {POLICY_BENEFICIARIES, ADVIS, READ, ANY},
  {POLICY_BENEFICIARIES, ADVIS, CREATE, OWN},
  {POLICY_BENEFICIARIES, ADVIS, UPDATE, OWN},
  {POLICY_BENEFICIARIES, AUDIT, READ, ANY},
  {POLICY_BENEFICIARIES, INTEG, READ, ANY},

  /* services: admin writes; everyone reads */
  {POLICY_SERVICES, ADMIN, READ, ANY},
  {POLICY_SERVICES, ADMIN, CREATE, ANY},
  {POLICY_SERVICES, ADMIN, UPDATE, ANY},
  {POLICY_SERVICES, ADMIN, DELETE, ANY},
  {POLICY_SERVICES, COORD, READ, ANY},
  {POLICY_SERVICES, ADVIS, READ, ANY},
  {POLICY_SERVICES, AUDIT, READ, ANY},
  {POLICY_SERVICES, INTEG, READ, ANY},

  /* deliveries: as beneficiaries, without erasure */
  {POLICY_DELIVERIES, ADMIN, READ, ANY},
  {POLICY_DELIVERIES, ADMIN, CREATE, ANY},
  {POLICY_DELIVERIES, ADMIN, UPDATE, ANY},
  {POLICY_DELIVERIES, ADMIN, DELETE, ANY},
  {POLICY_DELIVERIES, COORD, READ, ANY},
  {POLICY_DELIVERIES, COORD, CREATE, OWN},
  {POLICY_DELIVERIES, COORD, UPDATE, OWN},
  {POLICY_DELIVERIES, COORD, DELETE, OWN},
  {POLICY_DELIVERIES, ADVIS, READ, ANY},
  {POLICY_DELIVERIES, ADVIS, CREATE, OWN},
  {POLICY_DELIVERIES, ADVIS, UPDATE, OWN},
  {POLICY_DELIVERIES, AUDIT, READ, ANY},
  {POLICY_DELIVERIES, INTEG, READ, ANY},

  /* participants (attendance): the advisor adds and marks its partner's,
   * but deletes nothing, attendance included */
  {POLICY_PARTICIPANTS, ADMIN, READ, ANY},
  {POLICY_PARTICIPANTS, ADMIN, CREATE, ANY},
  {POLICY_PARTICIPANTS, ADMIN, UPDATE, ANY},
  {POLICY_PARTICIPANTS, ADMIN, DELETE, ANY},
  {POLICY_PARTICIPANTS, COORD, READ, ANY},
  {POLICY_PARTICIPANTS, COORD, CREATE, OWN},
  {POLICY_PARTICIPANTS, COORD, UPDATE, OWN},
  {POLICY_PARTICIPANTS, COORD, DELETE, OWN},
  {POLICY_PARTICIPANTS, ADVIS, READ, ANY},
  {POLICY_PARTICIPANTS, ADVIS, CREATE, OWN},
  {POLICY_PARTICIPANTS, ADVIS, UPDATE, OWN},
  {POLICY_PARTICIPANTS, AUDIT, READ, ANY},
  {POLICY_PARTICIPANTS, INTEG, READ, ANY},

  /* audit: admin and auditor read */
  {POLICY_AUDIT, ADMIN, READ, ANY},
  {POLICY_AUDIT, AUDIT, READ, ANY},

  /* changes and indicators: every authenticated role reads */
  {POLICY_CHANGES, ADMIN, READ, ANY},
  {POLICY_CHANGES, COORD, READ, ANY},
  {POLICY_CHANGES, ADVIS, READ, ANY},
  {POLICY_CHANGES, AUDIT, READ, ANY},
  {POLICY_CHANGES, INTEG, READ, ANY},
  {POLICY_INDICATORS, ADMIN, READ, ANY},
  {POLICY_INDICATORS, COORD, READ, ANY},
  {POLICY_INDICATORS, ADVIS, READ, ANY},
  {POLICY_INDICATORS, AUDIT, READ, ANY},
  {POLICY_INDICATORS, INTEG, READ, ANY},

  /* participants.csv: admin and auditor all rows; coordinator its own */
  {POLICY_PARTICIPANTS_CSV, ADMIN, READ, ANY},
  {POLICY_PARTICIPANTS_CSV, COORD, READ, OWN},
  {POLICY_PARTICIPANTS_CSV, AUDIT, READ, ANY},

  /* targets: readable by all, as the indicators that show them; admin sets */
  {POLICY_TARGETS, ADMIN, READ, ANY},
  {POLICY_TARGETS, ADMIN, UPDATE, ANY},
  {POLICY_TARGETS, COORD, READ, ANY},
  {POLICY_TARGETS, ADVIS, READ, ANY},
  {POLICY_TARGETS, AUDIT, READ, ANY},
  {POLICY_TARGETS, INTEG, READ, ANY},
};

#define N_ALLOWED (sizeof ALLOWED / sizeof ALLOWED[0])

static const policy_action WRITES[] = {CREATE, UPDATE, DELETE, ERASE};
#define N_WRITES (sizeof WRITES / sizeof WRITES[0])

/* Returns the scope ALLOWED gives, SCOPE_NONE when it lists nothing. */
static policy_scope expected_scope(policy_role role, policy_resource res, policy_action action) {
  for (size_t i = 0; i < N_ALLOWED; i++)
    if (ALLOWED[i].role == role && ALLOWED[i].res == res && ALLOWED[i].action == action)
      return ALLOWED[i].scope;
  return SCOPE_NONE;
}

/* ---- the whole table ---------------------------------------------------- */

static void expectation_lists_each_cell_at_most_once(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ALLOWED; i++) {
    assert_true(ALLOWED[i].scope == OWN || ALLOWED[i].scope == ANY);
    for (size_t j = i + 1; j < N_ALLOWED; j++)
      assert_false(ALLOWED[i].role == ALLOWED[j].role && ALLOWED[i].res == ALLOWED[j].res &&
                   ALLOWED[i].action == ALLOWED[j].action);
  }
}

static void every_cell_matches_the_expectation(void **state) {
  int mismatches = 0;

  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++)
    for (int res = 0; res < POLICY_RESOURCE_COUNT; res++)
      for (int a = 0; a < ACTION_COUNT; a++) {
        policy_scope got = policy_scope_of((policy_role)r, (policy_resource)res, (policy_action)a);
        policy_scope want = expected_scope((policy_role)r, (policy_resource)res, (policy_action)a);
        if (got != want) {
          print_error("role %s resource %d action %d: scope %d, expected %d\n",
                      policy_role_name((policy_role)r), res, a, (int)got, (int)want);
          mismatches++;
        }
      }
  assert_int_equal(mismatches, 0);
}

/* policy_allows must follow the scope for every cell: NONE never, OWN for
 * the own partner's record and for no record, ANY for any record. */
static void allows_follows_the_scope_in_every_cell(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++)
    for (int res = 0; res < POLICY_RESOURCE_COUNT; res++)
      for (int a = 0; a < ACTION_COUNT; a++) {
        policy_role role = (policy_role)r;
        policy_scope s = expected_scope(role, (policy_resource)res, (policy_action)a);
        bool some = s != SCOPE_NONE;
        bool any = s == SCOPE_ANY;

        assert_int_equal(policy_allows(role, "byczyna", res, a, NULL), some);
        assert_int_equal(policy_allows(role, "byczyna", res, a, "byczyna"), some);
        assert_int_equal(policy_allows(role, "byczyna", res, a, "chorzow"), any);
        assert_int_equal(policy_allows(role, NULL, res, a, "chorzow"), any);
        assert_int_equal(policy_allows(role, NULL, res, a, NULL), any);
        assert_int_equal(policy_allows(role, "", res, a, ""), any);
      }
}

static void out_of_range_arguments_allow_nothing(void **state) {
  (void)state;
  assert_int_equal(policy_scope_of(ROLE_COUNT, POLICY_ES_ENTITIES, READ), SCOPE_NONE);
  assert_int_equal(policy_scope_of((policy_role)-1, POLICY_ES_ENTITIES, READ), SCOPE_NONE);
  assert_int_equal(policy_scope_of(ADMIN, POLICY_RESOURCE_COUNT, READ), SCOPE_NONE);
  assert_int_equal(policy_scope_of(ADMIN, (policy_resource)-1, READ), SCOPE_NONE);
  assert_int_equal(policy_scope_of(ADMIN, POLICY_ES_ENTITIES, ACTION_COUNT), SCOPE_NONE);
  assert_int_equal(policy_scope_of(ADMIN, POLICY_ES_ENTITIES, (policy_action)-1), SCOPE_NONE);
  assert_false(policy_allows(ROLE_COUNT, "byczyna", POLICY_ES_ENTITIES, READ, NULL));
  assert_false(policy_allows(ADMIN, "byczyna", POLICY_RESOURCE_COUNT, READ, NULL));
  assert_false(policy_allows(ADMIN, "byczyna", POLICY_ES_ENTITIES, ACTION_COUNT, NULL));
  assert_false(policy_sees_pii(ROLE_COUNT, "byczyna", "byczyna"));
  assert_false(policy_may_see_any_pii(ROLE_COUNT));
  assert_false(policy_may_set_owner(ROLE_COUNT));
  assert_false(policy_may_set_owner((policy_role)-1));
}

/* ---- named cases: writes ------------------------------------------------ */

static void coordinator_cannot_update_the_other_partners_es_entity(void **state) {
  (void)state;
  assert_false(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, UPDATE, "chorzow"));
  assert_false(policy_allows(COORD, "chorzow", POLICY_ES_ENTITIES, UPDATE, "byczyna"));
  assert_false(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, DELETE, "chorzow"));
}

static void coordinator_updates_and_deletes_its_own_partners_es_entity(void **state) {
  (void)state;
  assert_true(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, UPDATE, "byczyna"));
  assert_true(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, DELETE, "byczyna"));
  assert_true(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, CREATE, NULL));
}

static void coordinator_reads_every_partners_records(void **state) {
  (void)state;
  assert_true(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, READ, "chorzow"));
  assert_true(policy_allows(COORD, "byczyna", POLICY_BENEFICIARIES, READ, "chorzow"));
  assert_true(policy_allows(COORD, "byczyna", POLICY_DELIVERIES, READ, "chorzow"));
}

static void partner_codes_are_compared_exactly(void **state) {
  (void)state;
  assert_false(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, UPDATE, "Byczyna"));
  assert_false(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, UPDATE, "byczyna2"));
  assert_false(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, UPDATE, "byczyn"));
  assert_false(policy_allows(COORD, "byczyna", POLICY_ES_ENTITIES, UPDATE, ""));
}

static void own_scope_needs_a_caller_partner(void **state) {
  (void)state;
  assert_false(policy_allows(COORD, NULL, POLICY_ES_ENTITIES, CREATE, NULL));
  assert_false(policy_allows(COORD, "", POLICY_ES_ENTITIES, CREATE, NULL));
  assert_false(policy_allows(COORD, "", POLICY_ES_ENTITIES, UPDATE, ""));
  assert_false(policy_allows(COORD, NULL, POLICY_ES_ENTITIES, UPDATE, NULL));
}

static void advisor_cannot_delete_an_es_entity(void **state) {
  (void)state;
  assert_false(policy_allows(ADVIS, "byczyna", POLICY_ES_ENTITIES, DELETE, "byczyna"));
  assert_false(policy_allows(ADVIS, "byczyna", POLICY_ES_ENTITIES, CREATE, NULL));
  assert_false(policy_allows(ADVIS, "byczyna", POLICY_ES_ENTITIES, UPDATE, "byczyna"));
  assert_false(policy_allows(ADVIS, "byczyna", POLICY_PARTNERSHIP_MEMBERS, CREATE, NULL));
  assert_false(policy_allows(ADVIS, "byczyna", POLICY_PARTNERSHIP_MEMBERS, UPDATE, "byczyna"));
}

static void advisor_creates_and_updates_its_own_beneficiaries_and_deliveries(void **state) {
  static const policy_resource OWNED[] = {POLICY_BENEFICIARIES, POLICY_DELIVERIES,
                                          POLICY_PARTICIPANTS};

  (void)state;
  for (size_t i = 0; i < sizeof OWNED / sizeof OWNED[0]; i++) {
    assert_true(policy_allows(ADVIS, "chorzow", OWNED[i], CREATE, NULL));
    assert_true(policy_allows(ADVIS, "chorzow", OWNED[i], UPDATE, "chorzow"));
    assert_false(policy_allows(ADVIS, "chorzow", OWNED[i], UPDATE, "byczyna"));
  }
}

static void advisor_deletes_nothing_not_even_attendance(void **state) {
  (void)state;
  for (int res = 0; res < POLICY_RESOURCE_COUNT; res++) {
    assert_int_equal(policy_scope_of(ADVIS, res, DELETE), SCOPE_NONE);
    assert_false(policy_allows(ADVIS, "byczyna", res, DELETE, "byczyna"));
    assert_false(policy_allows(ADVIS, "byczyna", res, DELETE, "chorzow"));
    assert_false(policy_allows(ADVIS, "byczyna", res, ERASE, "byczyna"));
  }
}

static void auditor_writes_nothing(void **state) {
  (void)state;
  for (int res = 0; res < POLICY_RESOURCE_COUNT; res++)
    for (size_t w = 0; w < N_WRITES; w++) {
      assert_int_equal(policy_scope_of(AUDIT, res, WRITES[w]), SCOPE_NONE);
      assert_false(policy_allows(AUDIT, "byczyna", res, WRITES[w], NULL));
      assert_false(policy_allows(AUDIT, "byczyna", res, WRITES[w], "byczyna"));
    }
}

/* The zero policy row, what a route that names none gets, allows nothing. */
static void policy_none_denies_every_role_everything(void **state) {
  (void)state;
  assert_int_equal(POLICY_NONE, 0);
  for (int r = 0; r < ROLE_COUNT; r++)
    for (int a = 0; a < ACTION_COUNT; a++) {
      assert_int_equal(policy_scope_of((policy_role)r, POLICY_NONE, (policy_action)a), SCOPE_NONE);
      assert_false(policy_allows((policy_role)r, "byczyna", POLICY_NONE, (policy_action)a, NULL));
      assert_false(policy_allows((policy_role)r, "byczyna", POLICY_NONE, (policy_action)a, "byczyna"));
    }
}

static void auditor_reads_everything_including_audit_users_and_csv(void **state) {
  (void)state;
  for (int res = POLICY_NONE + 1; res < POLICY_RESOURCE_COUNT; res++)
    assert_int_equal(policy_scope_of(AUDIT, res, READ), SCOPE_ANY);
}

static void integration_writes_nothing(void **state) {
  (void)state;
  for (int res = 0; res < POLICY_RESOURCE_COUNT; res++)
    for (size_t w = 0; w < N_WRITES; w++)
      assert_int_equal(policy_scope_of(INTEG, res, WRITES[w]), SCOPE_NONE);
}

static void integration_reads_neither_audit_nor_users_nor_the_csv(void **state) {
  (void)state;
  assert_false(policy_allows(INTEG, "byczyna", POLICY_AUDIT, READ, NULL));
  assert_false(policy_allows(INTEG, "byczyna", POLICY_USERS, READ, NULL));
  assert_false(policy_allows(INTEG, "byczyna", POLICY_PARTICIPANTS_CSV, READ, NULL));
  assert_true(policy_allows(INTEG, "byczyna", POLICY_CHANGES, READ, NULL));
  assert_true(policy_allows(INTEG, "byczyna", POLICY_BENEFICIARIES, READ, "chorzow"));
}

static void every_role_reads_the_indicators_and_the_change_feed(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++) {
    assert_int_equal(policy_scope_of(r, POLICY_INDICATORS, READ), SCOPE_ANY);
    assert_int_equal(policy_scope_of(r, POLICY_CHANGES, READ), SCOPE_ANY);
  }
}

static void only_admin_writes_services_users_gminas_and_targets(void **state) {
  static const policy_resource ADMIN_ONLY[] = {POLICY_SERVICES, POLICY_USERS, POLICY_GMINAS,
                                               POLICY_TARGETS};

  (void)state;
  for (size_t i = 0; i < sizeof ADMIN_ONLY / sizeof ADMIN_ONLY[0]; i++)
    for (int r = 0; r < ROLE_COUNT; r++)
      for (size_t w = 0; w < N_WRITES; w++)
        if (r != ADMIN)
          assert_int_equal(policy_scope_of(r, ADMIN_ONLY[i], WRITES[w]), SCOPE_NONE);
  assert_true(policy_allows(ADMIN, "byczyna", POLICY_SERVICES, CREATE, NULL));
  assert_true(policy_allows(ADMIN, "byczyna", POLICY_GMINAS, UPDATE, NULL));
  assert_true(policy_allows(ADMIN, "byczyna", POLICY_TARGETS, UPDATE, NULL));
}

static void users_are_read_by_admin_and_auditor_and_deleted_by_nobody(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++) {
    bool reads = r == ADMIN || r == AUDIT;
    assert_int_equal(policy_allows(r, "byczyna", POLICY_USERS, READ, NULL), reads);
    assert_false(policy_allows(r, "byczyna", POLICY_USERS, DELETE, "byczyna"));
  }
  assert_true(policy_allows(ADMIN, "byczyna", POLICY_USERS, UPDATE, "chorzow"));
}

static void nobody_creates_or_deletes_a_gmina(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++) {
    assert_int_equal(policy_scope_of(r, POLICY_GMINAS, CREATE), SCOPE_NONE);
    assert_int_equal(policy_scope_of(r, POLICY_GMINAS, DELETE), SCOPE_NONE);
  }
}

static void only_admin_erases_and_only_beneficiaries(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++)
    for (int res = 0; res < POLICY_RESOURCE_COUNT; res++) {
      bool erases = r == ADMIN && res == POLICY_BENEFICIARIES;
      assert_int_equal(policy_allows(r, "byczyna", res, ERASE, "chorzow"), erases);
    }
}

static void audit_is_read_by_admin_and_auditor_only(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++)
    assert_int_equal(policy_allows(r, "byczyna", POLICY_AUDIT, READ, NULL),
                     r == ADMIN || r == AUDIT);
}

static void participants_csv_is_own_rows_for_coordinator_and_403_for_advisor_and_integration(
    void **state) {
  (void)state;
  assert_int_equal(policy_scope_of(COORD, POLICY_PARTICIPANTS_CSV, READ), SCOPE_OWN);
  assert_true(policy_allows(COORD, "chorzow", POLICY_PARTICIPANTS_CSV, READ, NULL));
  assert_false(policy_allows(COORD, "chorzow", POLICY_PARTICIPANTS_CSV, READ, "byczyna"));
  assert_false(policy_allows(ADVIS, "chorzow", POLICY_PARTICIPANTS_CSV, READ, NULL));
  assert_false(policy_allows(INTEG, "chorzow", POLICY_PARTICIPANTS_CSV, READ, NULL));
  assert_true(policy_allows(ADMIN, "chorzow", POLICY_PARTICIPANTS_CSV, READ, "byczyna"));
  assert_true(policy_allows(AUDIT, "chorzow", POLICY_PARTICIPANTS_CSV, READ, "byczyna"));
}

/* ---- named cases: PII and owner ----------------------------------------- */

static void integration_never_sees_pii(void **state) {
  (void)state;
  assert_false(policy_sees_pii(INTEG, "byczyna", "byczyna"));
  assert_false(policy_sees_pii(INTEG, "byczyna", "chorzow"));
  assert_false(policy_sees_pii(INTEG, NULL, NULL));
  assert_false(policy_may_see_any_pii(INTEG));
}

static void coordinator_sees_pii_only_of_its_own_partner(void **state) {
  (void)state;
  assert_true(policy_sees_pii(COORD, "byczyna", "byczyna"));
  assert_false(policy_sees_pii(COORD, "byczyna", "chorzow"));
  assert_false(policy_sees_pii(COORD, "byczyna", NULL));
  assert_false(policy_sees_pii(COORD, NULL, "byczyna"));
  assert_false(policy_sees_pii(COORD, "", ""));
  assert_false(policy_sees_pii(COORD, "byczyna", "Byczyna"));
}

static void advisor_sees_pii_only_of_its_own_partner(void **state) {
  (void)state;
  assert_true(policy_sees_pii(ADVIS, "chorzow", "chorzow"));
  assert_false(policy_sees_pii(ADVIS, "chorzow", "byczyna"));
  assert_false(policy_sees_pii(ADVIS, "chorzow", NULL));
}

static void admin_and_auditor_see_every_partners_pii(void **state) {
  (void)state;
  assert_true(policy_sees_pii(ADMIN, "byczyna", "chorzow"));
  assert_true(policy_sees_pii(ADMIN, NULL, "chorzow"));
  assert_true(policy_sees_pii(ADMIN, "byczyna", NULL));
  assert_true(policy_sees_pii(AUDIT, "byczyna", "chorzow"));
  assert_true(policy_sees_pii(AUDIT, "byczyna", "byczyna"));
  assert_true(policy_sees_pii(AUDIT, NULL, NULL));
}

static void filtering_by_pii_is_for_roles_that_see_some_pii(void **state) {
  (void)state;
  assert_true(policy_may_see_any_pii(ADMIN));
  assert_true(policy_may_see_any_pii(COORD));
  assert_true(policy_may_see_any_pii(ADVIS));
  assert_true(policy_may_see_any_pii(AUDIT));
  assert_false(policy_may_see_any_pii(INTEG));
}

static void only_admin_may_set_the_owner(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++)
    assert_int_equal(policy_may_set_owner((policy_role)r), r == ADMIN);
}

static void only_admin_may_manage_project_partners(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++)
    assert_int_equal(policy_may_manage_partners((policy_role)r), r == ADMIN);
  assert_false(policy_may_manage_partners(ROLE_COUNT));
  assert_false(policy_may_manage_partners((policy_role)-1));
}

/* ---- role names --------------------------------------------------------- */

static void every_role_name_parses_to_its_role(void **state) {
  static const struct {
    const char *name;
    policy_role role;
  } NAMES[] = {
    {"admin", ADMIN}, {"coordinator", COORD}, {"advisor", ADVIS},
    {"auditor", AUDIT}, {"integration", INTEG},
  };

  (void)state;
  assert_int_equal(sizeof NAMES / sizeof NAMES[0], ROLE_COUNT);
  for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
    policy_role got = ROLE_COUNT;
    assert_true(policy_role_parse(NAMES[i].name, &got));
    assert_int_equal(got, NAMES[i].role);
    assert_string_equal(policy_role_name(NAMES[i].role), NAMES[i].name);
    assert_true(policy_role_parse(NAMES[i].name, NULL));
  }
}

static void role_name_round_trips_for_every_role(void **state) {
  (void)state;
  for (int r = 0; r < ROLE_COUNT; r++) {
    policy_role got = ROLE_COUNT;
    const char *name = policy_role_name((policy_role)r);
    assert_non_null(name);
    assert_true(policy_role_parse(name, &got));
    assert_int_equal(got, r);
  }
  assert_null(policy_role_name(ROLE_COUNT));
  assert_null(policy_role_name((policy_role)-1));
}

static void unknown_role_names_are_refused_and_leave_out_alone(void **state) {
  static const char *const UNKNOWN[] = {
    "", "root", "Admin", "ADMIN", "admin ", " admin", "admi", "admins",
    "Coordinator", "advisor\n", "auditor\t", "integrations", "superuser",
  };

  (void)state;
  for (size_t i = 0; i < sizeof UNKNOWN / sizeof UNKNOWN[0]; i++) {
    policy_role got = ROLE_AUDITOR;
    assert_false(policy_role_parse(UNKNOWN[i], &got));
    assert_int_equal(got, ROLE_AUDITOR);
  }
}

static void null_role_name_is_refused(void **state) {
  policy_role got = ROLE_INTEGRATION;

  (void)state;
  assert_false(policy_role_parse(NULL, &got));
  assert_int_equal(got, ROLE_INTEGRATION);
  assert_false(policy_role_parse(NULL, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(expectation_lists_each_cell_at_most_once),
    cmocka_unit_test(every_cell_matches_the_expectation),
    cmocka_unit_test(allows_follows_the_scope_in_every_cell),
    cmocka_unit_test(out_of_range_arguments_allow_nothing),
    cmocka_unit_test(coordinator_cannot_update_the_other_partners_es_entity),
    cmocka_unit_test(coordinator_updates_and_deletes_its_own_partners_es_entity),
    cmocka_unit_test(coordinator_reads_every_partners_records),
    cmocka_unit_test(partner_codes_are_compared_exactly),
    cmocka_unit_test(own_scope_needs_a_caller_partner),
    cmocka_unit_test(advisor_cannot_delete_an_es_entity),
    cmocka_unit_test(advisor_creates_and_updates_its_own_beneficiaries_and_deliveries),
    cmocka_unit_test(advisor_deletes_nothing_not_even_attendance),
    cmocka_unit_test(policy_none_denies_every_role_everything),
    cmocka_unit_test(auditor_writes_nothing),
    cmocka_unit_test(auditor_reads_everything_including_audit_users_and_csv),
    cmocka_unit_test(integration_writes_nothing),
    cmocka_unit_test(integration_reads_neither_audit_nor_users_nor_the_csv),
    cmocka_unit_test(every_role_reads_the_indicators_and_the_change_feed),
    cmocka_unit_test(only_admin_writes_services_users_gminas_and_targets),
    cmocka_unit_test(users_are_read_by_admin_and_auditor_and_deleted_by_nobody),
    cmocka_unit_test(nobody_creates_or_deletes_a_gmina),
    cmocka_unit_test(only_admin_erases_and_only_beneficiaries),
    cmocka_unit_test(audit_is_read_by_admin_and_auditor_only),
    cmocka_unit_test(participants_csv_is_own_rows_for_coordinator_and_403_for_advisor_and_integration),
    cmocka_unit_test(integration_never_sees_pii),
    cmocka_unit_test(coordinator_sees_pii_only_of_its_own_partner),
    cmocka_unit_test(advisor_sees_pii_only_of_its_own_partner),
    cmocka_unit_test(admin_and_auditor_see_every_partners_pii),
    cmocka_unit_test(filtering_by_pii_is_for_roles_that_see_some_pii),
    cmocka_unit_test(only_admin_may_set_the_owner),
    cmocka_unit_test(only_admin_may_manage_project_partners),
    cmocka_unit_test(every_role_name_parses_to_its_role),
    cmocka_unit_test(role_name_round_trips_for_every_role),
    cmocka_unit_test(unknown_role_names_are_refused_and_leave_out_alone),
    cmocka_unit_test(null_role_name_is_refused),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
