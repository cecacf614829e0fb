#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yder.h>

/* A copy of s, or NULL when it is unset or empty (an empty variable is unset). */
static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

ips_status config_parse_uint(const char *value, unsigned long min, unsigned long max,
                             unsigned long *out) {
  if (value == NULL || *value == '\0') return IPS_INVALID;
  for (const char *p = value; *p; p++)
    if (!isdigit((unsigned char)*p)) return IPS_INVALID;
  errno = 0;
  unsigned long v = strtoul(value, NULL, 10);
  if (errno != 0 || v < min || v > max) return IPS_INVALID;
  *out = v;
  return IPS_OK;
}

ips_status config_parse_bool(const char *value, bool *out) {
  static const char *yes[] = {"1", "true", "on", "yes"};
  static const char *no[] = {"0", "false", "off", "no"};
  for (size_t i = 0; i < 4; i++) {
    if (strcmp(value, yes[i]) == 0) { *out = true; return IPS_OK; }
    if (strcmp(value, no[i]) == 0) { *out = false; return IPS_OK; }
  }
  return IPS_INVALID;
}

/* "host:port" with host an IPv4 literal or "localhost", or "[v6]:port". */
ips_status config_parse_listen(const char *value, struct sockaddr_storage *addr,
                               socklen_t *addr_len) {
  char host[64];
  const char *port_str;
  if (value == NULL || strlen(value) >= sizeof host) return IPS_INVALID;
  if (value[0] == '[') {
    const char *end = strchr(value, ']');
    if (end == NULL || end[1] != ':') return IPS_INVALID;
    size_t n = (size_t)(end - value - 1);
    memcpy(host, value + 1, n);
    host[n] = '\0';
    port_str = end + 2;
  } else {
    const char *colon = strrchr(value, ':');
    if (colon == NULL) return IPS_INVALID;
    size_t n = (size_t)(colon - value);
    memcpy(host, value, n);
    host[n] = '\0';
    port_str = colon + 1;
  }
  unsigned long port;
  if (config_parse_uint(port_str, 0, 65535, &port) != IPS_OK) return IPS_INVALID;
  memset(addr, 0, sizeof *addr);
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  if (value[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *addr_len = sizeof *v4;
    return IPS_OK;
  }
  if (value[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *addr_len = sizeof *v6;
    return IPS_OK;
  }
  return IPS_INVALID;
}

ips_status config_parse_log_level(const char *value, int *out) {
  static const struct { const char *name; int level; } levels[] = {
    {"error", Y_LOG_LEVEL_ERROR}, {"warning", Y_LOG_LEVEL_WARNING},
    {"info", Y_LOG_LEVEL_INFO}, {"debug", Y_LOG_LEVEL_DEBUG},
  };
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (strcmp(value, levels[i].name) == 0) {
      *out = levels[i].level;
      return IPS_OK;
    }
  }
  return IPS_INVALID;
}

static bool origin_valid(const char *o, size_t n) {
  const char *rest;
  if (n > 8 && strncmp(o, "https://", 8) == 0) rest = o + 8;
  else if (n > 7 && strncmp(o, "http://", 7) == 0) rest = o + 7;
  else return false;
  if (rest == o + n) return false;
  for (const char *p = rest; p < o + n; p++)
    if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':' ||
          *p == '[' || *p == ']'))
      return false;
  return true;
}

/* The next item of a list separated by commas and spaces: true with its
 * start and length (borrowed, into the list), *p moved past it; false at
 * the end. */
static bool next_list_item(const char **p, const char **start, size_t *len) {
  while (**p == ' ' || **p == ',') (*p)++;
  if (!**p) return false;
  *start = *p;
  while (**p && **p != ',' && **p != ' ') (*p)++;
  *len = (size_t)(*p - *start);
  return true;
}

ips_status config_parse_origins(const char *value, char **out, size_t max, size_t *n) {
  *n = 0;
  const char *p = value, *start;
  size_t len;
  while (next_list_item(&p, &start, &len)) {
    if (*n == max || !origin_valid(start, len)) return IPS_INVALID;
    out[*n] = strndup(start, len);
    if (out[*n] == NULL) return IPS_ERROR;
    (*n)++;
  }
  return IPS_OK;
}

ips_status config_parse_networks(const char *value, struct ip_net *out, size_t max, size_t *n) {
  *n = 0;
  const char *p = value, *start;
  size_t len;
  while (next_list_item(&p, &start, &len)) {
    if (*n == max || ip_net_parse(start, len, &out[*n]) != IPS_OK) return IPS_INVALID;
    (*n)++;
  }
  return IPS_OK;
}

static long online_cores(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : cores;
}

static unsigned default_threads(void) {
  long cores = online_cores();
  /* A worker blocks while its database call runs, so a few per core. */
  return (unsigned)(cores * 4);
}

/* Reads one unsigned variable; on failure writes the message and returns false. */
static bool load_uint(const char *name, unsigned long def, unsigned long min,
                      unsigned long max, unsigned long *out, char *err, size_t errlen) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    *out = def;
    return true;
  }
  if (config_parse_uint(v, min, max, out) != IPS_OK) {
    snprintf(err, errlen, "%s must be a whole number from %lu to %lu, got '%.40s'",
             name, min, max, v);
    return false;
  }
  return true;
}

static const char *env_or(const char *name, const char *def) {
  const char *v = getenv(name);
  return (v && *v) ? v : def;
}

/* A libpq URI from variable name into *out (NULL when unset or empty);
 * false, with a message naming it, when it is not a postgresql:// URI. */
static bool load_uri(const char *name, const char **out, char *err, size_t errlen) {
  const char *v = getenv(name);
  *out = v && *v ? v : NULL;
  if (*out && strncmp(v, "postgresql://", 13) != 0 && strncmp(v, "postgres://", 11) != 0) {
    snprintf(err, errlen, "%s must be a postgresql:// URI", name);
    return false;
  }
  return true;
}

ips_status config_load(struct ips_config *cfg, bool need_database, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  unsigned long n;

  const char *db = NULL, *direct = NULL, *replica = NULL;
  if (!load_uri("IPS_DATABASE_URL", &db, err, errlen) ||
      /* behind PgBouncer in transaction mode, what needs a session of its
       * own (LISTEN for the long polls, migrate's advisory lock) goes direct */
      !load_uri("IPS_DIRECT_DATABASE_URL", &direct, err, errlen) ||
      /* a streaming replica for the reads that may lag a few seconds */
      !load_uri("IPS_REPLICA_DATABASE_URL", &replica, err, errlen))
    return IPS_INVALID;
  if (need_database && db == NULL) {
    snprintf(err, errlen, "IPS_DATABASE_URL is not set (a libpq URI, e.g. postgresql://user@host/db)");
    return IPS_INVALID;
  }
  cfg->database_url = dup_or_null(db);
  cfg->direct_database_url = dup_or_null(direct ? direct : db);
  cfg->replica_database_url = dup_or_null(replica);

  const char *listen = env_or("IPS_LISTEN", "127.0.0.1:8080");
  snprintf(cfg->listen, sizeof cfg->listen, "%s", listen);
  if (config_parse_listen(listen, &cfg->listen_addr, &cfg->listen_addr_len) != IPS_OK) {
    snprintf(err, errlen, "IPS_LISTEN must be HOST:PORT with an IP address (or localhost), got '%.40s'", listen);
    return IPS_INVALID;
  }

  if (!load_uint("IPS_THREADS", default_threads(), 1, 1024, &n, err, errlen)) return IPS_INVALID;
  cfg->threads = (unsigned)n;
  /* the mode decides the default pool: a pool of workers needs a connection
   * each; with a thread per connection, enough that requests rarely queue
   * for one (8 a core), but not so many that PostgreSQL thrashes */
  const char *mode = env_or("IPS_HTTP_MODE", "thread-per-connection");
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned long pool_default = strcmp(mode, "pool") == 0 ? cfg->threads : (unsigned long)(cores > 0 ? cores : 1) * 8;
  if (!load_uint("IPS_DB_POOL_SIZE", pool_default, 1, 1024, &n, err, errlen)) return IPS_INVALID;
  cfg->db_pool_size = (unsigned)n;
  if (!load_uint("IPS_DB_CHECKOUT_TIMEOUT_MS", 2000, 1, 600000, &n, err, errlen)) return IPS_INVALID;
  cfg->db_checkout_timeout_ms = (unsigned)n;
  if (!load_uint("IPS_MAX_BODY_BYTES", 1048576, 1024, 64UL * 1048576, &n, err, errlen)) return IPS_INVALID;
  cfg->max_body_bytes = n;
  if (!load_uint("IPS_HTTP_TIMEOUT_S", 30, 1, 3600, &n, err, errlen)) return IPS_INVALID;
  cfg->http_timeout_s = (unsigned)n;
  if (!load_uint("IPS_HTTP_HEAD_TIMEOUT_S", 10, 0, 3600, &n, err, errlen)) return IPS_INVALID;
  cfg->http_head_timeout_s = (unsigned)n;
  if (!load_uint("IPS_HTTP_BODY_TIMEOUT_S", 30, 0, 3600, &n, err, errlen)) return IPS_INVALID;
  cfg->http_body_timeout_s = (unsigned)n;
  if (!load_uint("IPS_MAX_CONNECTIONS", 4096, 16, 65536, &n, err, errlen)) return IPS_INVALID;
  cfg->max_connections = (unsigned)n;
  if (!load_uint("IPS_MAX_CONNECTIONS_PER_CLIENT", 64, 1, 65536, &n, err, errlen)) return IPS_INVALID;
  cfg->max_connections_per_client = (unsigned)n;
  if (!load_uint("IPS_SHUTDOWN_TIMEOUT_S", 10, 0, 600, &n, err, errlen)) return IPS_INVALID;
  cfg->shutdown_timeout_s = (unsigned)n;
  if (!load_uint("IPS_JWT_LEEWAY_S", 30, 0, 60, &n, err, errlen)) return IPS_INVALID;
  cfg->jwt_leeway_s = (unsigned)n;
  /* each argon2id check holds 19 MiB and a core: more at once than cores
   * only costs memory */
  if (!load_uint("IPS_PASSWORD_CHECKS", (unsigned long)online_cores(), 1, 256, &n, err, errlen))
    return IPS_INVALID;
  cfg->password_checks = (unsigned)n;
  if (!load_uint("IPS_PASSWORD_CHECK_WAIT_MS", 100, 0, 1000, &n, err, errlen)) return IPS_INVALID;
  cfg->password_check_wait_ms = (unsigned)n;
  if (!load_uint("IPS_SIGN_IN_CLIENT_FAILURES", 20, 1, 1000000, &n, err, errlen)) return IPS_INVALID;
  cfg->sign_in_client_failures = (unsigned)n;

  const char *prepared = env_or("IPS_DB_PREPARED_STATEMENTS", "on");
  if (config_parse_bool(prepared, &cfg->db_prepared_statements) != IPS_OK) {
    snprintf(err, errlen, "IPS_DB_PREPARED_STATEMENTS must be on or off, got '%.40s'", prepared);
    return IPS_INVALID;
  }

  if (strcmp(mode, "pool") != 0 && strcmp(mode, "thread-per-connection") != 0) {
    snprintf(err, errlen, "IPS_HTTP_MODE must be pool or thread-per-connection, got '%.40s'", mode);
    return IPS_INVALID;
  }
  cfg->thread_per_connection = strcmp(mode, "thread-per-connection") == 0;
  /* long polls of the change feed may hold half of a pool's workers, no more */
  unsigned long polls_default = cfg->thread_per_connection ? 256 : (cfg->threads / 2 ? cfg->threads / 2 : 1);
  if (!load_uint("IPS_LONG_POLL_MAX", polls_default, 1, 4096, &n, err, errlen)) return IPS_INVALID;
  if (!cfg->thread_per_connection && n >= cfg->threads) {
    snprintf(err, errlen, "IPS_LONG_POLL_MAX must be below IPS_THREADS (%u) in pool mode, got %lu", cfg->threads, n);
    return IPS_INVALID;
  }
  cfg->long_poll_max = (unsigned)n;

  const char *cache = env_or("IPS_AUTH_CACHE", "on");
  if (config_parse_bool(cache, &cfg->auth_cache) != IPS_OK) {
    snprintf(err, errlen, "IPS_AUTH_CACHE must be on or off, got '%.40s'", cache);
    return IPS_INVALID;
  }

  const char *level = env_or("IPS_LOG_LEVEL", "info");
  if (config_parse_log_level(level, &cfg->log_level) != IPS_OK) {
    snprintf(err, errlen, "IPS_LOG_LEVEL must be one of error, warning, info, debug, got '%.40s'", level);
    return IPS_INVALID;
  }

  const char *origins = env_or("IPS_CORS_ORIGINS", "");
  if (config_parse_origins(origins, cfg->cors_origins, CONFIG_MAX_CORS_ORIGINS,
                           &cfg->n_cors_origins) != IPS_OK) {
    snprintf(err, errlen, "IPS_CORS_ORIGINS must be a comma list of at most %d origins "
             "like https://app.example.org (no '*', no path)", CONFIG_MAX_CORS_ORIGINS);
    return IPS_INVALID;
  }

  const char *proxies = env_or("IPS_TRUSTED_PROXIES", "");
  if (config_parse_networks(proxies, cfg->trusted_proxies, CONFIG_MAX_TRUSTED_PROXIES,
                            &cfg->n_trusted_proxies) != IPS_OK) {
    snprintf(err, errlen, "IPS_TRUSTED_PROXIES must be a comma list of at most %d IP addresses "
             "or networks like 10.0.0.0/8, got '%.40s'", CONFIG_MAX_TRUSTED_PROXIES, proxies);
    return IPS_INVALID;
  }

  cfg->metrics_token = dup_or_null(getenv("IPS_METRICS_TOKEN"));
  if (cfg->metrics_token && strlen(cfg->metrics_token) < 16) {
    snprintf(err, errlen, "IPS_METRICS_TOKEN must be at least 16 characters");
    return IPS_INVALID;
  }

  cfg->jwt_secret = dup_or_null(getenv("IPS_JWT_SECRET"));
  cfg->jwt_private_key_file = dup_or_null(getenv("IPS_JWT_PRIVATE_KEY_FILE"));
  cfg->jwt_public_key_file = dup_or_null(getenv("IPS_JWT_PUBLIC_KEY_FILE"));
  cfg->jwt_issuer = strdup(env_or("IPS_JWT_ISSUER", "ips-api"));
  cfg->jwt_audience = strdup(env_or("IPS_JWT_AUDIENCE", "ips"));
  cfg->trusted_issuers_file = dup_or_null(getenv("IPS_TRUSTED_ISSUERS"));
  if (cfg->jwt_issuer == NULL || cfg->jwt_audience == NULL) return IPS_ERROR;
  return IPS_OK;
}

void config_free(struct ips_config *cfg) {
  free(cfg->database_url);
  free(cfg->direct_database_url);
  free(cfg->replica_database_url);
  free(cfg->jwt_secret);
  free(cfg->jwt_private_key_file);
  free(cfg->jwt_public_key_file);
  free(cfg->jwt_issuer);
  free(cfg->jwt_audience);
  free(cfg->trusted_issuers_file);
  free(cfg->metrics_token);
  for (size_t i = 0; i < cfg->n_cors_origins; i++) free(cfg->cors_origins[i]);
  memset(cfg, 0, sizeof *cfg);
}
