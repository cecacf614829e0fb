/*
 * The /v1/auth routes: POST /v1/auth/token (password and refresh_token
 * grants), POST /v1/auth/revoke, and GET /.well-known/jwks.json.
 */
#ifndef IPS_AUTH_TOKENS_H
#define IPS_AUTH_TOKENS_H

#include "http/request.h"

#define REFRESH_TOKEN_TTL_DAYS 30
#define LOGIN_MAX_FAILURES 5
#define LOGIN_WINDOW_MINUTES 15

void tokens_issue(struct ips_request *req);
void tokens_revoke(struct ips_request *req);
void tokens_jwks(struct ips_request *req);

#endif
