-- The indicators' summary: kept exact by the writing transactions, so that
-- a period's report reads a few rows per Warsaw calendar day instead of
-- every delivery and attendance row of the period.
--
-- Additive figures (deliveries, hours, guests, seminar attendance) are sums
-- per day. Distinct subjects (people who attended, entities supported) are
-- not additive; for every chain of a subject (its distinct days with the
-- deliveries of one scope: every partner or one partner, every kind or one
-- kind) the summary keeps where the chain starts (firsts), where it ends
-- (lasts) and its interior gaps. A subject counts in [from, to] when its
-- chain starts on or before to and does not end before from, and no gap of
-- it holds the whole period:
--   count = sum(firsts, day <= to) - sum(lasts, day < from)
--           - gaps containing [from, to].
-- The first two terms are sums over days; the third is a range look-up.
--
-- Scope columns: partner '' means the deliveries of every partner; kind ''
-- every service kind. A day is the Warsaw calendar day of started_at, as
-- the period filters define it (ips_period_start/ips_period_end).

CREATE FUNCTION report_day(at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (at AT TIME ZONE 'Europe/Warsaw')::date $$;

-- Deliveries, hours and guests per partner, kind and day.
CREATE TABLE report_delivery_days (
  partner text NOT NULL,
  kind text NOT NULL,
  day date NOT NULL,
  deliveries bigint NOT NULL,
  hours numeric NOT NULL,
  guests bigint NOT NULL,
  PRIMARY KEY (partner, day, kind)
);

-- firsts/lasts of the subjects' chains per scope, day and slot (what the
-- subject is counted as: 'people', 'gender:female', 'gmina:1604013',
-- 'entities', 'coops', ...), and the seminar attendance ('attendances').
CREATE TABLE report_daily (
  partner text NOT NULL,
  kind text NOT NULL,
  day date NOT NULL,
  slot text NOT NULL,
  firsts bigint NOT NULL,
  lasts bigint NOT NULL,
  amount bigint NOT NULL,
  PRIMARY KEY (partner, day, kind, slot)
);

-- What the summary holds of each subject ('b' a beneficiary, 'e' an ES
-- entity): its slots and its facts (per delivery partner, kind and day, how
-- many attendance rows or deliveries), so that a change subtracts exactly
-- what was added before.
CREATE TABLE report_subjects (
  subject_type char(1) NOT NULL CHECK (subject_type IN ('b', 'e')),
  subject uuid NOT NULL,
  slots text[] NOT NULL DEFAULT '{}',
  partners text[] NOT NULL DEFAULT '{}',
  kinds text[] NOT NULL DEFAULT '{}',
  days date[] NOT NULL DEFAULT '{}',
  counts integer[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (subject_type, subject)
);

-- Interior gaps of the chains: the days strictly between two days of a chain.
CREATE TABLE report_gaps (
  subject_type char(1) NOT NULL,
  subject uuid NOT NULL,
  partner text NOT NULL,
  kind text NOT NULL,
  gap daterange NOT NULL,
  FOREIGN KEY (subject_type, subject) REFERENCES report_subjects
);
CREATE INDEX report_gaps_subject ON report_gaps (subject_type, subject);
CREATE INDEX report_gaps_gap ON report_gaps USING gist (gap);

-- The slot counted for a chain of one kind.
CREATE FUNCTION report_kind_slot(subject_type char) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE subject_type WHEN 'b' THEN 'people' ELSE 'entities' END $$;

-- The chains' starts and ends by slot, and a person's seminar attendance,
-- of one subject's facts.
CREATE FUNCTION report_contributions(subject_type char, slots text[], partners text[], kinds text[],
                                     days date[], counts integer[])
  RETURNS TABLE (partner text, kind text, day date, slot text, firsts bigint, lasts bigint, amount bigint)
  LANGUAGE sql IMMUTABLE AS $$
  WITH f AS (SELECT * FROM unnest(partners, kinds, days, counts) AS f(partner, kind, day, n)),
  scoped AS (SELECT sp.partner, sk.kind, f.day, f.n
               FROM f CROSS JOIN LATERAL (VALUES (''), (f.partner)) sp(partner)
                      CROSS JOIN LATERAL (VALUES (''), (f.kind)) sk(kind)),
  chains AS (SELECT s.partner, s.kind, min(s.day) AS first_day, max(s.day) AS last_day
               FROM scoped s GROUP BY s.partner, s.kind),
  ends AS (SELECT c.partner, c.kind, c.first_day, c.last_day, sl.slot
             FROM chains c CROSS JOIN LATERAL
                  unnest(CASE WHEN c.kind = '' THEN slots ELSE ARRAY[report_kind_slot(subject_type)] END) sl(slot))
  SELECT e.partner, e.kind, e.first_day, e.slot, 1::bigint, 0::bigint, 0::bigint FROM ends e
  UNION ALL
  SELECT e.partner, e.kind, e.last_day, e.slot, 0, 1, 0 FROM ends e
  UNION ALL
  SELECT s.partner, s.kind, s.day, 'attendances', 0, 0, sum(s.n)
    FROM scoped s WHERE subject_type = 'b' AND s.kind = 'seminar' GROUP BY s.partner, s.kind, s.day
$$;

-- The interior gaps of one subject's chains.
CREATE FUNCTION report_gap_ranges(partners text[], kinds text[], days date[])
  RETURNS TABLE (partner text, kind text, gap daterange) LANGUAGE sql IMMUTABLE AS $$
  WITH f AS (SELECT * FROM unnest(partners, kinds, days) AS f(partner, kind, day)),
  scoped AS (SELECT DISTINCT sp.partner, sk.kind, f.day
               FROM f CROSS JOIN LATERAL (VALUES (''), (f.partner)) sp(partner)
                      CROSS JOIN LATERAL (VALUES (''), (f.kind)) sk(kind)),
  steps AS (SELECT s.partner, s.kind, lag(s.day) OVER (PARTITION BY s.partner, s.kind ORDER BY s.day) AS prev,
                   s.day FROM scoped s)
  SELECT st.partner, st.kind, daterange(st.prev, st.day, '()') FROM steps st WHERE st.day - st.prev > 1
$$;

-- What a beneficiary is counted as (kind '' chains); NULL when deleted.
CREATE FUNCTION report_person_slots(b beneficiaries) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN b.deleted_at IS NULL THEN
    ARRAY['people', 'gender:' || b.gender, 'education:' || coalesce(b.education, 'unknown'),
          'labour:' || coalesce(b.labour_status, 'unknown'), 'partner:' || b.partner,
          'gmina:' || b.teryt_gmina] END $$;

-- What an ES entity is counted as; NULL when deleted.
CREATE FUNCTION report_entity_slots(e es_entities) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN e.deleted_at IS NULL THEN
    CASE WHEN e.legal_form = 'social_cooperative' THEN ARRAY['entities', 'coops'] ELSE ARRAY['entities'] END END $$;

-- Brings one subject's part of the summary up to date with the records as
-- this statement sees them. The subject's row is locked first, so that two
-- transactions changing the same subject apply their differences one after
-- the other, each against what the other committed.
CREATE FUNCTION report_refresh(kind_of_subject char, id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  old report_subjects;
  new report_subjects;
BEGIN
  INSERT INTO report_subjects (subject_type, subject) VALUES (kind_of_subject, id) ON CONFLICT DO NOTHING;
  SELECT * INTO old FROM report_subjects s WHERE s.subject_type = kind_of_subject AND s.subject = id FOR UPDATE;
  new.subject_type := kind_of_subject;
  new.subject := id;
  IF kind_of_subject = 'b' THEN
    SELECT report_person_slots(b) INTO new.slots FROM beneficiaries b WHERE b.id = report_refresh.id;
    SELECT coalesce(array_agg(f.partner ORDER BY f.partner, f.kind, f.day), '{}'),
           coalesce(array_agg(f.kind ORDER BY f.partner, f.kind, f.day), '{}'),
           coalesce(array_agg(f.day ORDER BY f.partner, f.kind, f.day), '{}'),
           coalesce(array_agg(f.n ORDER BY f.partner, f.kind, f.day), '{}')
      INTO new.partners, new.kinds, new.days, new.counts
      FROM (SELECT d.partner, s.kind, report_day(d.started_at) AS day, count(*)::integer AS n
              FROM participants p JOIN deliveries d ON d.id = p.delivery_id AND d.deleted_at IS NULL
              JOIN services s ON s.id = d.service_id
             WHERE p.beneficiary_id = report_refresh.id AND p.deleted_at IS NULL AND p.attended
               AND new.slots IS NOT NULL
             GROUP BY 1, 2, 3) f;
  ELSE
    SELECT report_entity_slots(e) INTO new.slots FROM es_entities e WHERE e.id = report_refresh.id;
    SELECT coalesce(array_agg(f.partner ORDER BY f.partner, f.kind, f.day), '{}'),
           coalesce(array_agg(f.kind ORDER BY f.partner, f.kind, f.day), '{}'),
           coalesce(array_agg(f.day ORDER BY f.partner, f.kind, f.day), '{}'),
           coalesce(array_agg(f.n ORDER BY f.partner, f.kind, f.day), '{}')
      INTO new.partners, new.kinds, new.days, new.counts
      FROM (SELECT d.partner, s.kind, report_day(d.started_at) AS day, count(*)::integer AS n
              FROM deliveries d JOIN services s ON s.id = d.service_id
             WHERE d.es_entity_id = report_refresh.id AND d.deleted_at IS NULL AND new.slots IS NOT NULL
             GROUP BY 1, 2, 3) f;
  END IF;
  new.slots := coalesce(new.slots, '{}');
  IF new.slots = old.slots AND new.partners = old.partners AND new.kinds = old.kinds
     AND new.days = old.days AND new.counts = old.counts THEN
    RETURN;
  END IF;
  INSERT INTO report_daily AS r (partner, kind, day, slot, firsts, lasts, amount)
  SELECT c.partner, c.kind, c.day, c.slot, sum(c.firsts), sum(c.lasts), sum(c.amount)
    FROM (SELECT * FROM report_contributions(kind_of_subject, new.slots, new.partners, new.kinds,
                                             new.days, new.counts)
          UNION ALL
          SELECT o.partner, o.kind, o.day, o.slot, -o.firsts, -o.lasts, -o.amount
            FROM report_contributions(kind_of_subject, old.slots, old.partners, old.kinds,
                                      old.days, old.counts) o) c
   GROUP BY 1, 2, 3, 4
  HAVING sum(c.firsts) <> 0 OR sum(c.lasts) <> 0 OR sum(c.amount) <> 0
   ORDER BY 1, 3, 2, 4
  ON CONFLICT (partner, day, kind, slot) DO UPDATE
     SET firsts = r.firsts + excluded.firsts, lasts = r.lasts + excluded.lasts, amount = r.amount + excluded.amount;
  IF new.partners <> old.partners OR new.kinds <> old.kinds OR new.days <> old.days THEN
    DELETE FROM report_gaps g WHERE g.subject_type = kind_of_subject AND g.subject = id;
    INSERT INTO report_gaps (subject_type, subject, partner, kind, gap)
    SELECT kind_of_subject, id, r.partner, r.kind, r.gap FROM report_gap_ranges(new.partners, new.kinds, new.days) r;
  END IF;
  UPDATE report_subjects s SET slots = new.slots, partners = new.partners, kinds = new.kinds, days = new.days,
                               counts = new.counts
   WHERE s.subject_type = kind_of_subject AND s.subject = id;
END $$;

-- One delivery's deliveries, hours and guests, added (sign 1) or taken
-- away (sign -1), for every partner and its own.
CREATE FUNCTION report_delivery_add(d deliveries, sign integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO report_delivery_days AS r (partner, kind, day, deliveries, hours, guests)
  SELECT p.partner, s.kind, report_day(d.started_at), sign, sign * d.hours, sign * coalesce(d.guests, 0)
    FROM services s, (VALUES (''), (d.partner)) p(partner)
   WHERE s.id = d.service_id AND d.deleted_at IS NULL
   ORDER BY 1
  ON CONFLICT (partner, day, kind) DO UPDATE
     SET deliveries = r.deliveries + excluded.deliveries, hours = r.hours + excluded.hours,
         guests = r.guests + excluded.guests $$;

-- Every attendee (attended or not, live or not: the refresh decides) of a
-- delivery, in one order so that concurrent refreshes lock alike.
CREATE FUNCTION report_refresh_attendees(delivery uuid) RETURNS void LANGUAGE sql AS $$
  SELECT count(report_refresh('b', q.beneficiary_id))
    FROM (SELECT DISTINCT p.beneficiary_id FROM participants p WHERE p.delivery_id = delivery
           ORDER BY 1) q $$;

-- The triggers run at commit (deferred), after every statement of the
-- transaction, so that the summary's hot rows are locked only for the end
-- of it, and a refresh sees the transaction's final records.
CREATE FUNCTION report_on_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM report_refresh('b', OLD.beneficiary_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.beneficiary_id <> OLD.beneficiary_id) THEN
    PERFORM report_refresh('b', NEW.beneficiary_id);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER report_summary AFTER INSERT OR DELETE ON participants
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION report_on_participants();
CREATE CONSTRAINT TRIGGER report_summary_update AFTER UPDATE ON participants
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.attended, OLD.deleted_at IS NULL, OLD.delivery_id, OLD.beneficiary_id)
        IS DISTINCT FROM (NEW.attended, NEW.deleted_at IS NULL, NEW.delivery_id, NEW.beneficiary_id))
  EXECUTE FUNCTION report_on_participants();

CREATE FUNCTION report_on_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM report_delivery_add(OLD, -1);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM report_delivery_add(NEW, 1);
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.es_entity_id IS NOT NULL THEN
    PERFORM report_refresh('e', OLD.es_entity_id);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.es_entity_id IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.es_entity_id IS DISTINCT FROM OLD.es_entity_id) THEN
    PERFORM report_refresh('e', NEW.es_entity_id);
  END IF;
  IF TG_OP = 'UPDATE' AND (OLD.id, OLD.partner, OLD.service_id, OLD.started_at, OLD.deleted_at IS NULL)
                           IS DISTINCT FROM (NEW.id, NEW.partner, NEW.service_id, NEW.started_at,
                                             NEW.deleted_at IS NULL) THEN
    PERFORM report_refresh_attendees(NEW.id);
    IF NEW.id <> OLD.id THEN
      PERFORM report_refresh_attendees(OLD.id);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM report_refresh_attendees(OLD.id);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER report_summary AFTER INSERT OR DELETE ON deliveries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION report_on_deliveries();
CREATE CONSTRAINT TRIGGER report_summary_update AFTER UPDATE ON deliveries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.id, OLD.partner, OLD.service_id, OLD.es_entity_id, OLD.started_at, OLD.hours, OLD.guests,
         OLD.deleted_at IS NULL)
        IS DISTINCT FROM (NEW.id, NEW.partner, NEW.service_id, NEW.es_entity_id, NEW.started_at, NEW.hours,
                          NEW.guests, NEW.deleted_at IS NULL))
  EXECUTE FUNCTION report_on_deliveries();

CREATE FUNCTION report_on_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_refresh(TG_ARGV[0], OLD.id);
  IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
    PERFORM report_refresh(TG_ARGV[0], NEW.id);
  END IF;
  RETURN NULL;
END $$;

-- A new beneficiary or entity has attended nothing yet: only changes of
-- what it is counted as, deletions included, touch the summary.
CREATE CONSTRAINT TRIGGER report_summary AFTER UPDATE ON beneficiaries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.id, OLD.gender, OLD.education, OLD.labour_status, OLD.partner, OLD.teryt_gmina,
         OLD.deleted_at IS NULL)
        IS DISTINCT FROM (NEW.id, NEW.gender, NEW.education, NEW.labour_status, NEW.partner, NEW.teryt_gmina,
                          NEW.deleted_at IS NULL))
  EXECUTE FUNCTION report_on_subject('b');
CREATE CONSTRAINT TRIGGER report_summary_delete AFTER DELETE ON beneficiaries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION report_on_subject('b');
CREATE CONSTRAINT TRIGGER report_summary AFTER UPDATE ON es_entities
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.id, OLD.legal_form, OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.id, NEW.legal_form, NEW.deleted_at IS NULL))
  EXECUTE FUNCTION report_on_subject('e');
CREATE CONSTRAINT TRIGGER report_summary_delete AFTER DELETE ON es_entities
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION report_on_subject('e');

-- A service that changes kind moves every delivery of it to the new kind.
CREATE FUNCTION report_on_services() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d deliveries;
BEGIN
  FOR d IN SELECT * FROM deliveries WHERE service_id = NEW.id ORDER BY id LOOP
    -- the delivery's figures under the old kind: taken away by hand, as
    -- report_delivery_add reads the kind from services, which already changed
    INSERT INTO report_delivery_days AS r (partner, kind, day, deliveries, hours, guests)
    SELECT p.partner, OLD.kind, report_day(d.started_at), -1, -d.hours, -coalesce(d.guests, 0)
      FROM (VALUES (''), (d.partner)) p(partner) WHERE d.deleted_at IS NULL
    ON CONFLICT (partner, day, kind) DO UPDATE
       SET deliveries = r.deliveries + excluded.deliveries, hours = r.hours + excluded.hours,
           guests = r.guests + excluded.guests;
    PERFORM report_delivery_add(d, 1);
    IF d.es_entity_id IS NOT NULL THEN
      PERFORM report_refresh('e', d.es_entity_id);
    END IF;
    PERFORM report_refresh_attendees(d.id);
  END LOOP;
  RETURN NULL;
END $$;

-- Not deferred: the old kind must be taken away in the same statement that
-- changed it, before another change of the service could come between.
CREATE TRIGGER report_summary AFTER UPDATE ON services
  FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION report_on_services();

-- The whole summary again from the records, set by set: for this migration,
-- and for data loaded with the triggers off (session_replication_role).
CREATE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE report_daily, report_delivery_days, report_subjects, report_gaps IN EXCLUSIVE MODE;
  TRUNCATE report_gaps, report_daily, report_delivery_days, report_subjects;
  INSERT INTO report_delivery_days (partner, kind, day, deliveries, hours, guests)
  SELECT p.partner, s.kind, report_day(d.started_at), count(*), sum(d.hours), sum(coalesce(d.guests, 0))
    FROM deliveries d JOIN services s ON s.id = d.service_id CROSS JOIN LATERAL (VALUES (''), (d.partner)) p(partner)
   WHERE d.deleted_at IS NULL
   GROUP BY 1, 2, 3;
  INSERT INTO report_subjects (subject_type, subject, slots, partners, kinds, days, counts)
  SELECT 'b', f.beneficiary_id, report_person_slots(b), array_agg(f.partner ORDER BY f.partner, f.kind, f.day),
         array_agg(f.kind ORDER BY f.partner, f.kind, f.day), array_agg(f.day ORDER BY f.partner, f.kind, f.day),
         array_agg(f.n ORDER BY f.partner, f.kind, f.day)
    FROM (SELECT p.beneficiary_id, d.partner, s.kind, report_day(d.started_at) AS day, count(*)::integer AS n
            FROM participants p JOIN deliveries d ON d.id = p.delivery_id AND d.deleted_at IS NULL
            JOIN services s ON s.id = d.service_id
           WHERE p.deleted_at IS NULL AND p.attended
           GROUP BY 1, 2, 3, 4) f
    JOIN beneficiaries b ON b.id = f.beneficiary_id AND b.deleted_at IS NULL
   GROUP BY f.beneficiary_id, b.id;
  INSERT INTO report_subjects (subject_type, subject, slots, partners, kinds, days, counts)
  SELECT 'e', f.es_entity_id, report_entity_slots(e), array_agg(f.partner ORDER BY f.partner, f.kind, f.day),
         array_agg(f.kind ORDER BY f.partner, f.kind, f.day), array_agg(f.day ORDER BY f.partner, f.kind, f.day),
         array_agg(f.n ORDER BY f.partner, f.kind, f.day)
    FROM (SELECT d.es_entity_id, d.partner, s.kind, report_day(d.started_at) AS day, count(*)::integer AS n
            FROM deliveries d JOIN services s ON s.id = d.service_id
           WHERE d.deleted_at IS NULL AND d.es_entity_id IS NOT NULL
           GROUP BY 1, 2, 3, 4) f
    JOIN es_entities e ON e.id = f.es_entity_id AND e.deleted_at IS NULL
   GROUP BY f.es_entity_id, e.id;
  INSERT INTO report_daily (partner, kind, day, slot, firsts, lasts, amount)
  SELECT c.partner, c.kind, c.day, c.slot, sum(c.firsts), sum(c.lasts), sum(c.amount)
    FROM report_subjects s
   CROSS JOIN LATERAL report_contributions(s.subject_type, s.slots, s.partners, s.kinds, s.days, s.counts) c
   GROUP BY 1, 2, 3, 4;
  INSERT INTO report_gaps (subject_type, subject, partner, kind, gap)
  SELECT s.subject_type, s.subject, g.partner, g.kind, g.gap
    FROM report_subjects s CROSS JOIN LATERAL report_gap_ranges(s.partners, s.kinds, s.days) g;
END $$;

SELECT report_rebuild();
