-- Kamailio's number and address translation tables (book chapter 8), as kamdbctl creates them for
-- PostgreSQL: dialplan (version 2), pdt (version 1), dbaliases (alias_db, version 1) and
-- speed_dial (speeddial, version 2). dialplan columns have no defaults: inserts name every column.
CREATE TABLE IF NOT EXISTS dialplan (
    id SERIAL PRIMARY KEY NOT NULL,
    dpid INTEGER NOT NULL,
    pr INTEGER NOT NULL,
    match_op INTEGER NOT NULL,
    match_exp VARCHAR(64) NOT NULL,
    match_len INTEGER NOT NULL,
    subst_exp VARCHAR(64) NOT NULL,
    repl_exp VARCHAR(256) NOT NULL,
    attrs VARCHAR(64) NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('dialplan', 2) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS pdt (
    id SERIAL PRIMARY KEY NOT NULL,
    sdomain VARCHAR(255) NOT NULL,
    prefix VARCHAR(32) NOT NULL,
    domain VARCHAR(255) DEFAULT '' NOT NULL,
    CONSTRAINT pdt_sdomain_prefix_idx UNIQUE (sdomain, prefix)
);
INSERT INTO version (table_name, table_version) VALUES ('pdt', 1) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS dbaliases (
    id SERIAL PRIMARY KEY NOT NULL,
    alias_username VARCHAR(64) DEFAULT '' NOT NULL,
    alias_domain VARCHAR(64) DEFAULT '' NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL
);
CREATE INDEX IF NOT EXISTS dbaliases_alias_user_idx ON dbaliases (alias_username);
CREATE INDEX IF NOT EXISTS dbaliases_alias_idx ON dbaliases (alias_username, alias_domain);
CREATE INDEX IF NOT EXISTS dbaliases_target_idx ON dbaliases (username, domain);
INSERT INTO version (table_name, table_version) VALUES ('dbaliases', 1) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS speed_dial (
    id SERIAL PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    sd_username VARCHAR(64) DEFAULT '' NOT NULL,
    sd_domain VARCHAR(64) DEFAULT '' NOT NULL,
    new_uri VARCHAR(255) DEFAULT '' NOT NULL,
    fname VARCHAR(64) DEFAULT '' NOT NULL,
    lname VARCHAR(64) DEFAULT '' NOT NULL,
    description VARCHAR(64) DEFAULT '' NOT NULL,
    CONSTRAINT speed_dial_speed_dial_idx UNIQUE (username, domain, sd_domain, sd_username)
);
INSERT INTO version (table_name, table_version) VALUES ('speed_dial', 2) ON CONFLICT (table_name) DO NOTHING;
