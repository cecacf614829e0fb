-- The project's goals, against which the indicators are reported. One row;
-- an admin sets the targets the funding agreement fixes (NULL: not set).
CREATE TABLE report_targets (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  es_entities_supported integer CHECK (es_entities_supported >= 0),
  advisory_hours numeric(8, 2) CHECK (advisory_hours >= 0),
  training_participants integer CHECK (training_participants >= 0),
  seminars integer CHECK (seminars >= 0),
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO report_targets (es_entities_supported) VALUES (50);

CREATE TRIGGER audit AFTER INSERT OR UPDATE ON report_targets
  FOR EACH ROW EXECUTE FUNCTION audit_row_change('reports/targets', 'only_row');

-- Reports read deliveries by their start within a period.
CREATE INDEX participants_delivery ON participants (delivery_id) WHERE deleted_at IS NULL AND attended;
