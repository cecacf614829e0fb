/*
 * Prints the SQL the engine generates for a resource, so that the benchmark
 * can give pgbench exactly the statements the handlers run.
 *   engine-sql es-entities get|list|insert
 */
#include <stdio.h>
#include <string.h>

#include "resource/engine_sql.h"
#include "resources/beneficiaries.h"
#include "resources/deliveries.h"
#include "resources/es_entities.h"
#include "resources/partnership_members.h"

int main(int argc, char **argv) {
  struct resource *all[] = {&es_entities_resource, &partnership_members_resource, &beneficiaries_resource,
                            &deliveries_resource};
  if (argc != 3) {
    fprintf(stderr, "usage: engine-sql RESOURCE get|list|insert\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    struct resource *r = all[i];
    if (strcmp(r->name, argv[1]) != 0) continue;
    if (resource_prepare(r) != IPS_OK) return 1;
    const struct resource_sql *s = r->sql;
    /* list: the default order, -created_at */
    const struct db_statement *st = strcmp(argv[2], "get") == 0      ? &s->get
                                    : strcmp(argv[2], "list") == 0   ? &s->list[0][1]
                                    : strcmp(argv[2], "insert") == 0 ? &s->insert
                                                                     : NULL;
    if (st == NULL) return 2;
    printf("%s\n", st->sql);
    resource_release(r);
    return 0;
  }
  fprintf(stderr, "engine-sql: no resource %s\n", argv[1]);
  return 2;
}
