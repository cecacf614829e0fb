#include "auth/password.h"

#include <argon2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "http/query.h"

#define T_COST 2
#define M_COST_KIB 19456
#define PARALLELISM 1
#define SALT_BYTES 16
#define HASH_BYTES 32

static const char *const WEAK[] = {
  "password1234", "123456789012", "qwertyuiop12", "haslo1234567", "zaq12wsxcde3",
  "administrator", "passwordpassword", "1234567890123", "qwertyuiopas", NULL};

const char *password_weakness(const char *pw) {
  if (pw == NULL || *pw == '\0') return "is required";
  size_t n = strlen(pw);
  if (n < PASSWORD_MIN_LENGTH) return "must be at least 12 characters";
  if (n > PASSWORD_MAX_LENGTH) return "must be at most 1024 bytes";
  if (!utf8_valid(pw, n)) return "must be valid UTF-8";
  bool same = true;
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7F) return "must not contain control characters";
    if (pw[i] != pw[0]) same = false;
  }
  if (same) return "must not repeat one character";
  for (const char *const *w = WEAK; *w; w++)
    if (strcasecmp(pw, *w) == 0) return "is a well-known password";
  return NULL;
}

/*
 * argon2's working memory (19 MiB a check) comes straight from mmap and goes
 * straight back. Through malloc, each thread's arena would keep the 19 MiB it
 * last freed, so a server's resident memory would grow with its threads even
 * while few checks run at once.
 */
static int working_memory_map(uint8_t **memory, size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return ARGON2_MEMORY_ALLOCATION_ERROR;
  *memory = p;
  return ARGON2_OK;
}

static void working_memory_unmap(uint8_t *memory, size_t bytes) { munmap(memory, bytes); }

/* The parameters and bytes of one argon2id hash (PHC string form). */
struct phc {
  uint32_t m_cost, t_cost, lanes;
  uint8_t salt[64];
  size_t salt_len;
  uint8_t hash[64];
  size_t hash_len;
};

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 without padding, as the PHC form writes it. */
static void b64_encode(const uint8_t *in, size_t n, char *out) {
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    acc = (acc << 8) | in[i];
    for (bits += 8; bits >= 6; bits -= 6) *out++ = B64[(acc >> (bits - 6)) & 63];
  }
  if (bits > 0) *out++ = B64[(acc << (6 - bits)) & 63];
  *out = '\0';
}

/* Decodes text[0..len) into out (at most max bytes); false when malformed. */
static bool b64_decode(const char *text, size_t len, uint8_t *out, size_t max, size_t *n) {
  uint32_t acc = 0;
  int bits = 0;
  *n = 0;
  for (size_t i = 0; i < len; i++) {
    const char *at = memchr(B64, text[i], 64);
    if (at == NULL || text[i] == '\0') return false;
    acc = (acc << 6) | (uint32_t)(at - B64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (*n == max) return false;
      out[(*n)++] = (uint8_t)(acc >> bits);
    }
  }
  return bits < 6;
}

/* Reads "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH"; false when it is not that. */
static bool phc_parse(const char *encoded, struct phc *out) {
  unsigned m, t, p;
  int end = 0;
  if (sscanf(encoded, "$argon2id$v=19$m=%u,t=%u,p=%u$%n", &m, &t, &p, &end) != 3 || end == 0) return false;
  const char *salt = encoded + end, *dollar = strchr(salt, '$');
  if (dollar == NULL || m == 0 || t == 0 || p == 0 || m > 4u * 1024 * 1024 || t > 64 || p > 64) return false;
  out->m_cost = m;
  out->t_cost = t;
  out->lanes = p;
  return b64_decode(salt, (size_t)(dollar - salt), out->salt, sizeof out->salt, &out->salt_len) &&
         b64_decode(dollar + 1, strlen(dollar + 1), out->hash, sizeof out->hash, &out->hash_len) &&
         out->salt_len >= 8 && out->hash_len >= 16;
}

/* Computes the argon2id hash of password with h's parameters and salt into
 * out (h->hash_len bytes). */
static bool argon2id_compute(const struct phc *h, const char *password, uint8_t *out) {
  argon2_context ctx = {
    .out = out, .outlen = (uint32_t)h->hash_len,
    .pwd = (uint8_t *)(uintptr_t)password, .pwdlen = (uint32_t)strlen(password),
    .salt = (uint8_t *)(uintptr_t)h->salt, .saltlen = (uint32_t)h->salt_len,
    .t_cost = h->t_cost, .m_cost = h->m_cost, .lanes = h->lanes, .threads = h->lanes,
    .version = ARGON2_VERSION_13,
    .allocate_cbk = working_memory_map, .free_cbk = working_memory_unmap,
    .flags = ARGON2_DEFAULT_FLAGS,
  };
  return argon2id_ctx(&ctx) == ARGON2_OK;
}

ips_status password_hash(const char *password, char out[PASSWORD_HASH_MAX]) {
  struct phc h = {.m_cost = M_COST_KIB, .t_cost = T_COST, .lanes = PARALLELISM,
                  .salt_len = SALT_BYTES, .hash_len = HASH_BYTES};
  if (getrandom(h.salt, h.salt_len, 0) != (ssize_t)h.salt_len) return IPS_ERROR;
  if (!argon2id_compute(&h, password, h.hash)) return IPS_ERROR;
  char salt[SALT_BYTES * 2], hash[HASH_BYTES * 2];
  b64_encode(h.salt, h.salt_len, salt);
  b64_encode(h.hash, h.hash_len, hash);
  int n = snprintf(out, PASSWORD_HASH_MAX, "$argon2id$v=19$m=%u,t=%u,p=%u$%s$%s", h.m_cost, h.t_cost,
                   h.lanes, salt, hash);
  return n > 0 && n < PASSWORD_HASH_MAX ? IPS_OK : IPS_ERROR;
}

/* True when password hashes to h's hash; compared in constant time. */
static bool phc_matches(const struct phc *h, const char *password) {
  uint8_t computed[sizeof h->hash];
  if (!argon2id_compute(h, password, computed)) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < h->hash_len; i++) diff |= (uint8_t)(computed[i] ^ h->hash[i]);
  return diff == 0;
}

static char dummy[PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

bool password_verify(const char *encoded, const char *password) {
  /* no usable hash (no such user, no password set) costs the same check
   * against the dummy, so the time taken tells nothing */
  struct phc h;
  bool real = encoded != NULL && phc_parse(encoded, &h);
  if (!real && !phc_parse(password_dummy_hash(), &h)) return false;
  bool match = phc_matches(&h, password);
  return real && match;
}

static void make_dummy(void) {
  char random_password[33];
  unsigned char bytes[16];
  static const char hex[] = "0123456789abcdef";
  if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) memset(bytes, 7, sizeof bytes);
  for (int i = 0; i < 16; i++) {
    random_password[2 * i] = hex[bytes[i] >> 4];
    random_password[2 * i + 1] = hex[bytes[i] & 15];
  }
  random_password[32] = '\0';
  if (password_hash(random_password, dummy) != IPS_OK) dummy[0] = '\0';
}

const char *password_dummy_hash(void) {
  pthread_once(&dummy_once, make_dummy);
  return dummy;
}
