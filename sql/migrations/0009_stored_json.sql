-- Stored representations: each engine table keeps its records' JSON, as the
-- API answers it, in api_json, written by a trigger that `ips-api migrate`
-- generates from the service's resource descriptors (api_json_forms holds
-- the function each table has, so that `serve` can tell whether it is its
-- own). Reads send the stored text instead of building it a row at a time.

ALTER TABLE es_entities ADD COLUMN api_json text;
ALTER TABLE beneficiaries ADD COLUMN api_json text;
ALTER TABLE deliveries ADD COLUMN api_json text;
ALTER TABLE partnership_members ADD COLUMN api_json text;
ALTER TABLE services ADD COLUMN api_json text;
ALTER TABLE users ADD COLUMN api_json text;

CREATE TABLE api_json_forms (
  table_name text PRIMARY KEY,
  definition text NOT NULL,
  installed_at timestamptz NOT NULL DEFAULT now()
);

-- The audit entry names the columns a change touched: the stored JSON is
-- bookkeeping, like the version and the timestamps.
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
       AND key NOT IN ('id', 'version', 'created_at', 'updated_at', 'deleted_at', 'api_json');
  ELSE
    action := CASE WHEN old_doc->>'deleted_at' IS NULL AND new_doc->>'deleted_at' IS NOT NULL
                   THEN 'delete' ELSE 'update' END;
    SELECT coalesce(array_agg(key ORDER BY key), '{}') INTO changed
      FROM jsonb_each(new_doc)
     WHERE value IS DISTINCT FROM old_doc->key
       AND key NOT IN ('id', 'version', 'created_at', 'updated_at', 'deleted_at', 'api_json');
  END IF;
  INSERT INTO audit_log (actor, partner, role, action, resource, resource_id, request_id, fields)
  VALUES (ips_setting('ips.actor'), ips_setting('ips.partner'), ips_setting('ips.role'),
          coalesce(ips_setting('ips.action'), action), TG_ARGV[0],
          coalesce(new_doc->>TG_ARGV[1], old_doc->>TG_ARGV[1]),
          ips_setting('ips.request_id'), changed);
  RETURN NULL;
END $$;
