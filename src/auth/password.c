#include "auth/password.h"

#include <argon2.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
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

ips_status password_hash(const char *password, char out[PASSWORD_HASH_MAX]) {
  unsigned char salt[SALT_BYTES];
  if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) return IPS_ERROR;
  int rc = argon2id_hash_encoded(T_COST, M_COST_KIB, PARALLELISM, password, strlen(password), salt,
                                 sizeof salt, HASH_BYTES, out, PASSWORD_HASH_MAX);
  return rc == ARGON2_OK ? IPS_OK : IPS_ERROR;
}

bool password_verify(const char *encoded, const char *password) {
  if (encoded == NULL || strncmp(encoded, "$argon2id$", 10) != 0) return false;
  return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

static char dummy[PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

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
