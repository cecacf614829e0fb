#include "auth/token_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Direct-mapped slots in shards, each shard behind its own lock: a lookup is
 * one hash over the token, one lock and one memcmp. */
#define SHARDS 16
#define SLOTS_PER_SHARD 256

struct slot {
  bool used;
  unsigned short len;
  time_t checked_at;
  struct jwt_claims claims;
  char token[TOKEN_CACHE_MAX_TOKEN];
};

struct shard {
  pthread_mutex_t mu;
  struct slot slots[SLOTS_PER_SHARD];
};

struct token_cache {
  uint64_t seed;
  struct shard shards[SHARDS];
};

struct token_cache *token_cache_create(void) {
  /* calloc: the slots' pages are touched only as tokens arrive */
  struct token_cache *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  if (getrandom(&c->seed, sizeof c->seed, 0) != sizeof c->seed) c->seed = (uint64_t)(uintptr_t)c ^ (uint64_t)time(NULL);
  for (int i = 0; i < SHARDS; i++) pthread_mutex_init(&c->shards[i].mu, NULL);
  return c;
}

void token_cache_destroy(struct token_cache *c) {
  if (c == NULL) return;
  for (int i = 0; i < SHARDS; i++) pthread_mutex_destroy(&c->shards[i].mu);
  free(c);
}

/* FNV-1a, 64 bits, from the cache's seed, folded at the end. */
static uint64_t token_hash(const struct token_cache *c, const char *token, size_t len) {
  uint64_t h = 1469598103934665603ULL ^ c->seed;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)token[i]) * 1099511628211ULL;
  return h ^ (h >> 29);
}

/* The token's slot; *shard is its shard, to lock. */
static struct slot *slot_of(struct token_cache *c, const char *token, size_t len, struct shard **shard) {
  uint64_t h = token_hash(c, token, len);
  *shard = &c->shards[h % SHARDS];
  return &(*shard)->slots[(h / SHARDS) % SLOTS_PER_SHARD];
}

bool token_cache_get(struct token_cache *c, const char *token, size_t len, time_t now, unsigned leeway,
                     struct jwt_claims *out) {
  if (len > TOKEN_CACHE_MAX_TOKEN) return false;
  struct shard *s;
  struct slot *slot = slot_of(c, token, len, &s);
  bool hit = false;
  pthread_mutex_lock(&s->mu);
  if (slot->used && slot->len == len && memcmp(slot->token, token, len) == 0 &&
      now - slot->checked_at < TOKEN_CACHE_RECHECK_S && (long long)now <= slot->claims.exp + (long long)leeway) {
    *out = slot->claims;
    hit = true;
  }
  pthread_mutex_unlock(&s->mu);
  return hit;
}

void token_cache_put(struct token_cache *c, const char *token, size_t len, const struct jwt_claims *claims,
                     time_t now) {
  if (len > TOKEN_CACHE_MAX_TOKEN) return;
  struct shard *s;
  struct slot *slot = slot_of(c, token, len, &s);
  pthread_mutex_lock(&s->mu);
  memcpy(slot->token, token, len);
  slot->len = (unsigned short)len;
  slot->claims = *claims;
  slot->checked_at = now;
  slot->used = true;
  pthread_mutex_unlock(&s->mu);
}
