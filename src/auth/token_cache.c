#include "auth/token_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Direct-mapped slots in shards, each shard behind its own lock: a lookup is
 * one hash, one lock and one memcmp. */
#define SHARDS 16
#define SLOTS_PER_SHARD 256

struct slot {
  unsigned char hash[32];
  bool used;
  time_t checked_at;
  struct jwt_claims claims;
};

struct shard {
  pthread_mutex_t mu;
  struct slot slots[SLOTS_PER_SHARD];
};

struct token_cache {
  struct shard shards[SHARDS];
};

struct token_cache *token_cache_create(void) {
  struct token_cache *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  for (int i = 0; i < SHARDS; i++) pthread_mutex_init(&c->shards[i].mu, NULL);
  return c;
}

void token_cache_destroy(struct token_cache *c) {
  if (c == NULL) return;
  for (int i = 0; i < SHARDS; i++) pthread_mutex_destroy(&c->shards[i].mu);
  free(c);
}

static struct shard *shard_of(struct token_cache *c, const unsigned char h[32]) {
  return &c->shards[h[0] % SHARDS];
}

static struct slot *slot_of(struct shard *s, const unsigned char h[32]) {
  return &s->slots[((unsigned)h[1] << 8 | h[2]) % SLOTS_PER_SHARD];
}

bool token_cache_get(struct token_cache *c, const unsigned char h[32], time_t now, unsigned leeway,
                     struct jwt_claims *out) {
  struct shard *s = shard_of(c, h);
  bool hit = false;
  pthread_mutex_lock(&s->mu);
  struct slot *slot = slot_of(s, h);
  if (slot->used && memcmp(slot->hash, h, 32) == 0 && now - slot->checked_at < TOKEN_CACHE_RECHECK_S &&
      (long long)now <= slot->claims.exp + (long long)leeway) {
    *out = slot->claims;
    hit = true;
  }
  pthread_mutex_unlock(&s->mu);
  return hit;
}

void token_cache_put(struct token_cache *c, const unsigned char h[32], const struct jwt_claims *claims,
                     time_t now) {
  struct shard *s = shard_of(c, h);
  pthread_mutex_lock(&s->mu);
  struct slot *slot = slot_of(s, h);
  memcpy(slot->hash, h, 32);
  slot->claims = *claims;
  slot->checked_at = now;
  slot->used = true;
  pthread_mutex_unlock(&s->mu);
}
