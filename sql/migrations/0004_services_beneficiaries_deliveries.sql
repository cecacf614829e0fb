-- The catalogue of support, the people supported, and each hour of support
-- given with its attendance.

CREATE TABLE services (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  code text NOT NULL CHECK (code ~ '^[a-z0-9-]{2,64}$'),
  name text COLLATE "pl-x-icu" NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
  kind text NOT NULL CHECK (kind IN ('advisory', 'legal', 'financial', 'marketing', 'information',
                                     'training', 'seminar')),
  description text CHECK (char_length(description) <= 4000),
  active boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX services_code ON services (code) WHERE deleted_at IS NULL;
CREATE INDEX services_created ON services (created_at, id) WHERE deleted_at IS NULL;

-- One service of each kind; the leader partner keeps the catalogue.
INSERT INTO services (partner, code, name, kind, description) VALUES
  ('byczyna', 'doradztwo-biznesowe', 'Doradztwo biznesowe', 'advisory', 'Indywidualne doradztwo w prowadzeniu PES.'),
  ('byczyna', 'doradztwo-prawne', 'Doradztwo prawne', 'legal', 'Porady prawne dla podmiotów ekonomii społecznej.'),
  ('byczyna', 'doradztwo-finansowe', 'Doradztwo finansowe i księgowe', 'financial', 'Finanse, księgowość, dotacje i pożyczki.'),
  ('byczyna', 'doradztwo-marketingowe', 'Doradztwo marketingowe', 'marketing', 'Marka, promocja i sprzedaż usług.'),
  ('byczyna', 'informacja', 'Usługi informacyjne', 'information', 'Informacja o ekonomii społecznej i wsparciu.'),
  ('byczyna', 'szkolenia', 'Szkolenia dla PES', 'training', 'Szkolenia kompetencyjne dla pracowników i członków PES.'),
  ('byczyna', 'seminaria', 'Seminaria promujące ekonomię społeczną', 'seminar', 'Seminaria dla JST, biznesu i PES.');

CREATE TABLE beneficiaries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  first_name text CHECK (char_length(first_name) BETWEEN 1 AND 100),   -- NULL once erased
  last_name text COLLATE "pl-x-icu" CHECK (char_length(last_name) BETWEEN 1 AND 100),
  pesel text CHECK (pesel ~ '^[0-9]{11}$'),
  birth_date date,
  gender text NOT NULL CHECK (gender IN ('female', 'male')),
  education text CHECK (education IN ('none', 'primary', 'lower_secondary', 'upper_secondary',
                                      'post_secondary', 'tertiary')),
  labour_status text CHECK (labour_status IN ('employed', 'unemployed', 'long_term_unemployed',
                                              'inactive', 'self_employed')),
  teryt_gmina char(7) NOT NULL CONSTRAINT beneficiaries_teryt_gmina_fkey REFERENCES gminas (teryt),
  street text,
  postal_code text,
  email text,
  phone text,
  es_entity_id uuid CONSTRAINT beneficiaries_es_entity_id_fkey REFERENCES es_entities (id),
  member_id uuid CONSTRAINT beneficiaries_member_id_fkey REFERENCES partnership_members (id),
  consent_on date NOT NULL,
  support_start date,
  support_end date,
  birth_year integer,
  erased boolean NOT NULL DEFAULT false,
  CONSTRAINT beneficiaries_support_end_after_start CHECK (support_end >= support_start),
  CONSTRAINT beneficiaries_names_unless_erased CHECK (erased OR (first_name IS NOT NULL AND last_name IS NOT NULL))
);
CREATE UNIQUE INDEX beneficiaries_pesel ON beneficiaries (pesel) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_created ON beneficiaries (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_updated ON beneficiaries (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_last_name ON beneficiaries (last_name, id) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_partner ON beneficiaries (partner, created_at) WHERE deleted_at IS NULL;

-- birth_year follows birth_date, and outlives it when the record is erased.
CREATE FUNCTION beneficiaries_birth_year() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.birth_date IS NOT NULL THEN
    NEW.birth_year := extract(year FROM NEW.birth_date)::integer;
  ELSIF NOT NEW.erased THEN
    NEW.birth_year := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER birth_year BEFORE INSERT OR UPDATE ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION beneficiaries_birth_year();

CREATE TABLE deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  service_id uuid NOT NULL CONSTRAINT deliveries_service_id_fkey REFERENCES services (id),
  es_entity_id uuid CONSTRAINT deliveries_es_entity_id_fkey REFERENCES es_entities (id),
  started_at timestamptz NOT NULL,
  hours numeric(4, 2) NOT NULL CONSTRAINT deliveries_hours_range CHECK (hours > 0 AND hours <= 24),
  topic text NOT NULL CHECK (char_length(topic) BETWEEN 1 AND 500),
  location text,
  advisor text,
  guests integer CHECK (guests >= 0),
  notes text CHECK (char_length(notes) <= 4000)
);
CREATE INDEX deliveries_created ON deliveries (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_updated ON deliveries (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_started ON deliveries (started_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_service ON deliveries (service_id) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_es_entity ON deliveries (es_entity_id) WHERE deleted_at IS NULL;

-- Attendance: who took part in a delivery. Its key in the change feed and
-- the audit is delivery_id/beneficiary_id; partner is the delivery's.
CREATE TABLE participants (
  delivery_id uuid NOT NULL REFERENCES deliveries (id),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  key text GENERATED ALWAYS AS (delivery_id::text || '/' || beneficiary_id::text) STORED,
  partner text NOT NULL,
  attended boolean NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  PRIMARY KEY (delivery_id, beneficiary_id)
);
CREATE INDEX participants_beneficiary ON participants (beneficiary_id) WHERE deleted_at IS NULL;

CREATE TRIGGER audit AFTER INSERT OR UPDATE ON services
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('services', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON beneficiaries
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('beneficiaries', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON deliveries
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('deliveries', 'id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON participants
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('participants', 'key');

CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON services
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('services', 'id');
CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON beneficiaries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('beneficiaries', 'id');
CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON deliveries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('deliveries', 'id');
CREATE CONSTRAINT TRIGGER change_feed AFTER INSERT OR UPDATE ON participants
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_change('participants', 'key');
