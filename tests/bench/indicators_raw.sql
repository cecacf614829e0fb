-- The indicators straight from the raw rows (the query the report ran before
-- the summary of migration 0008): the reference the benchmark compares the
-- API's answer with. psql variables: from, to (dates), partner ('' for all).
WITH d AS MATERIALIZED (
  SELECT d.id, d.hours, coalesce(d.guests, 0) AS guests, s.kind, e.id AS entity_id, e.legal_form
    FROM deliveries d JOIN services s ON s.id = d.service_id
    LEFT JOIN es_entities e ON e.id = d.es_entity_id AND e.deleted_at IS NULL
   WHERE d.deleted_at IS NULL
     AND (NULLIF(:'from', '')::text IS NULL OR d.started_at >= ips_period_start(NULLIF(:'from', '')::text))
     AND (NULLIF(:'to', '')::text IS NULL OR d.started_at < ips_period_end(NULLIF(:'to', '')::text))
     AND (NULLIF(:'partner', '')::text IS NULL OR d.partner = NULLIF(:'partner', '')::text)),
 att AS MATERIALIZED (
  SELECT d.kind, p.beneficiary_id, b.gender, b.education, b.labour_status, b.partner, b.teryt_gmina
    FROM participants p JOIN d ON d.id = p.delivery_id
    JOIN beneficiaries b ON b.id = p.beneficiary_id AND b.deleted_at IS NULL
   WHERE p.deleted_at IS NULL AND p.attended),
 ben AS MATERIALIZED (
  SELECT min(a.gender) AS gender, min(a.education) AS education, min(a.labour_status) AS labour_status,
         min(a.partner) AS partner, min(g.powiat) AS powiat, bool_or(g.high_poverty) AS high_poverty
    FROM att a JOIN gminas g ON g.teryt = a.teryt_gmina GROUP BY a.beneficiary_id),
 bs AS (SELECT count(*) AS total,
   count(*) FILTER (WHERE gender = 'female') AS female, count(*) FILTER (WHERE gender = 'male') AS male,
   count(*) FILTER (WHERE education = 'none') AS e_none, count(*) FILTER (WHERE education = 'primary') AS e_primary,
   count(*) FILTER (WHERE education = 'lower_secondary') AS e_lower,
   count(*) FILTER (WHERE education = 'upper_secondary') AS e_upper,
   count(*) FILTER (WHERE education = 'post_secondary') AS e_post, count(*) FILTER (WHERE education = 'tertiary') AS e_tertiary,
   count(*) FILTER (WHERE education IS NULL) AS e_unknown,
   count(*) FILTER (WHERE labour_status = 'employed') AS l_employed,
   count(*) FILTER (WHERE labour_status = 'unemployed') AS l_unemployed,
   count(*) FILTER (WHERE labour_status = 'long_term_unemployed') AS l_long,
   count(*) FILTER (WHERE labour_status = 'inactive') AS l_inactive,
   count(*) FILTER (WHERE labour_status = 'self_employed') AS l_self,
   count(*) FILTER (WHERE labour_status IS NULL) AS l_unknown,
   count(*) FILTER (WHERE high_poverty) AS high_poverty FROM ben),
 by_powiat AS (SELECT powiat, count(*) AS n FROM ben GROUP BY powiat),
 by_partner AS (SELECT partner, count(*) AS n FROM ben GROUP BY partner),
 kd AS (SELECT kind, count(*) AS deliveries, sum(hours) AS hours, count(DISTINCT entity_id) AS entities
          FROM d GROUP BY kind),
 kp AS (SELECT kind, count(DISTINCT beneficiary_id) AS participants FROM att GROUP BY kind),
 ents AS (SELECT count(DISTINCT entity_id) AS supported,
          count(DISTINCT entity_id) FILTER (WHERE legal_form = 'social_cooperative') AS coops FROM d),
 kinds AS (SELECT unnest(ARRAY['advisory', 'legal', 'financial', 'marketing', 'information',
           'training', 'seminar']) AS kind)
 SELECT json_build_object(
  'period', json_build_object('from', NULLIF(:'from', '')::text, 'to', NULLIF(:'to', '')::text, 'partner', NULLIF(:'partner', '')::text),
  'es_entities', (SELECT json_build_object('supported', ents.supported, 'social_cooperatives', ents.coops,
      'target', t.es_entities_supported, 'share_of_target', CASE WHEN t.es_entities_supported > 0
      THEN round(ents.supported::numeric / t.es_entities_supported, 4) END) FROM ents, report_targets t),
  'by_service_kind', (SELECT json_object_agg(k.kind, json_build_object('deliveries', coalesce(kd.deliveries, 0),
      'hours', coalesce(kd.hours, 0), 'entities', coalesce(kd.entities, 0),
      'participants', coalesce(kp.participants, 0)) ORDER BY k.kind)
      FROM kinds k LEFT JOIN kd ON kd.kind = k.kind LEFT JOIN kp ON kp.kind = k.kind),
  'beneficiaries', (SELECT json_build_object('total', total,
    'by_gender', json_build_object('female', female, 'male', male),
    'by_education', json_build_object('none', e_none, 'primary', e_primary, 'lower_secondary', e_lower,
       'upper_secondary', e_upper, 'post_secondary', e_post, 'tertiary', e_tertiary, 'unknown', e_unknown),
    'by_labour_status', json_build_object('employed', l_employed, 'unemployed', l_unemployed,
       'long_term_unemployed', l_long, 'inactive', l_inactive, 'self_employed', l_self, 'unknown', l_unknown),
    'by_partner', (SELECT json_object_agg(pp.code, coalesce(bp.n, 0) ORDER BY pp.code)
       FROM project_partners pp LEFT JOIN by_partner bp ON bp.partner = pp.code),
    'by_powiat', (SELECT json_object_agg(pw.teryt, coalesce(bw.n, 0) ORDER BY pw.teryt)
       FROM powiats pw LEFT JOIN by_powiat bw ON bw.powiat = pw.teryt),
    'high_poverty_gminas', high_poverty) FROM bs),
  'seminars', (SELECT json_build_object('count', count(*), 'guests', coalesce(sum(guests), 0),
    'beneficiary_attendees', (SELECT count(*) FROM att WHERE kind = 'seminar'))
    FROM d WHERE kind = 'seminar'))::text;
