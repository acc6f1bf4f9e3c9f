-- Kamailio permissions address table (version 6) and the book's destination block list (chapter
-- 10.2.2: an mtree-shaped table named pblock).
CREATE TABLE IF NOT EXISTS address (
    id SERIAL PRIMARY KEY NOT NULL,
    grp INTEGER DEFAULT 1 NOT NULL,
    ip_addr VARCHAR(50) NOT NULL,
    mask INTEGER DEFAULT 32 NOT NULL,
    port SMALLINT DEFAULT 0 NOT NULL,
    tag VARCHAR(64)
);
INSERT INTO version (table_name, table_version) VALUES ('address', 6) ON CONFLICT (table_name) DO NOTHING;

CREATE TABLE IF NOT EXISTS pblock (
    id SERIAL PRIMARY KEY NOT NULL,
    tprefix VARCHAR(32) DEFAULT '' NOT NULL,
    tvalue VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT pblock_tprefix_idx UNIQUE (tprefix)
);
