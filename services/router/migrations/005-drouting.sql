-- Kamailio's drouting tables as kamdbctl creates them for PostgreSQL: dr_gateways version 3,
-- dr_rules version 3, dr_gw_lists version 1, dr_groups version 2. dr_rules.groupid is a list of
-- group ids ("0,1"); dr_rules.gwlist is a list of gateway ids (",", "|", ";" between groups) or
-- "#<id>" naming a dr_gw_lists row; dr_rules.timerec is Kamailio's time recurrence ('' always).
CREATE TABLE IF NOT EXISTS dr_gateways (
    gwid SERIAL PRIMARY KEY NOT NULL,
    type INTEGER DEFAULT 0 NOT NULL,
    address VARCHAR(128) NOT NULL,
    strip INTEGER DEFAULT 0 NOT NULL,
    pri_prefix VARCHAR(64) DEFAULT NULL,
    attrs VARCHAR(255) DEFAULT NULL,
    description VARCHAR(128) DEFAULT '' NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('dr_gateways', 3) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS dr_rules (
    ruleid SERIAL PRIMARY KEY NOT NULL,
    groupid VARCHAR(255) NOT NULL,
    prefix VARCHAR(64) NOT NULL,
    timerec VARCHAR(255) NOT NULL,
    priority INTEGER DEFAULT 0 NOT NULL,
    routeid VARCHAR(64) NOT NULL,
    gwlist VARCHAR(255) NOT NULL,
    description VARCHAR(128) DEFAULT '' NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('dr_rules', 3) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS dr_gw_lists (
    id SERIAL PRIMARY KEY NOT NULL,
    gwlist VARCHAR(255) NOT NULL,
    description VARCHAR(128) DEFAULT '' NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('dr_gw_lists', 1) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS dr_groups (
    id SERIAL PRIMARY KEY NOT NULL,
    username VARCHAR(64) NOT NULL,
    domain VARCHAR(128) DEFAULT '' NOT NULL,
    groupid INTEGER DEFAULT 0 NOT NULL,
    description VARCHAR(128) DEFAULT '' NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('dr_groups', 2) ON CONFLICT (table_name) DO NOTHING;
