-- Kamailio's carrierroute tables (book §8.8) as kamdbctl creates them for PostgreSQL: carrierroute
-- (version 3), carrierfailureroute (version 2), carrier_name and domain_name (version 1). The book
-- spells the table "carrieroute" in places; the module reads carrierroute.
CREATE TABLE IF NOT EXISTS carrierroute (
    id SERIAL PRIMARY KEY NOT NULL,
    carrier INTEGER DEFAULT 0 NOT NULL,
    domain INTEGER DEFAULT 0 NOT NULL,
    scan_prefix VARCHAR(64) DEFAULT '' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    mask INTEGER DEFAULT 0 NOT NULL,
    prob REAL DEFAULT 0 NOT NULL,
    strip INTEGER DEFAULT 0 NOT NULL,
    rewrite_host VARCHAR(255) DEFAULT '' NOT NULL,
    rewrite_prefix VARCHAR(64) DEFAULT '' NOT NULL,
    rewrite_suffix VARCHAR(64) DEFAULT '' NOT NULL,
    description VARCHAR(255) DEFAULT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('carrierroute', 3) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS carrierfailureroute (
    id SERIAL PRIMARY KEY NOT NULL,
    carrier INTEGER DEFAULT 0 NOT NULL,
    domain INTEGER DEFAULT 0 NOT NULL,
    scan_prefix VARCHAR(64) DEFAULT '' NOT NULL,
    host_name VARCHAR(255) DEFAULT '' NOT NULL,
    reply_code VARCHAR(3) DEFAULT '' NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    mask INTEGER DEFAULT 0 NOT NULL,
    next_domain INTEGER DEFAULT 0 NOT NULL,
    description VARCHAR(255) DEFAULT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('carrierfailureroute', 2) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS carrier_name (
    id SERIAL PRIMARY KEY NOT NULL,
    carrier VARCHAR(64) DEFAULT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('carrier_name', 1) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS domain_name (
    id SERIAL PRIMARY KEY NOT NULL,
    domain VARCHAR(64) DEFAULT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('domain_name', 1) ON CONFLICT (table_name) DO NOTHING;
