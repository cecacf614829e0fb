/*
 * Configuration from the IPS_* environment, read and checked once at start-up.
 *
 * Every value has a default except IPS_DATABASE_URL. A bad value stops
 * start-up with a message that names the variable.
 */
#ifndef IPS_CONFIG_H
#define IPS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ips.h"
#include "util/ip.h"

#define CONFIG_MAX_CORS_ORIGINS 16
#define CONFIG_MAX_TRUSTED_PROXIES 32

struct ips_config {
  char *database_url;               /* owned */
  char *direct_database_url;        /* owned: IPS_DIRECT_DATABASE_URL, else database_url */
  char *replica_database_url;       /* owned: IPS_REPLICA_DATABASE_URL; NULL: none */
  char listen[96];                  /* as given, for messages */
  struct sockaddr_storage listen_addr;
  socklen_t listen_addr_len;
  char *jwt_secret;                 /* owned; HS256 */
  char *jwt_private_key_file;       /* owned; RS256/ES256 */
  char *jwt_public_key_file;        /* owned */
  char *jwt_issuer;                 /* owned */
  char *jwt_audience;               /* owned */
  char *trusted_issuers_file;       /* owned, may be NULL */
  char *cors_origins[CONFIG_MAX_CORS_ORIGINS]; /* owned */
  size_t n_cors_origins;
  unsigned threads;
  bool thread_per_connection;       /* IPS_HTTP_MODE: one thread per connection, else a pool */
  unsigned db_pool_size;
  unsigned db_checkout_timeout_ms;
  bool db_prepared_statements;
  size_t max_body_bytes;
  char *metrics_token;              /* owned, may be NULL */
  int log_level;                    /* a yder Y_LOG_LEVEL_* */
  unsigned http_timeout_s;
  unsigned shutdown_timeout_s;
  unsigned http_head_timeout_s;         /* each request head within this, or the connection is shut; 0: off */
  unsigned http_body_timeout_s;         /* each body within this after its head, or the same; 0: off */
  unsigned max_connections;             /* open HTTP connections in all */
  unsigned max_connections_per_client;  /* from one address: a slow client cannot take every slot */
  unsigned long_poll_max;      /* change-feed long polls waiting at once; more get 503 */
  unsigned jwt_leeway_s;
  bool auth_cache;                  /* cache verified tokens (IPS_AUTH_CACHE) */
  unsigned password_checks;         /* argon2id checks at once (IPS_PASSWORD_CHECKS) */
  unsigned password_check_wait_ms;  /* how long a sign-in waits for one (IPS_PASSWORD_CHECK_WAIT_MS) */
  unsigned sign_in_client_failures; /* failed sign-ins per client address per window */
  struct ip_net trusted_proxies[CONFIG_MAX_TRUSTED_PROXIES]; /* IPS_TRUSTED_PROXIES */
  size_t n_trusted_proxies;
};

/*
 * Reads the environment into cfg. need_database says whether IPS_DATABASE_URL
 * is required (it is for serve and migrate). On failure returns IPS_INVALID
 * with a message naming the variable in err; cfg must still be released with
 * config_free().
 */
ips_status config_load(struct ips_config *cfg, bool need_database, char *err, size_t errlen);
void config_free(struct ips_config *cfg);

/* Pure parsers, exposed for unit tests. Each returns IPS_OK or IPS_INVALID. */
ips_status config_parse_uint(const char *value, unsigned long min, unsigned long max,
                             unsigned long *out);
ips_status config_parse_bool(const char *value, bool *out);
ips_status config_parse_listen(const char *value, struct sockaddr_storage *addr,
                               socklen_t *addr_len);
ips_status config_parse_log_level(const char *value, int *out);
/* Splits a comma list of origins (scheme://host[:port], no path, no "*"). */
ips_status config_parse_origins(const char *value, char **out, size_t max, size_t *n);
/* Splits a comma list of addresses and CIDR networks (10.0.0.0/8, ::1). */
ips_status config_parse_networks(const char *value, struct ip_net *out, size_t max, size_t *n);

#endif
