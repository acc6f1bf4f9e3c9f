-- Kamailio's prefix routing tables as kamdbctl creates them for PostgreSQL: lcr (lcr_gw version 3,
-- lcr_rule_target version 1, lcr_rule version 3 with mt_tvalue), mtree (mtree version 1, one tree
-- per table; mtrees version 2, many trees told apart by tname) and prefix_route. kamdbctl has no
-- script for prefix_route: its columns are the module's own prefix_route.sql, and Kamailio keeps no
-- version row for it, so none is added here.
CREATE TABLE IF NOT EXISTS lcr_gw (
    id SERIAL PRIMARY KEY NOT NULL,
    lcr_id SMALLINT NOT NULL,
    gw_name VARCHAR(128),
    ip_addr VARCHAR(50),
    hostname VARCHAR(64),
    port SMALLINT,
    params VARCHAR(64),
    uri_scheme SMALLINT,
    transport SMALLINT,
    strip SMALLINT,
    prefix VARCHAR(16) DEFAULT NULL,
    tag VARCHAR(64) DEFAULT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    defunct INTEGER DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS lcr_gw_lcr_id_idx ON lcr_gw (lcr_id);
INSERT INTO version (table_name, table_version) VALUES ('lcr_gw', 3) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS lcr_rule_target (
    id SERIAL PRIMARY KEY NOT NULL,
    lcr_id SMALLINT NOT NULL,
    rule_id INTEGER NOT NULL,
    gw_id INTEGER NOT NULL,
    priority SMALLINT NOT NULL,
    weight INTEGER DEFAULT 1 NOT NULL,
    CONSTRAINT lcr_rule_target_rule_id_gw_id_idx UNIQUE (rule_id, gw_id)
);
CREATE INDEX IF NOT EXISTS lcr_rule_target_lcr_id_idx ON lcr_rule_target (lcr_id);
INSERT INTO version (table_name, table_version) VALUES ('lcr_rule_target', 1) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS lcr_rule (
    id SERIAL PRIMARY KEY NOT NULL,
    lcr_id SMALLINT NOT NULL,
    prefix VARCHAR(16) DEFAULT NULL,
    from_uri VARCHAR(64) DEFAULT NULL,
    request_uri VARCHAR(64) DEFAULT NULL,
    mt_tvalue VARCHAR(128) DEFAULT NULL,
    stopper INTEGER DEFAULT 0 NOT NULL,
    enabled INTEGER DEFAULT 1 NOT NULL,
    CONSTRAINT lcr_rule_lcr_id_prefix_from_uri_idx UNIQUE (lcr_id, prefix, from_uri)
);
INSERT INTO version (table_name, table_version) VALUES ('lcr_rule', 3) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS mtree (
    id SERIAL PRIMARY KEY NOT NULL,
    tprefix VARCHAR(32) DEFAULT '' NOT NULL,
    tvalue VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT mtree_tprefix_idx UNIQUE (tprefix)
);
INSERT INTO version (table_name, table_version) VALUES ('mtree', 1) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS mtrees (
    id SERIAL PRIMARY KEY NOT NULL,
    tname VARCHAR(128) DEFAULT '' NOT NULL,
    tprefix VARCHAR(32) DEFAULT '' NOT NULL,
    tvalue VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT mtrees_tname_tprefix_tvalue_idx UNIQUE (tname, tprefix, tvalue)
);
INSERT INTO version (table_name, table_version) VALUES ('mtrees', 2) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS prefix_route (
    prefix VARCHAR(64) NOT NULL DEFAULT '',
    route VARCHAR(64) NOT NULL DEFAULT '',
    comment VARCHAR(64) NOT NULL DEFAULT ''
);
