-- Demo data for deploy/run.sh only; never a migration. Safe to load again.

-- The funding call's high-poverty list is set by an admin in production;
-- the demo marks a few rural gminas so that pickers and reports show it.
UPDATE gminas SET high_poverty = true, version = version + 1, updated_at = now()
 WHERE teryt IN ('1602022', '1606042', '1608043', '1610032', '1604043')
   AND NOT high_poverty;

-- Demo users, one password for all of them: demo-haslo-2026 (printed by
-- deploy/run.sh). The hashes are argon2id of that password.
INSERT INTO users (username, partner, role, password_hash) VALUES
  ('admin', 'byczyna', 'admin', '$argon2id$v=19$m=19456,t=2,p=1$L2X7mirnOcqhtHUf00E1tA$B+LYpn3aGR1N9hRDSdpebQcMhyQco4I9oDE262XkkVQ'),
  ('koordynator.byczyna', 'byczyna', 'coordinator', '$argon2id$v=19$m=19456,t=2,p=1$jnOBubo+9kSgaJeObOQjXg$CDIY5mKdCTIC9tQ6p+98sJTlnwYCR/QiqU5Xy2JQ9hI'),
  ('doradca.byczyna', 'byczyna', 'advisor', '$argon2id$v=19$m=19456,t=2,p=1$hBMAdIP67i520lB1ZOsqtQ$rZkOqlbtuLbNhvd+Dpick/g3DbI1n+5z4nvywnFCGkQ'),
  ('koordynator.chorzow', 'chorzow', 'coordinator', '$argon2id$v=19$m=19456,t=2,p=1$2ZdnCAhCREJQU/ySK27M7g$InpiInJaIysG8bgmezyP+YvlH5grZwd5ETs2GflA2aY'),
  ('doradca.chorzow', 'chorzow', 'advisor', '$argon2id$v=19$m=19456,t=2,p=1$1eX37iZTviEgnJrZRm5mqg$JPe6WKkBPCpenDFK0kH4AO1pb5a7Y9Yzqdmmz072pWA'),
  ('audytor', 'byczyna', 'auditor', '$argon2id$v=19$m=19456,t=2,p=1$eQ2ZncDdiRvwxm8C/LZr5A$uO1uCfC2N600PWzvLGInPxAg5hUIrOMiYu+EDwxpMyY'),
  ('integracja', 'chorzow', 'integration', '$argon2id$v=19$m=19456,t=2,p=1$zzNIx7dK5T3TpXLsDh+2kg$KSv+25soIkDi9B9SWZCaAfLHQqR8tuWCVEy3U5CbYWk')
ON CONFLICT (username) DO NOTHING;

-- Demo ES entities across the region (valid NIP and REGON checksums).
INSERT INTO es_entities (partner, name, legal_form, nip, regon, teryt_gmina, city, employees,
                         disadvantaged_employees, status, offer, public, founded_on)
SELECT * FROM (VALUES
  ('byczyna', 'Spółdzielnia Socjalna „Razem” w Byczynie', 'social_cooperative', '6018159087', '301661310', '1604013', 'Byczyna', 23, 4, 'active', 'Catering i usługi porządkowe dla instytucji.', true, DATE '2012-01-15'),
  ('byczyna', 'Spółdzielnia Socjalna „Zielony Ogród”', 'social_cooperative', '1948219935', '518190933', '1604023', 'Kluczbork', 38, 27, 'active', 'Pielęgnacja terenów zieleni.', true, DATE '2013-02-15'),
  ('byczyna', 'Spółdzielnia Socjalna „Pod Dębem”', 'social_cooperative', '6579754321', '319487570', '1604043', 'Wołczyn', 34, 34, 'candidate', NULL, false, DATE '2014-03-15'),
  ('chorzow', 'Spółdzielnia Socjalna „Opolanka”', 'social_cooperative', '1186252761', '018955593', '1661011', 'Opole', 21, 19, 'active', 'Szycie i naprawa odzieży.', true, DATE '2015-04-15'),
  ('byczyna', 'Spółdzielnia Socjalna „Nowy Start”', 'social_cooperative', '1147104973', '465075294', '1608043', 'Praszka', 34, 29, 'active', 'Remonty i drobne prace budowlane.', true, DATE '2016-05-15'),
  ('chorzow', 'Spółdzielnia Socjalna „Tęcza”', 'social_cooperative', '2768426840', '656321220', '1607063', 'Otmuchów', 10, 7, 'active', 'Opieka nad osobami starszymi.', true, DATE '2017-06-15'),
  ('chorzow', 'Spółdzielnia Socjalna „Smaki Śląska”', 'social_cooperative', '8599528907', '786666173', '1611043', 'Leśnica', 17, 7, 'candidate', 'Garmażerka regionalna.', true, DATE '2018-07-15'),
  ('byczyna', 'Spółdzielnia Socjalna „Pomocna Dłoń”', 'social_cooperative', '3137215904', '109281598', '1606023', 'Namysłów', 28, 1, 'completed', NULL, false, DATE '2019-08-15'),
  ('chorzow', 'Spółdzielnia Socjalna „Kreatywni”', 'social_cooperative', '3962459571', '117777413', '1609052', 'Łubniany', 4, 0, 'active', 'Usługi poligraficzne i reklamowe.', true, DATE '2020-09-15'),
  ('byczyna', 'Spółdzielnia Socjalna „Eko-Serwis”', 'social_cooperative', '5472803855', '280841484', '1602033', 'Głubczyce', 12, 1, 'active', 'Selektywna zbiórka i recykling.', true, DATE '2021-01-15'),
  ('chorzow', 'Spółdzielnia Socjalna „Przystań”', 'social_cooperative', '5388853939', '363387503', '1610043', 'Prudnik', 26, 5, 'withdrawn', NULL, false, DATE '2012-02-15'),
  ('byczyna', 'Spółdzielnia Pracy „Rzemiosło”', 'cooperative', '7439575518', '313735370', '1601011', 'Brzeg', 4, 2, 'active', NULL, false, DATE '2013-03-15'),
  ('chorzow', 'Fundacja Rozwoju Ekonomii Społecznej', 'foundation', '5116372657', '167612222', '1661011', 'Opole', 3, 3, 'active', 'Doradztwo i szkolenia dla PES.', true, DATE '2014-04-15'),
  ('byczyna', 'Fundacja „Szansa”', 'foundation', '9729975285', '820018264', '1605053', 'Zdzieszowice', 4, 1, 'candidate', NULL, false, DATE '2015-05-15'),
  ('chorzow', 'Stowarzyszenie „Aktywni Razem”', 'association', '8620579866', '828288075', '1603042', 'Pawłowiczki', 15, 6, 'active', 'Integracja społeczna i wolontariat.', true, DATE '2016-06-15'),
  ('byczyna', 'Stowarzyszenie Kobiet Wiejskich „Lasowianki”', 'association', '5888718038', '340187802', '1604032', 'Lasowice Wielkie', 14, 9, 'active', 'Produkty lokalne.', true, DATE '2017-07-15'),
  ('byczyna', 'Centrum Integracji Społecznej w Kluczborku', 'cis', '5989834786', '878384839', '1604023', 'Kluczbork', 7, 7, 'active', 'Reintegracja zawodowa i społeczna.', true, DATE '2018-08-15'),
  ('chorzow', 'Klub Integracji Społecznej w Nysie', 'kis', '6167513619', '341252424', '1607053', 'Nysa', 31, 8, 'active', NULL, false, DATE '2019-09-15'),
  ('chorzow', 'Zakład Aktywności Zawodowej w Kędzierzynie-Koźlu', 'zaz', '1672326866', '563551505', '1603011', 'Kędzierzyn-Koźle', 32, 14, 'active', 'Pralnia i introligatornia.', true, DATE '2020-01-15'),
  ('byczyna', 'Warsztat Terapii Zajęciowej w Oleśnie', 'wtz', '7706589488', '113114408', '1608033', 'Olesno', 24, 17, 'active', NULL, false, DATE '2021-02-15'),
  ('chorzow', 'Spółka non-profit „Gospodarna Gmina”', 'nonprofit_company', '5140261401', '141931410', '1609073', 'Niemodlin', 14, 4, 'candidate', NULL, false, DATE '2012-03-15')
) AS v (partner, name, legal_form, nip, regon, teryt_gmina, city, employees, disadvantaged_employees,
        status, offer, public, founded_on)
WHERE NOT EXISTS (SELECT 1 FROM es_entities e WHERE e.name = v.name AND e.deleted_at IS NULL);

-- Demo members of the local partnership.
INSERT INTO partnership_members (partner, name, kind, nip, teryt_gmina, city, joined_on, declaration_signed_on)
SELECT * FROM (VALUES
  ('byczyna', 'Gmina Byczyna', 'local_government', NULL, '1604013', 'Byczyna', DATE '2024-02-01', DATE '2024-02-01'),
  ('byczyna', 'Gmina Kluczbork', 'local_government', NULL, '1604023', 'Kluczbork', DATE '2024-02-12', DATE '2024-02-12'),
  ('chorzow', 'Miasto Opole', 'local_government', NULL, '1661011', 'Opole', DATE '2024-03-05', DATE '2024-03-20'),
  ('byczyna', 'Powiatowy Urząd Pracy w Kluczborku', 'labour_market', NULL, '1604023', 'Kluczbork', DATE '2024-02-20', NULL),
  ('chorzow', 'Miejski Ośrodek Pomocy Rodzinie w Opolu', 'social_assistance', NULL, '1661011', 'Opole', DATE '2024-04-02', DATE '2024-04-02'),
  ('byczyna', 'Piekarnia Kowalski sp.j.', 'business', '7058649208', '1604013', 'Byczyna', DATE '2024-05-10', DATE '2024-05-10'),
  ('chorzow', 'Opolskie Centrum Logistyki sp. z o.o.', 'business', '4834782456', '1661011', 'Opole', DATE '2024-06-01', NULL),
  ('chorzow', 'Stowarzyszenie Rozwoju Wsi Opolskiej', 'ngo', NULL, '1609052', 'Łubniany', DATE '2024-03-15', DATE '2024-03-15')
) AS v (partner, name, kind, nip, teryt_gmina, city, joined_on, declaration_signed_on)
WHERE NOT EXISTS (SELECT 1 FROM partnership_members m WHERE m.name = v.name AND m.deleted_at IS NULL);

-- A believable year of work (2025): about 150 beneficiaries, 300 deliveries
-- of every kind and their attendance. Generated once; a second load skips it.
CREATE FUNCTION pg_temp.demo_pesel(born date, male boolean, serial integer) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  y integer := extract(year FROM born);
  m integer := extract(month FROM born) + CASE WHEN y >= 2000 THEN 20 ELSE 0 END;
  base text := lpad((y % 100)::text, 2, '0') || lpad(m::text, 2, '0') || lpad(extract(day FROM born)::text, 2, '0')
               || lpad((serial % 1000)::text, 3, '0') || CASE WHEN male THEN '1' ELSE '0' END;
  w integer[] := ARRAY[1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
  s integer := 0;
BEGIN
  FOR i IN 1..10 LOOP s := s + w[i] * substr(base, i, 1)::integer; END LOOP;
  RETURN base || ((10 - s % 10) % 10)::text;
END $$;

DO $$
DECLARE
  women text[] := ARRAY['Anna', 'Maria', 'Katarzyna', 'Małgorzata', 'Agnieszka', 'Barbara', 'Ewa', 'Krystyna',
                        'Elżbieta', 'Zofia', 'Joanna', 'Magdalena', 'Monika', 'Beata', 'Dorota'];
  men text[] := ARRAY['Piotr', 'Krzysztof', 'Andrzej', 'Tomasz', 'Paweł', 'Jan', 'Michał', 'Marcin', 'Stanisław',
                      'Józef', 'Grzegorz', 'Adam', 'Łukasz', 'Zbigniew', 'Jerzy'];
  surnames text[] := ARRAY['Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski',
                           'Zieliński', 'Szymański', 'Woźniak', 'Dąbrowski', 'Kozłowski', 'Jankowski', 'Mazur',
                           'Kwiatkowski', 'Krawczyk', 'Piotrowski', 'Grabowski', 'Nowakowski', 'Pawłowski', 'Michalski',
                           'Adamczyk', 'Dudek', 'Zając', 'Wieczorek', 'Jabłoński', 'Król', 'Majewski', 'Olszewski',
                           'Jaworski', 'Malinowski', 'Stępień', 'Górski', 'Rutkowski', 'Sikora', 'Baran'];
  educations text[] := ARRAY['primary', 'lower_secondary', 'upper_secondary', 'upper_secondary', 'post_secondary',
                             'tertiary', 'upper_secondary'];
  statuses text[] := ARRAY['employed', 'unemployed', 'long_term_unemployed', 'inactive', 'employed', 'unemployed',
                           'self_employed'];
  gminas text[];
  entities uuid[];
  services_by_kind record;
  born date;
  male boolean;
  surname text;
  k integer;
BEGIN
  IF (SELECT count(*) FROM beneficiaries) >= 150 THEN RETURN; END IF;
  PERFORM setseed(0.2025);
  SELECT array_agg(teryt ORDER BY teryt) INTO gminas FROM gminas;
  SELECT array_agg(id ORDER BY name) INTO entities FROM es_entities WHERE deleted_at IS NULL;
  FOR i IN 1..150 LOOP
    male := random() < 0.45;
    born := DATE '1962-01-01' + (random() * 14600)::integer;
    surname := surnames[1 + (random() * (array_length(surnames, 1) - 1))::integer];
    IF NOT male AND surname LIKE '%ski' THEN surname := left(surname, -1) || 'a'; END IF;
    INSERT INTO beneficiaries (partner, first_name, last_name, pesel, birth_date, gender, education, labour_status,
                               teryt_gmina, postal_code, email, phone, es_entity_id, consent_on, support_start, support_end)
    VALUES (CASE WHEN i % 5 < 3 THEN 'byczyna' ELSE 'chorzow' END,
            CASE WHEN male THEN men[1 + (random() * 14)::integer] ELSE women[1 + (random() * 14)::integer] END,
            surname, pg_temp.demo_pesel(born, male, i * 7), born, CASE WHEN male THEN 'male' ELSE 'female' END,
            educations[1 + (random() * 6)::integer], statuses[1 + (random() * 6)::integer],
            gminas[1 + (random() * (array_length(gminas, 1) - 1))::integer],
            '4' || (6 + (random() * 3)::integer) || '-' || lpad((random() * 999)::integer::text, 3, '0'),
            CASE WHEN random() < 0.6 THEN 'uczestnik' || i || '@example.org' END,
            CASE WHEN random() < 0.7 THEN '+48 77 ' || lpad((random() * 9999999)::integer::text, 7, '0') END,
            CASE WHEN random() < 0.7 THEN entities[1 + (random() * (array_length(entities, 1) - 1))::integer] END,
            DATE '2025-01-02' + (random() * 180)::integer,
            DATE '2025-01-15' + (random() * 180)::integer,
            CASE WHEN random() < 0.4 THEN DATE '2025-09-01' + (random() * 110)::integer END);
  END LOOP;

  -- 300 deliveries through the year, weighted towards advisory work
  FOR i IN 1..300 LOOP
    k := 1 + (random() * 9)::integer;
    INSERT INTO deliveries (partner, service_id, es_entity_id, started_at, hours, topic, location, advisor, guests)
    SELECT CASE WHEN i % 5 < 3 THEN 'byczyna' ELSE 'chorzow' END, s.id,
           CASE WHEN s.kind IN ('training', 'seminar') THEN NULL
                ELSE entities[1 + (random() * (array_length(entities, 1) - 1))::integer] END,
           TIMESTAMPTZ '2025-01-07 08:00:00+01' + (random() * 350)::integer * interval '1 day'
             + (random() * 8)::integer * interval '1 hour',
           CASE WHEN s.kind = 'seminar' THEN 4 WHEN s.kind = 'training' THEN 6 ELSE 1 + (random() * 6)::integer * 0.5 END,
           CASE s.kind WHEN 'advisory' THEN 'Doradztwo: plan rozwoju i model biznesowy'
                       WHEN 'legal' THEN 'Porada prawna: umowy i statut'
                       WHEN 'financial' THEN 'Finanse: budżet, dotacje i rozliczenia'
                       WHEN 'marketing' THEN 'Marketing: strona internetowa i oferta'
                       WHEN 'information' THEN 'Informacja o możliwościach wsparcia'
                       WHEN 'training' THEN 'Szkolenie: zarządzanie spółdzielnią socjalną'
                       ELSE 'Seminarium: ekonomia społeczna w gminie' END,
           CASE WHEN i % 5 < 3 THEN 'Byczyna, ul. Rynek 1' ELSE 'Opole, ul. Ozimska 4' END,
           CASE WHEN i % 2 = 0 THEN 'Ewa Doradczyni' ELSE 'Marek Doradca' END,
           CASE WHEN s.kind = 'seminar' THEN (5 + random() * 20)::integer ELSE 0 END
      FROM services s
     WHERE s.code = (ARRAY['doradztwo-biznesowe', 'doradztwo-biznesowe', 'doradztwo-prawne', 'doradztwo-finansowe',
                           'doradztwo-marketingowe', 'informacja', 'szkolenia', 'szkolenia', 'seminaria',
                           'doradztwo-biznesowe'])[k];
  END LOOP;

  -- attendance: a few people at advice, a group at trainings, a room at seminars
  INSERT INTO participants (delivery_id, beneficiary_id, partner, attended)
  SELECT d.id, b.id, d.partner, random() < 0.9
    FROM deliveries d JOIN services s ON s.id = d.service_id
   CROSS JOIN LATERAL (SELECT id FROM beneficiaries
                        WHERE NOT erased AND deleted_at IS NULL
                        ORDER BY md5(id::text || d.id::text)
                        LIMIT CASE s.kind WHEN 'seminar' THEN 18 WHEN 'training' THEN 10 ELSE 2 END) b
  ON CONFLICT DO NOTHING;
END $$;
