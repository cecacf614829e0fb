-- Failed sign-ins are also counted by the client's address, so that one
-- client trying many usernames is stopped as one trying many passwords is.
-- Rows from before this migration have no client and count by username only.
-- client holds login_client_key() of the address.
ALTER TABLE login_failures ADD COLUMN client inet;

-- The key a client's failures are counted under: an IPv4 address itself; an
-- IPv6 address by its /64, since one host commonly holds a whole /64.
CREATE FUNCTION login_client_key(address inet) RETURNS inet
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN family(address) = 6 THEN network(set_masklen(address, 64))::inet ELSE host(address)::inet END $$;

CREATE INDEX login_failures_client ON login_failures (client, at) WHERE client IS NOT NULL;
