-- Project partners are the tenants: every user and every record names one
-- by its code (tokens carry it too). The service answers 409 before it would
-- delete a partner that is still in use or change its code or kind; these
-- triggers are the second wall, so that no path (psql included) can leave
-- users or records naming a partner that has gone.

-- What still names a partner: 'users', 'records' or NULL. member is the
-- partner's own row, which it may own itself: left out.
CREATE FUNCTION project_partner_use(partner_code text, member uuid) RETURNS text
  LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM users WHERE partner = partner_code AND deleted_at IS NULL) THEN 'users'
    WHEN EXISTS (SELECT 1 FROM partnership_members
                  WHERE partner = partner_code AND id <> member AND deleted_at IS NULL)
      OR EXISTS (SELECT 1 FROM es_entities WHERE partner = partner_code AND deleted_at IS NULL)
      OR EXISTS (SELECT 1 FROM services WHERE partner = partner_code AND deleted_at IS NULL)
      OR EXISTS (SELECT 1 FROM beneficiaries WHERE partner = partner_code AND deleted_at IS NULL)
      OR EXISTS (SELECT 1 FROM deliveries WHERE partner = partner_code AND deleted_at IS NULL)
      OR EXISTS (SELECT 1 FROM participants WHERE partner = partner_code AND deleted_at IS NULL)
    THEN 'records'
  END $$;

-- Writers of a partner's users and records hold a shared advisory lock on
-- its code until they commit; a change to the partner itself takes it
-- exclusively, so that it waits for them and then sees what they wrote
-- (read committed: each statement below takes a new snapshot).
-- 1229870160 is this lock's namespace ('IPSP').
CREATE FUNCTION project_partner_lock(partner_code text, exclusive boolean) RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  IF exclusive THEN
    PERFORM pg_advisory_xact_lock(1229870160, hashtext(partner_code));
  ELSE
    PERFORM pg_advisory_xact_lock_shared(1229870160, hashtext(partner_code));
  END IF;
END $$;

-- A project partner in use is not deleted, re-coded nor made another kind.
CREATE FUNCTION project_partner_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  used_by text;
BEGIN
  PERFORM project_partner_lock(OLD.code, true);
  used_by := project_partner_use(OLD.code, OLD.id);
  IF used_by IS NOT NULL THEN
    RAISE EXCEPTION 'project partner % still has %', OLD.code, used_by
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'project_partner_in_use';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER project_partner_keep BEFORE UPDATE ON partnership_members
  FOR EACH ROW
  WHEN (OLD.kind = 'project_partner' AND OLD.code IS NOT NULL AND OLD.deleted_at IS NULL
        AND (NEW.kind <> OLD.kind OR NEW.code IS DISTINCT FROM OLD.code OR NEW.deleted_at IS NOT NULL))
  EXECUTE FUNCTION project_partner_keep();
CREATE TRIGGER project_partner_keep_row BEFORE DELETE ON partnership_members
  FOR EACH ROW
  WHEN (OLD.kind = 'project_partner' AND OLD.code IS NOT NULL AND OLD.deleted_at IS NULL)
  EXECUTE FUNCTION project_partner_keep();

-- A user or record names a live project partner.
CREATE FUNCTION project_partner_named() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM project_partner_lock(NEW.partner, false);
  IF NOT EXISTS (SELECT 1 FROM project_partners WHERE code = NEW.partner) THEN
    RAISE EXCEPTION '% names no project partner: %', TG_TABLE_NAME, NEW.partner
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_TABLE_NAME || '_partner_fkey';
  END IF;
  RETURN NEW;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'partnership_members', 'es_entities', 'services', 'beneficiaries',
                           'deliveries', 'participants'] LOOP
    EXECUTE format('CREATE TRIGGER project_partner_named BEFORE INSERT ON %I FOR EACH ROW'
                   ' EXECUTE FUNCTION project_partner_named()', t);
    EXECUTE format('CREATE TRIGGER project_partner_renamed BEFORE UPDATE ON %I FOR EACH ROW'
                   ' WHEN (NEW.partner IS DISTINCT FROM OLD.partner AND NEW.deleted_at IS NULL)'
                   ' EXECUTE FUNCTION project_partner_named()', t);
  END LOOP;
END $$;
