-- Project partners, users, tokens, sign-in throttling and the audit log.

-- Timestamps as clients see them: RFC 3339 in UTC, with microseconds so that
-- a keyset cursor made from one finds its row again exactly.
CREATE FUNCTION rfc3339(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- Every ordinary record carries id, partner (its owner), version, created_at,
-- updated_at and deleted_at (soft delete); the resource engine relies on it.
CREATE TABLE partnership_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  name text COLLATE "pl-x-icu" NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
  kind text NOT NULL CHECK (kind IN ('project_partner', 'local_government', 'business',
    'social_economy', 'labour_market', 'social_assistance', 'social_integration', 'ngo', 'other')),
  code text CHECK (code ~ '^[a-z0-9-]{2,32}$'),
  nip text,
  regon text,
  krs text,
  teryt_gmina char(7) CHECK (teryt_gmina ~ '^[0-9]{6}[1-5]$'),
  city text,
  street text,
  postal_code text,
  email text,
  phone text,
  representative text,
  joined_on date,
  left_on date CHECK (left_on >= joined_on),
  declaration_signed_on date,
  notes text CHECK (char_length(notes) <= 4000)
);
CREATE UNIQUE INDEX partnership_members_code ON partnership_members (code) WHERE deleted_at IS NULL;
CREATE INDEX partnership_members_created ON partnership_members (created_at, id);

-- The project partners are rows: a third partner is data, not a release.
-- Each owns its own row.
INSERT INTO partnership_members (partner, name, kind, code, teryt_gmina, city) VALUES
  ('byczyna', 'Spółdzielnia Socjalna w Byczynie (lider)', 'project_partner', 'byczyna', '1604013', 'Byczyna'),
  ('chorzow', 'Stowarzyszenie na rzecz Współpracy Regionalnej w Chorzowie', 'project_partner', 'chorzow', '2463011', 'Chorzów');

-- The codes a token's "partner" may name.
CREATE VIEW project_partners AS
  SELECT code FROM partnership_members
   WHERE kind = 'project_partner' AND code IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  partner text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'coordinator', 'advisor', 'auditor', 'integration')),
  password_hash text,            -- argon2id; NULL until a password is set
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz          -- users are disabled, not deleted; kept for the engine
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_created ON users (created_at, id);

-- Refresh tokens are stored only as SHA-256 hashes. A family is one sign-in
-- and its rotations: presenting a used token revokes the whole family.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  family uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id),
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- Failed sign-ins by username, shared by every instance of the service.
CREATE TABLE login_failures (
  username text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_failures_username ON login_failures (username, at);

-- Every change and sign-in. Field names only: values (PII among them) are
-- never written here.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text,
  partner text,
  role text,
  action text NOT NULL,
  resource text NOT NULL,
  resource_id text,
  request_id text,
  fields text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_resource ON audit_log (resource, resource_id, id DESC);

-- The request's actor, set by the service in each writing transaction with
-- set_config('ips.actor', ..., true) and friends.
CREATE FUNCTION ips_setting(name text) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting(name, true), '') $$;

-- Writes the audit entry of a row change. TG_ARGV[0] is the resource (the
-- path segment); the entry names the columns that changed, minus bookkeeping.
-- A soft delete (deleted_at set) is a 'delete'; ips.action overrides the
-- action (e.g. 'erase').
CREATE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_doc jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  old_doc jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  action text;
  changed text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    action := 'create';
    SELECT coalesce(array_agg(key ORDER BY key), '{}') INTO changed
      FROM jsonb_each(new_doc)
     WHERE value <> 'null'::jsonb
       AND key NOT IN ('id', 'version', 'created_at', 'updated_at', 'deleted_at');
  ELSE
    action := CASE WHEN old_doc->>'deleted_at' IS NULL AND new_doc->>'deleted_at' IS NOT NULL
                   THEN 'delete' ELSE 'update' END;
    SELECT coalesce(array_agg(key ORDER BY key), '{}') INTO changed
      FROM jsonb_each(new_doc)
     WHERE value IS DISTINCT FROM old_doc->key
       AND key NOT IN ('id', 'version', 'created_at', 'updated_at', 'deleted_at');
  END IF;
  INSERT INTO audit_log (actor, partner, role, action, resource, resource_id, request_id, fields)
  VALUES (ips_setting('ips.actor'), ips_setting('ips.partner'), ips_setting('ips.role'),
          coalesce(ips_setting('ips.action'), action), TG_ARGV[0],
          coalesce(new_doc->>TG_ARGV[1], old_doc->>TG_ARGV[1]),
          ips_setting('ips.request_id'), changed);
  RETURN NULL;
END $$;

CREATE TRIGGER audit AFTER INSERT OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('users', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON gminas
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('gminas', 'teryt');
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON partnership_members
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('partnership-members', 'id');
