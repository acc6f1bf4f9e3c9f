-- One row per call (dialog), made and completed from the edge's dialog events: the started,
-- answered and ended events of a call are merged into its row by dialog_id in whatever order they
-- arrive, and applying one twice changes nothing. Times are UTC with milliseconds; duration is
-- answer to end in seconds (0 for a call never answered).
CREATE TABLE IF NOT EXISTS cdrs (
  id BIGSERIAL PRIMARY KEY,
  dialog_id VARCHAR(20) NOT NULL,
  callid VARCHAR(255) NOT NULL DEFAULT '',
  from_tag VARCHAR(128) NOT NULL DEFAULT '',
  to_tag VARCHAR(128) NOT NULL DEFAULT '',
  caller VARCHAR(255) NOT NULL DEFAULT '',
  caller_user VARCHAR(64) NOT NULL DEFAULT '',
  caller_domain VARCHAR(128) NOT NULL DEFAULT '',
  callee VARCHAR(255) NOT NULL DEFAULT '',
  callee_user VARCHAR(64) NOT NULL DEFAULT '',
  callee_domain VARCHAR(128) NOT NULL DEFAULT '',
  src_ip VARCHAR(64) NOT NULL DEFAULT '',
  answered_ruri VARCHAR(255) NOT NULL DEFAULT '',
  dst_uri VARCHAR(255) NOT NULL DEFAULT '',
  start_time TIMESTAMPTZ,
  answer_time TIMESTAMPTZ,
  end_time TIMESTAMPTZ,
  duration DOUBLE PRECISION,
  disposition VARCHAR(16),
  hangup VARCHAR(16),
  sip_code SMALLINT,
  sip_reason VARCHAR(128) NOT NULL DEFAULT '',
  bye_code SMALLINT,
  edge VARCHAR(64) NOT NULL DEFAULT '',
  policy VARCHAR(64) NOT NULL DEFAULT '',
  trace_id VARCHAR(32) NOT NULL DEFAULT '',
  extra JSONB NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT cdrs_dialog_id_key UNIQUE (dialog_id)
);
CREATE INDEX IF NOT EXISTS cdrs_start_time_idx ON cdrs (start_time);
CREATE INDEX IF NOT EXISTS cdrs_caller_idx ON cdrs (caller_user, start_time);
CREATE INDEX IF NOT EXISTS cdrs_callee_idx ON cdrs (callee_user, start_time);
CREATE INDEX IF NOT EXISTS cdrs_open_idx ON cdrs (edge) WHERE end_time IS NULL;
