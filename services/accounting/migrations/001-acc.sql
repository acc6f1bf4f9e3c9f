-- Kamailio's acc and missed_calls tables (acc module, version 5 / 4) with the extra columns of the
-- default kamailio.cfg (src_user, src_domain, src_ip, dst_ouser, dst_user, dst_domain), and
-- sipmesh's event_id: the id of the transaction event a row came from, unique per table, so a
-- redelivered event never makes a second row. A table made by kamdbctl gets the missing columns.
CREATE TABLE IF NOT EXISTS acc (
  id SERIAL PRIMARY KEY NOT NULL,
  method VARCHAR(16) DEFAULT '' NOT NULL,
  from_tag VARCHAR(128) DEFAULT '' NOT NULL,
  to_tag VARCHAR(128) DEFAULT '' NOT NULL,
  callid VARCHAR(255) DEFAULT '' NOT NULL,
  sip_code VARCHAR(3) DEFAULT '' NOT NULL,
  sip_reason VARCHAR(128) DEFAULT '' NOT NULL,
  time TIMESTAMP WITHOUT TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS acc_callid_idx ON acc (callid);
CREATE TABLE IF NOT EXISTS missed_calls (
  id SERIAL PRIMARY KEY NOT NULL,
  method VARCHAR(16) DEFAULT '' NOT NULL,
  from_tag VARCHAR(128) DEFAULT '' NOT NULL,
  to_tag VARCHAR(128) DEFAULT '' NOT NULL,
  callid VARCHAR(255) DEFAULT '' NOT NULL,
  sip_code VARCHAR(3) DEFAULT '' NOT NULL,
  sip_reason VARCHAR(128) DEFAULT '' NOT NULL,
  time TIMESTAMP WITHOUT TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS missed_calls_callid_idx ON missed_calls (callid);
ALTER TABLE acc ADD COLUMN IF NOT EXISTS src_user VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE acc ADD COLUMN IF NOT EXISTS src_domain VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE acc ADD COLUMN IF NOT EXISTS src_ip VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE acc ADD COLUMN IF NOT EXISTS dst_ouser VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE acc ADD COLUMN IF NOT EXISTS dst_user VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE acc ADD COLUMN IF NOT EXISTS dst_domain VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE acc ADD COLUMN IF NOT EXISTS event_id VARCHAR(128);
CREATE UNIQUE INDEX IF NOT EXISTS acc_event_id_idx ON acc (event_id);
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS src_user VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS src_domain VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS src_ip VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS dst_ouser VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS dst_user VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS dst_domain VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE missed_calls ADD COLUMN IF NOT EXISTS event_id VARCHAR(128);
CREATE UNIQUE INDEX IF NOT EXISTS missed_calls_event_id_idx ON missed_calls (event_id);
CREATE TABLE IF NOT EXISTS version (
    id SERIAL PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
INSERT INTO version (table_name, table_version) VALUES ('acc', 5), ('missed_calls', 4) ON CONFLICT (table_name) DO NOTHING;
