-- Social economy entities, the change feed and idempotency keys.

-- Timestamps in JSON built here are RFC 3339 in UTC when the session zone is
-- UTC; the service sets it on its connections, and this makes it the
-- database's default for anyone else (reports, psql).
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'UTC');
END $$;

CREATE TABLE es_entities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  name text COLLATE "pl-x-icu" NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
  legal_form text NOT NULL CHECK (legal_form IN ('social_cooperative', 'cooperative', 'foundation',
    'association', 'cis', 'kis', 'zaz', 'wtz', 'nonprofit_company', 'church_entity', 'other')),
  krs text CHECK (krs ~ '^[0-9]{10}$'),
  nip text CHECK (nip ~ '^[0-9]{10}$'),
  regon text CHECK (regon ~ '^([0-9]{9}|[0-9]{14})$'),
  -- an entity of the project lies in the region: a gmina of the dictionary
  teryt_gmina char(7) NOT NULL CONSTRAINT es_entities_teryt_gmina_fkey REFERENCES gminas (teryt),
  postal_code text CHECK (postal_code ~ '^[0-9]{2}-[0-9]{3}$'),
  city text,
  street text,
  email text,
  phone text,
  website text,
  founded_on date,
  employees integer CHECK (employees >= 0),
  disadvantaged_employees integer CHECK (disadvantaged_employees >= 0),
  members integer CHECK (members >= 0),
  status text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'active', 'completed', 'withdrawn')),
  enrolled_on date,
  offer text CHECK (char_length(offer) <= 4000),
  public boolean NOT NULL DEFAULT false,
  CONSTRAINT es_entities_disadvantaged_le_employees CHECK (disadvantaged_employees <= employees)
);
CREATE UNIQUE INDEX es_entities_nip ON es_entities (nip) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX es_entities_krs ON es_entities (krs) WHERE deleted_at IS NULL;
CREATE INDEX es_entities_created ON es_entities (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX es_entities_updated ON es_entities (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX es_entities_name ON es_entities (name, id) WHERE deleted_at IS NULL;
CREATE INDEX es_entities_public ON es_entities (created_at, id) WHERE public AND deleted_at IS NULL;

CREATE INDEX partnership_members_updated ON partnership_members (updated_at, id);
CREATE INDEX partnership_members_name ON partnership_members (name, id);
CREATE UNIQUE INDEX partnership_members_nip ON partnership_members (nip) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX partnership_members_krs ON partnership_members (krs) WHERE deleted_at IS NULL;
CREATE INDEX users_updated ON users (updated_at, id);

CREATE TRIGGER audit AFTER INSERT OR UPDATE ON es_entities
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('es-entities', 'id');

-- The change feed. A plain sequence is not enough: a transaction can take
-- seq 5, commit after the one that took 6, and a reader already at 6 would
-- never see 5. So every change takes its number from a one-row counter at
-- commit time (a deferred trigger): the counter's row lock is held until
-- that transaction commits, which hands numbers out in commit order with
-- no gaps a reader could skip.
CREATE TABLE change_counter (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  seq bigint NOT NULL
);
INSERT INTO change_counter (seq) VALUES (0);

CREATE TABLE changes (
  seq bigint PRIMARY KEY,
  resource text NOT NULL,
  id text NOT NULL,
  op text NOT NULL CHECK (op IN ('upsert', 'delete')),
  version integer NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- TG_ARGV[0]: the resource (path segment); TG_ARGV[1]: the key column.
CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  doc jsonb := to_jsonb(NEW);
  next_seq bigint;
BEGIN
  UPDATE change_counter SET seq = seq + 1 RETURNING seq INTO next_seq;
  INSERT INTO changes (seq, resource, id, op, version)
  VALUES (next_seq, TG_ARGV[0], doc->>TG_ARGV[1],
          CASE WHEN doc->>'deleted_at' IS NOT NULL THEN 'delete' ELSE 'upsert' END,
          (doc->>'version')::integer);
  PERFORM pg_notify('ips_changes', next_seq::text);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON es_entities
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('es-entities', 'id');
CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON partnership_members
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('partnership-members', 'id');
CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON gminas
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('gminas', 'teryt');

-- Idempotency-Key: the first response of a create, kept 24 hours, written in
-- the same transaction as the record so that no retry can write twice.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,            -- the caller (token sub and issuer)
  key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  status integer,
  body text,
  etag text,
  location text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Period bounds of the from/to filters: a date means the whole day in
-- Europe/Warsaw; a timestamp means itself (to is inclusive).
CREATE FUNCTION ips_period_start(v text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
              THEN v::date::timestamp AT TIME ZONE 'Europe/Warsaw' ELSE v::timestamptz END $$;
CREATE FUNCTION ips_period_end(v text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
              THEN (v::date + 1)::timestamp AT TIME ZONE 'Europe/Warsaw'
              ELSE v::timestamptz + interval '1 microsecond' END $$;
