/// The configuration store's schema, as versioned migrations. Each runs in its own
/// transaction and is recorded in `smokeflow_migrations`; applied migrations never change
/// (add a new one instead). Documented in docs/schema.md ("PostgreSQL").
enum Schema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "targets, categories, probes, system_metadata", script: """
            CREATE TABLE categories (
                id serial PRIMARY KEY,
                name text NOT NULL UNIQUE CHECK (name <> ''),
                display_name text NOT NULL DEFAULT '',
                description text NOT NULL DEFAULT '',
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE probes (
                id serial PRIMARY KEY,
                name text NOT NULL UNIQUE CHECK (name <> ''),
                binary_path text,
                step_seconds integer NOT NULL DEFAULT 300 CHECK (step_seconds > 0),
                pings integer NOT NULL DEFAULT 20 CHECK (pings BETWEEN 1 AND 1000),
                forks integer NOT NULL DEFAULT 5 CHECK (forks > 0),
                is_default boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            -- At most one default probe.
            CREATE UNIQUE INDEX probes_single_default ON probes (is_default) WHERE is_default;
            CREATE TABLE targets (
                id serial PRIMARY KEY,
                name text NOT NULL UNIQUE CHECK (name <> ''),
                host text NOT NULL CHECK (host <> ''),
                title text NOT NULL DEFAULT '',
                is_active boolean NOT NULL DEFAULT true,
                category_id integer REFERENCES categories (id) ON DELETE RESTRICT,
                probe_id integer REFERENCES probes (id) ON DELETE RESTRICT,
                site text,
                cachegroup text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            -- The join matches by name (unique index above) or by host; the admin filters by these.
            CREATE INDEX targets_host ON targets (host);
            CREATE INDEX targets_category_id ON targets (category_id);
            CREATE INDEX targets_probe_id ON targets (probe_id);
            CREATE INDEX targets_site ON targets (site);
            CREATE INDEX targets_cachegroup ON targets (cachegroup);
            CREATE INDEX targets_active ON targets (is_active);
            CREATE TABLE system_metadata (
                key text PRIMARY KEY,
                value text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );

            CREATE FUNCTION smokeflow_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.updated_at := now();
                RETURN NEW;
            END $$;
            CREATE TRIGGER targets_updated_at BEFORE UPDATE ON targets
                FOR EACH ROW EXECUTE FUNCTION smokeflow_touch_updated_at();
            CREATE TRIGGER system_metadata_updated_at BEFORE UPDATE ON system_metadata
                FOR EACH ROW EXECUTE FUNCTION smokeflow_touch_updated_at();

            -- One notification per statement (a bulk import is one refresh, not thousands).
            CREATE FUNCTION smokeflow_notify_metadata() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('smokeflow_metadata', TG_TABLE_NAME);
                RETURN NULL;
            END $$;
            CREATE TRIGGER targets_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON targets
                FOR EACH STATEMENT EXECUTE FUNCTION smokeflow_notify_metadata();
            CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
                FOR EACH STATEMENT EXECUTE FUNCTION smokeflow_notify_metadata();
            CREATE TRIGGER probes_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON probes
                FOR EACH STATEMENT EXECUTE FUNCTION smokeflow_notify_metadata();
            """),
        Migration(version: 2, name: "default probes and categories", script: """
            INSERT INTO probes (name, binary_path, step_seconds, pings, forks, is_default) VALUES
                ('FPing', '/usr/bin/fping', 300, 20, 5, true),
                ('FPing6', '/usr/bin/fping', 300, 20, 5, false),
                ('DNS', '/usr/bin/dig', 300, 5, 5, false)
                ON CONFLICT (name) DO NOTHING;
            INSERT INTO categories (name, display_name, description) VALUES
                ('default', 'Default', 'Targets without a category of their own'),
                ('dns', 'DNS resolvers', 'Resolvers timed by the DNS probe')
                ON CONFLICT (name) DO NOTHING;
            """),
        Migration(version: 3, name: "checkpoints", script: """
            CREATE TABLE smokeflow_checkpoints (
                name text PRIMARY KEY,
                document bytea NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            """),
        // Agents sharing one database keep their own positions. Rows from before are kept under
        // the agent '' and read by an agent that has none of its own yet.
        Migration(version: 4, name: "checkpoints per agent", script: """
            ALTER TABLE smokeflow_checkpoints ADD COLUMN agent text NOT NULL DEFAULT '';
            ALTER TABLE smokeflow_checkpoints DROP CONSTRAINT smokeflow_checkpoints_pkey;
            ALTER TABLE smokeflow_checkpoints ADD PRIMARY KEY (agent, name);
            """),
        // A DNS target's query name, per target (SmokePing's `lookup`), as the API and the
        // generated Targets file need it.
        Migration(version: 5, name: "target lookup", script: """
            ALTER TABLE targets ADD COLUMN lookup text CHECK (lookup <> '');
            """),
        // A probe instance's SmokePing module (`FPingSlow` runs `FPing`); NULL when the name is
        // the module. What the generated Probes file and `targets import` of a SmokePing config need.
        Migration(version: 6, name: "probe module", script: """
            ALTER TABLE probes ADD COLUMN module text CHECK (module <> '');
            """),
        // A DNS target's record type (the probe's `record`, SmokePing's `recordtype`); NULL
        // asks the probe's default (A).
        Migration(version: 7, name: "target record type", script: """
            ALTER TABLE targets ADD COLUMN record text
                CHECK (record IN ('A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'ANY'));
            """),
        // The alert rules a target is checked with, `a,b` (SmokePing's `alerts`, as
        // `TargetValidation.normalizedAlerts` writes it); NULL for none.
        Migration(version: 8, name: "target alerts", script: """
            ALTER TABLE targets ADD COLUMN alerts text
                CHECK (alerts <> '' AND alerts !~ '[[:space:]]' AND alerts !~ '(^,|,,|,$)');
            """),
    ]
}
