--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: cimi_resource_counts_deleted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cimi_resource_counts_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH c AS (
        INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
        SELECT tenant_id, kind, -count(*) FROM deleted GROUP BY tenant_id, kind ORDER BY tenant_id, kind
        ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n, version = c.version + 1
        RETURNING tenant_id, kind, version),
    logged AS (
        INSERT INTO cimi_resource_membership (tenant_id, kind, version, created, id, delta)
        SELECT d.tenant_id, d.kind, c.version, d.created, d.id, -1 FROM deleted d JOIN c USING (tenant_id, kind))
    DELETE FROM cimi_resource_membership m USING c
    WHERE c.version % 100 = 0 AND m.tenant_id = c.tenant_id AND m.kind = c.kind AND m.version <= c.version - 1000;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT tenant_id, kind, doc_state, doc_cpu, doc_memory, -count(*) FROM deleted
    GROUP BY tenant_id, kind, doc_state, doc_cpu, doc_memory ORDER BY tenant_id, kind, doc_state, doc_cpu, doc_memory
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;


--
-- Name: cimi_resource_counts_inserted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cimi_resource_counts_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- The membership log is pruned every 100 versions to the last 1,000 (ResourceReadModel.MembershipWindow).
    WITH c AS (
        INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
        SELECT tenant_id, kind, count(*) FROM inserted GROUP BY tenant_id, kind ORDER BY tenant_id, kind
        ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n, version = c.version + 1
        RETURNING tenant_id, kind, version),
    logged AS (
        INSERT INTO cimi_resource_membership (tenant_id, kind, version, created, id, delta)
        SELECT i.tenant_id, i.kind, c.version, i.created, i.id, 1 FROM inserted i JOIN c USING (tenant_id, kind))
    DELETE FROM cimi_resource_membership m USING c
    WHERE c.version % 100 = 0 AND m.tenant_id = c.tenant_id AND m.kind = c.kind AND m.version <= c.version - 1000;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT tenant_id, kind, doc_state, doc_cpu, doc_memory, count(*) FROM inserted
    GROUP BY tenant_id, kind, doc_state, doc_cpu, doc_memory ORDER BY tenant_id, kind, doc_state, doc_cpu, doc_memory
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;


--
-- Name: cimi_resource_counts_truncated(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cimi_resource_counts_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM cimi_resource_count;
    DELETE FROM cimi_resource_facet_count;
    DELETE FROM cimi_resource_membership;
    RETURN NULL;
END
$$;


--
-- Name: cimi_resource_counts_updated(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cimi_resource_counts_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO cimi_resource_count AS c (tenant_id, kind, n)
    SELECT v.t, v.k, sum(v.d)
    FROM (VALUES (OLD.tenant_id, OLD.kind, -1), (NEW.tenant_id, NEW.kind, 1)) v(t, k, d)
    GROUP BY v.t, v.k HAVING sum(v.d) <> 0 ORDER BY v.t, v.k
    -- A row moved to another collection (never done by CimiGrains): both start a new epoch.
    ON CONFLICT (tenant_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n, epoch = EXCLUDED.epoch, version = 1;
    INSERT INTO cimi_resource_facet_count AS c (tenant_id, kind, doc_state, doc_cpu, doc_memory, n)
    SELECT v.t, v.k, v.s, v.c, v.m, sum(v.d)
    FROM (VALUES (OLD.tenant_id, OLD.kind, OLD.doc_state, OLD.doc_cpu, OLD.doc_memory, -1),
                 (NEW.tenant_id, NEW.kind, NEW.doc_state, NEW.doc_cpu, NEW.doc_memory, 1)) v(t, k, s, c, m, d)
    GROUP BY v.t, v.k, v.s, v.c, v.m HAVING sum(v.d) <> 0 ORDER BY v.t, v.k, v.s, v.c, v.m
    ON CONFLICT (tenant_id, kind, doc_state, doc_cpu, doc_memory) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;


--
-- Name: cimi_try_timestamptz(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cimi_try_timestamptz(value text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: cimi_resource; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_resource (
    tenant_id text NOT NULL,
    kind text NOT NULL,
    id text NOT NULL,
    name text,
    state text,
    created timestamp with time zone NOT NULL,
    updated timestamp with time zone NOT NULL,
    doc jsonb NOT NULL,
    doc_state text GENERATED ALWAYS AS (
CASE
    WHEN (jsonb_typeof((doc -> 'state'::text)) = 'string'::text) THEN (doc ->> 'state'::text)
    ELSE NULL::text
END) STORED,
    doc_cpu numeric GENERATED ALWAYS AS (
CASE
    WHEN (jsonb_typeof((doc -> 'cpu'::text)) = 'number'::text) THEN ((doc -> 'cpu'::text))::numeric
    ELSE NULL::numeric
END) STORED,
    doc_memory numeric GENERATED ALWAYS AS (
CASE
    WHEN (jsonb_typeof((doc -> 'memory'::text)) = 'number'::text) THEN ((doc -> 'memory'::text))::numeric
    ELSE NULL::numeric
END) STORED
)
WITH (autovacuum_vacuum_scale_factor='0.02', autovacuum_vacuum_insert_scale_factor='0.02', autovacuum_analyze_scale_factor='0.02');


--
-- Name: cimi_resource_count_epoch; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.cimi_resource_count_epoch
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: cimi_resource_count; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_resource_count (
    tenant_id text NOT NULL,
    kind text NOT NULL,
    n bigint NOT NULL,
    epoch bigint DEFAULT nextval('public.cimi_resource_count_epoch'::regclass) NOT NULL,
    version bigint DEFAULT 1 NOT NULL
);


--
-- Name: cimi_resource_facet_count; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_resource_facet_count (
    tenant_id text NOT NULL,
    kind text NOT NULL,
    doc_state text,
    doc_cpu numeric,
    doc_memory numeric,
    n bigint NOT NULL
);


--
-- Name: cimi_resource_membership; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_resource_membership (
    tenant_id text NOT NULL,
    kind text NOT NULL,
    version bigint NOT NULL,
    created timestamp with time zone NOT NULL,
    id text NOT NULL,
    delta smallint NOT NULL
);


--
-- Name: cimi_schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_schema_version (
    script text NOT NULL,
    applied timestamp with time zone NOT NULL,
    sha256 text NOT NULL
);


--
-- Name: cimi_tenant; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_tenant (
    id text NOT NULL,
    name text NOT NULL,
    created timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: cimi_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cimi_user (
    tenant_id text NOT NULL,
    username text NOT NULL,
    password_hash text NOT NULL,
    role text DEFAULT 'user'::text NOT NULL,
    created timestamp with time zone DEFAULT now() NOT NULL,
    credential_stamp bigint DEFAULT 0 NOT NULL
);


--
-- Name: orleansmembershiptable; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.orleansmembershiptable (
    deploymentid text NOT NULL,
    address text NOT NULL,
    port integer NOT NULL,
    generation integer NOT NULL,
    siloname text NOT NULL,
    hostname text NOT NULL,
    status integer NOT NULL,
    proxyport integer DEFAULT 0 NOT NULL,
    suspecttimes text,
    starttime timestamp with time zone NOT NULL,
    iamalivetime timestamp with time zone NOT NULL
);


--
-- Name: orleansmembershipversiontable; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.orleansmembershipversiontable (
    deploymentid text NOT NULL,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL,
    version integer DEFAULT 0 NOT NULL
);


--
-- Name: orleansquery; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.orleansquery (
    querykey character varying(64) NOT NULL,
    querytext text NOT NULL
);


--
-- Name: orleansreminderstable; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.orleansreminderstable (
    serviceid text NOT NULL,
    grainid text NOT NULL,
    remindername text NOT NULL,
    starttime timestamp with time zone NOT NULL,
    period bigint NOT NULL,
    grainhash integer NOT NULL,
    version integer NOT NULL
);


--
-- Name: orleansstorage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.orleansstorage (
    serviceid text NOT NULL,
    grainidhash integer NOT NULL,
    graintypehash integer NOT NULL,
    grainidn0 bigint NOT NULL,
    grainidn1 bigint NOT NULL,
    graintypestring text NOT NULL,
    grainidextensionstring text,
    payloadbinary bytea,
    modifiedon timestamp with time zone DEFAULT now() NOT NULL,
    version integer NOT NULL
);


--
-- Data for Name: cimi_resource; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_resource VALUES ('demo', 'MachineConfiguration', 'machineConfigs/small', 'small', NULL, '2026-12-01 14:28:42.41438+00', '2026-12-01 14:28:42.41438+00', '{"id": "machineConfigs/small", "cpu": 1, "name": "small", "memory": 262144, "created": "2026-12-01T14:28:42.4143806+00:00", "updated": "2026-12-01T14:28:42.4143806+00:00", "operations": [{"rel": "edit", "href": "machineConfigs/small"}, {"rel": "delete", "href": "machineConfigs/small"}], "description": "1 CPU, 256 MiB"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'MachineConfiguration', 'machineConfigs/medium', 'medium', NULL, '2026-12-01 14:28:42.520874+00', '2026-12-01 14:28:42.520874+00', '{"id": "machineConfigs/medium", "cpu": 2, "name": "medium", "memory": 1048576, "created": "2026-12-01T14:28:42.5208749+00:00", "updated": "2026-12-01T14:28:42.5208749+00:00", "operations": [{"rel": "edit", "href": "machineConfigs/medium"}, {"rel": "delete", "href": "machineConfigs/medium"}], "description": "2 CPUs, 1 GiB"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'MachineImage', 'machineImages/demo', 'demo', NULL, '2026-12-01 14:28:42.543549+00', '2026-12-01 14:28:42.543549+00', '{"id": "machineImages/demo", "name": "demo", "type": "IMAGE", "state": "AVAILABLE", "created": "2026-12-01T14:28:42.5435497+00:00", "updated": "2026-12-01T14:28:42.5435497+00:00", "operations": [{"rel": "edit", "href": "machineImages/demo"}, {"rel": "delete", "href": "machineImages/demo"}], "description": "A small busybox image built locally by run.sh", "imageLocation": "docker:cimigrains/demo:latest"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'MachineTemplate', 'machineTemplates/demo', 'demo', NULL, '2026-12-01 14:28:42.585357+00', '2026-12-01 14:28:42.585357+00', '{"id": "machineTemplates/demo", "name": "demo", "created": "2026-12-01T14:28:42.5853575+00:00", "updated": "2026-12-01T14:28:42.5853575+00:00", "operations": [{"rel": "edit", "href": "machineTemplates/demo"}, {"rel": "delete", "href": "machineTemplates/demo"}], "description": "The demo image on the small configuration", "machineImage": {"href": "machineImages/demo"}, "machineConfig": {"href": "machineConfigs/small"}}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Job', 'jobs/d5b15994f7984a8cb2b4515ec97f9e30', 'add machines/a9eeeaefdb5246fe953a77659df965cb', 'SUCCESS', '2026-12-01 14:29:39.241178+00', '2026-12-01 14:29:41.675985+00', '{"id": "jobs/d5b15994f7984a8cb2b4515ec97f9e30", "name": "add machines/a9eeeaefdb5246fe953a77659df965cb", "state": "SUCCESS", "action": "add", "created": "2026-12-01T14:29:39.2411781+00:00", "updated": "2026-12-01T14:29:41.675985+00:00", "progress": 100, "operations": [{"rel": "edit", "href": "jobs/d5b15994f7984a8cb2b4515ec97f9e30"}, {"rel": "delete", "href": "jobs/d5b15994f7984a8cb2b4515ec97f9e30"}], "returnCode": 0, "statusMessage": "The Machine is STARTED.", "targetResource": {"href": "machines/a9eeeaefdb5246fe953a77659df965cb"}, "affectedResources": [{"href": "machines/a9eeeaefdb5246fe953a77659df965cb"}], "timeOfStatusChange": "2026-12-01T14:29:41.6759831+00:00"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Job', 'jobs/9ea2c389dec64c4aa8454c0791ee8cd7', 'add machines/0b14aa26c023427b9af5e00e71019baa', 'SUCCESS', '2026-12-01 14:29:39.499391+00', '2026-12-01 14:29:41.800811+00', '{"id": "jobs/9ea2c389dec64c4aa8454c0791ee8cd7", "name": "add machines/0b14aa26c023427b9af5e00e71019baa", "state": "SUCCESS", "action": "add", "created": "2026-12-01T14:29:39.4993916+00:00", "updated": "2026-12-01T14:29:41.8008112+00:00", "progress": 100, "operations": [{"rel": "edit", "href": "jobs/9ea2c389dec64c4aa8454c0791ee8cd7"}, {"rel": "delete", "href": "jobs/9ea2c389dec64c4aa8454c0791ee8cd7"}], "returnCode": 0, "statusMessage": "The Machine is STARTED.", "targetResource": {"href": "machines/0b14aa26c023427b9af5e00e71019baa"}, "affectedResources": [{"href": "machines/0b14aa26c023427b9af5e00e71019baa"}], "timeOfStatusChange": "2026-12-01T14:29:41.8008093+00:00"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Machine', 'machines/0b14aa26c023427b9af5e00e71019baa', 'db', 'ERROR', '2026-12-01 14:29:39.467116+00', '2026-12-01 14:29:39.467116+00', '{"id": "machines/0b14aa26c023427b9af5e00e71019baa", "cpu": 1, "host": "upgrade-host", "name": "db", "state": "ERROR", "memory": 262144, "created": "2026-12-01T14:29:39.4671166+00:00", "updated": "2026-12-01T14:29:39.4671166+00:00", "operations": [{"rel": "edit", "href": "machines/0b14aa26c023427b9af5e00e71019baa"}, {"rel": "delete", "href": "machines/0b14aa26c023427b9af5e00e71019baa"}, {"rel": "http://schemas.dmtf.org/cimi/1/action/start", "href": "machines/0b14aa26c023427b9af5e00e71019baa"}, {"rel": "http://schemas.dmtf.org/cimi/1/action/stop", "href": "machines/0b14aa26c023427b9af5e00e71019baa"}, {"rel": "http://schemas.dmtf.org/cimi/1/action/restart", "href": "machines/0b14aa26c023427b9af5e00e71019baa"}], "properties": {"role": "db", "cimigrains.hostStatus": "Host ''upgrade-host'' has been unreachable since 2026-12-01T14:30:01.0752689+00:00: the agent''s stream broke (IOException)"}, "description": "upgrade db", "machineImage": {"href": "machineImages/demo"}, "machineConfig": {"href": "machineConfigs/small"}}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Credential', 'credentials/aff3d15668cf48b3b6a9052d571e945d', 'ops', NULL, '2026-12-01 14:29:51.338438+00', '2026-12-01 14:29:51.338438+00', '{"id": "credentials/aff3d15668cf48b3b6a9052d571e945d", "name": "ops", "created": "2026-12-01T14:29:51.3384386+00:00", "updated": "2026-12-01T14:29:51.3384386+00:00", "userName": "ops", "operations": [{"rel": "edit", "href": "credentials/aff3d15668cf48b3b6a9052d571e945d"}, {"rel": "delete", "href": "credentials/aff3d15668cf48b3b6a9052d571e945d"}]}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Job', 'jobs/3b61d3b0ec9e46cb871bf9812ab1000a', 'stop machines/0b14aa26c023427b9af5e00e71019baa', 'SUCCESS', '2026-12-01 14:29:51.222325+00', '2026-12-01 14:29:51.451185+00', '{"id": "jobs/3b61d3b0ec9e46cb871bf9812ab1000a", "name": "stop machines/0b14aa26c023427b9af5e00e71019baa", "state": "SUCCESS", "action": "http://schemas.dmtf.org/cimi/1/action/stop", "created": "2026-12-01T14:29:51.2223256+00:00", "updated": "2026-12-01T14:29:51.4511858+00:00", "progress": 100, "operations": [{"rel": "edit", "href": "jobs/3b61d3b0ec9e46cb871bf9812ab1000a"}, {"rel": "delete", "href": "jobs/3b61d3b0ec9e46cb871bf9812ab1000a"}], "returnCode": 0, "statusMessage": "The Machine is STOPPED.", "targetResource": {"href": "machines/0b14aa26c023427b9af5e00e71019baa"}, "affectedResources": [{"href": "machines/0b14aa26c023427b9af5e00e71019baa"}], "timeOfStatusChange": "2026-12-01T14:29:51.4511843+00:00"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Job', 'jobs/10e800b89af54c0aa7d8da12b3c6b7dc', 'add machines/3efc06efee8545aca4280b69bf34142b', 'FAILED', '2026-12-01 14:30:02.1286+00', '2026-12-01 14:30:02.156787+00', '{"id": "jobs/10e800b89af54c0aa7d8da12b3c6b7dc", "name": "add machines/3efc06efee8545aca4280b69bf34142b", "state": "FAILED", "action": "add", "created": "2026-12-01T14:30:02.1286007+00:00", "updated": "2026-12-01T14:30:02.1567873+00:00", "progress": 100, "operations": [{"rel": "edit", "href": "jobs/10e800b89af54c0aa7d8da12b3c6b7dc"}, {"rel": "delete", "href": "jobs/10e800b89af54c0aa7d8da12b3c6b7dc"}], "returnCode": 1, "statusMessage": "No host is available: no host agent is connected to the cluster.", "targetResource": {"href": "machines/3efc06efee8545aca4280b69bf34142b"}, "affectedResources": [{"href": "machines/3efc06efee8545aca4280b69bf34142b"}], "timeOfStatusChange": "2026-12-01T14:30:02.1567857+00:00"}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Machine', 'machines/3efc06efee8545aca4280b69bf34142b', 'queued', 'ERROR', '2026-12-01 14:30:02.110326+00', '2026-12-01 14:30:02.110326+00', '{"id": "machines/3efc06efee8545aca4280b69bf34142b", "cpu": 1, "name": "queued", "state": "ERROR", "memory": 262144, "created": "2026-12-01T14:30:02.1103263+00:00", "updated": "2026-12-01T14:30:02.1103263+00:00", "operations": [{"rel": "edit", "href": "machines/3efc06efee8545aca4280b69bf34142b"}, {"rel": "delete", "href": "machines/3efc06efee8545aca4280b69bf34142b"}, {"rel": "http://schemas.dmtf.org/cimi/1/action/start", "href": "machines/3efc06efee8545aca4280b69bf34142b"}, {"rel": "http://schemas.dmtf.org/cimi/1/action/stop", "href": "machines/3efc06efee8545aca4280b69bf34142b"}, {"rel": "http://schemas.dmtf.org/cimi/1/action/restart", "href": "machines/3efc06efee8545aca4280b69bf34142b"}], "machineImage": {"href": "machineImages/demo"}, "machineConfig": {"href": "machineConfigs/small"}}', DEFAULT, DEFAULT, DEFAULT);
INSERT INTO public.cimi_resource VALUES ('demo', 'Job', 'jobs/967e911fa2ca477f91f6c3917e408e67', 'delete machines/a9eeeaefdb5246fe953a77659df965cb', 'SUCCESS', '2026-12-01 14:30:10.310403+00', '2026-12-01 14:30:10.347335+00', '{"id": "jobs/967e911fa2ca477f91f6c3917e408e67", "name": "delete machines/a9eeeaefdb5246fe953a77659df965cb", "state": "SUCCESS", "action": "delete", "created": "2026-12-01T14:30:10.3104037+00:00", "updated": "2026-12-01T14:30:10.3473358+00:00", "progress": 100, "operations": [{"rel": "edit", "href": "jobs/967e911fa2ca477f91f6c3917e408e67"}, {"rel": "delete", "href": "jobs/967e911fa2ca477f91f6c3917e408e67"}], "returnCode": 0, "statusMessage": "The Machine was deleted; host ''upgrade-host'' is away, so its workload is removed when the host''s agent reconnects.", "targetResource": {"href": "machines/a9eeeaefdb5246fe953a77659df965cb"}, "affectedResources": [{"href": "machines/a9eeeaefdb5246fe953a77659df965cb"}], "timeOfStatusChange": "2026-12-01T14:30:10.3473346+00:00"}', DEFAULT, DEFAULT, DEFAULT);


--
-- Data for Name: cimi_resource_count; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_resource_count VALUES ('demo', 'MachineConfiguration', 2, 1, 2);
INSERT INTO public.cimi_resource_count VALUES ('demo', 'MachineImage', 1, 3, 1);
INSERT INTO public.cimi_resource_count VALUES ('demo', 'MachineTemplate', 1, 4, 1);
INSERT INTO public.cimi_resource_count VALUES ('demo', 'Credential', 1, 10, 1);
INSERT INTO public.cimi_resource_count VALUES ('demo', 'Job', 5, 6, 5);
INSERT INTO public.cimi_resource_count VALUES ('demo', 'Machine', 2, 5, 4);


--
-- Data for Name: cimi_resource_facet_count; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'MachineConfiguration', NULL, 1, 262144, 1);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'MachineConfiguration', NULL, 2, 1048576, 1);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'MachineImage', 'AVAILABLE', NULL, NULL, 1);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'MachineTemplate', NULL, NULL, NULL, 1);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Credential', NULL, NULL, NULL, 1);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Job', 'RUNNING', NULL, NULL, 0);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Machine', 'STOPPING', 1, 262144, 0);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Machine', 'STARTED', 1, 262144, 0);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Machine', 'STOPPED', 1, 262144, 0);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Job', 'FAILED', NULL, NULL, 1);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Machine', 'CREATING', 1, 262144, 0);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Machine', 'ERROR', 1, 262144, 2);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Job', 'QUEUED', NULL, NULL, 0);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Job', 'SUCCESS', NULL, NULL, 4);
INSERT INTO public.cimi_resource_facet_count VALUES ('demo', 'Machine', 'DELETING', 1, 262144, 0);


--
-- Data for Name: cimi_resource_membership; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_resource_membership VALUES ('demo', 'MachineConfiguration', 1, '2026-12-01 14:28:42.41438+00', 'machineConfigs/small', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'MachineConfiguration', 2, '2026-12-01 14:28:42.520874+00', 'machineConfigs/medium', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'MachineImage', 1, '2026-12-01 14:28:42.543549+00', 'machineImages/demo', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'MachineTemplate', 1, '2026-12-01 14:28:42.585357+00', 'machineTemplates/demo', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Machine', 1, '2026-12-01 14:29:39.072101+00', 'machines/a9eeeaefdb5246fe953a77659df965cb', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Job', 1, '2026-12-01 14:29:39.241178+00', 'jobs/d5b15994f7984a8cb2b4515ec97f9e30', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Machine', 2, '2026-12-01 14:29:39.467116+00', 'machines/0b14aa26c023427b9af5e00e71019baa', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Job', 2, '2026-12-01 14:29:39.499391+00', 'jobs/9ea2c389dec64c4aa8454c0791ee8cd7', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Job', 3, '2026-12-01 14:29:51.222325+00', 'jobs/3b61d3b0ec9e46cb871bf9812ab1000a', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Credential', 1, '2026-12-01 14:29:51.338438+00', 'credentials/aff3d15668cf48b3b6a9052d571e945d', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Machine', 3, '2026-12-01 14:30:02.110326+00', 'machines/3efc06efee8545aca4280b69bf34142b', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Job', 4, '2026-12-01 14:30:02.1286+00', 'jobs/10e800b89af54c0aa7d8da12b3c6b7dc', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Job', 5, '2026-12-01 14:30:10.310403+00', 'jobs/967e911fa2ca477f91f6c3917e408e67', 1);
INSERT INTO public.cimi_resource_membership VALUES ('demo', 'Machine', 4, '2026-12-01 14:29:39.072101+00', 'machines/a9eeeaefdb5246fe953a77659df965cb', -1);


--
-- Data for Name: cimi_schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_schema_version VALUES ('001_orleans_clustering.sql', '2026-12-01 14:28:39.681895+00', '7ad39a9c2239d629bba3885e14680d7997133f58ded7f4a704c8aecff19b84ff');
INSERT INTO public.cimi_schema_version VALUES ('002_orleans_persistence.sql', '2026-12-01 14:28:39.681895+00', 'bbfec8a1b82b18166cf254ff28a707a5f2a06da08464b4389d9b6234b5e2ab6e');
INSERT INTO public.cimi_schema_version VALUES ('003_orleans_reminders.sql', '2026-12-01 14:28:39.681895+00', '0d3fc6a0d62e8b2a26d894c70e0d1895da42904ac21151b998e8220ed35387fe');
INSERT INTO public.cimi_schema_version VALUES ('004_cimi.sql', '2026-12-01 14:28:39.681895+00', 'c3f947f43e41016311209eb5d1951113f07c7d0c75004c331675feb4a8d1409b');
INSERT INTO public.cimi_schema_version VALUES ('005_cimi_queries.sql', '2026-12-01 14:28:39.681895+00', '4f7cc00bbe37aaceec514310d647df0fbb66f6bd844ce4f58c929e8af6fb8ae7');
INSERT INTO public.cimi_schema_version VALUES ('006_cimi_read_performance.sql', '2026-12-01 14:28:39.681895+00', '85f717ae41f2aae23509e8043f357afdecdca887a6b35f7004fb2744d12307fa');
INSERT INTO public.cimi_schema_version VALUES ('007_cimi_user_credential_stamp.sql', '2026-12-01 14:28:39.681895+00', 'c851d48f5e67b657352885b5985a08372632345aabc67e002df9231a6c060e32');


--
-- Data for Name: cimi_tenant; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_tenant VALUES ('system', 'Operators', '2026-12-01 14:28:41.711491+00');
INSERT INTO public.cimi_tenant VALUES ('demo', 'Demo tenant', '2026-12-01 14:28:41.966158+00');


--
-- Data for Name: cimi_user; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cimi_user VALUES ('system', 'admin', 'pbkdf2-sha256$600000$NFFhvLvMFbAbnFyfqX58sQ==$UilUT1K5PaFMruQ86h6LlqaDPPcwheKAHMIJMeQogis=', 'admin', '2026-12-01 14:28:41.957645+00', 0);
INSERT INTO public.cimi_user VALUES ('demo', 'demo', 'pbkdf2-sha256$600000$MJ4kYHvmF2f+rYMLZmWauw==$CkC7ezDb03VSi1qPTJF2gstdxlUDB14Y/BMd8ji5B+Q=', 'user', '2026-12-01 14:28:42.362068+00', 0);


--
-- Data for Name: orleansquery; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.orleansquery VALUES ('InsertMembershipVersionKey', '
WITH created AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId, Timestamp, Version)
    VALUES (@DeploymentId, now(), 0)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM created;
');
INSERT INTO public.orleansquery VALUES ('InsertMembershipKey', '
WITH expected AS (
    SELECT DeploymentId
    FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    FOR UPDATE
), inserted AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    SELECT e.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
    FROM expected e
    ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
    RETURNING DeploymentId
), bumped AS (
    UPDATE OrleansMembershipVersionTable v
    SET Version = v.Version + 1, Timestamp = now()
    FROM inserted i
    WHERE v.DeploymentId = i.DeploymentId
    RETURNING v.Version
)
SELECT count(*) > 0 FROM bumped;
');
INSERT INTO public.orleansquery VALUES ('UpdateMembershipKey', '
WITH expected AS (
    SELECT DeploymentId
    FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    FOR UPDATE
), updated AS (
    UPDATE OrleansMembershipTable m
    SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
    FROM expected e
    WHERE m.DeploymentId = e.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
    RETURNING m.DeploymentId
), bumped AS (
    UPDATE OrleansMembershipVersionTable v
    SET Version = v.Version + 1, Timestamp = now()
    FROM updated u
    WHERE v.DeploymentId = u.DeploymentId
    RETURNING v.Version
)
SELECT count(*) > 0 FROM bumped;
');
INSERT INTO public.orleansquery VALUES ('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId
  AND Address = @Address AND Port = @Port AND Generation = @Generation;
');
INSERT INTO public.orleansquery VALUES ('MembershipReadRowKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m
       ON m.DeploymentId = v.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
');
INSERT INTO public.orleansquery VALUES ('MembershipReadAllKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
');
INSERT INTO public.orleansquery VALUES ('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
');
INSERT INTO public.orleansquery VALUES ('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
');
INSERT INTO public.orleansquery VALUES ('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3;
');
INSERT INTO public.orleansquery VALUES ('CleanupDefunctSiloEntryKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
  AND Address = @Address AND Port = @Port AND Generation = @Generation
  AND Status = 6
  AND StartTime = @StartTime
  AND IAmAliveTime = @IAmAliveTime
  AND SuspectTimes IS NOT DISTINCT FROM @SuspectTimes;
');
INSERT INTO public.orleansquery VALUES ('ReadFromStorageKey', '
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;
');
INSERT INTO public.orleansquery VALUES ('WriteToStorageKey', '
WITH updated AS (
    UPDATE OrleansStorage
    SET PayloadBinary = @PayloadBinary, Version = Version + 1, ModifiedOn = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND ServiceId = @ServiceId
      AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND Version = @GrainStateVersion
    RETURNING Version
), inserted AS (
    INSERT INTO OrleansStorage
        (ServiceId, GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString,
         PayloadBinary, ModifiedOn, Version)
    SELECT @ServiceId, @GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1, @GrainTypeString, @GrainIdExtensionString,
           @PayloadBinary, now(), 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT UQ_OrleansStorage_Grain DO NOTHING
    RETURNING Version
)
SELECT COALESCE((SELECT Version FROM updated), (SELECT Version FROM inserted)) AS NewGrainStateVersion;
');
INSERT INTO public.orleansquery VALUES ('ClearStorageKey', '
UPDATE OrleansStorage
SET PayloadBinary = NULL, Version = Version + 1, ModifiedOn = now()
WHERE ServiceId = @ServiceId
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
');
INSERT INTO public.orleansquery VALUES ('DeleteStorageKey', '
DELETE FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
');
INSERT INTO public.orleansquery VALUES ('ReadReminderRowsKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId;
');
INSERT INTO public.orleansquery VALUES ('ReadReminderRowKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;
');
INSERT INTO public.orleansquery VALUES ('ReadRangeRows1Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;
');
INSERT INTO public.orleansquery VALUES ('ReadRangeRows2Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
');
INSERT INTO public.orleansquery VALUES ('UpsertReminderRowKey', '
INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = EXCLUDED.StartTime,
    Period = EXCLUDED.Period,
    GrainHash = EXCLUDED.GrainHash,
    Version = OrleansRemindersTable.Version + 1
RETURNING Version;
');
INSERT INTO public.orleansquery VALUES ('DeleteReminderRowKey', '
WITH deleted AS (
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
      AND Version = @Version
    RETURNING 1
)
SELECT count(*) > 0 FROM deleted;
');
INSERT INTO public.orleansquery VALUES ('DeleteReminderRowsKey', '
DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;
');


--
-- Data for Name: orleansreminderstable; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.orleansreminderstable VALUES ('cimigrains', 'jobretention/0', 'job-retention', '2026-12-01 14:33:41.660729+00', 300000, 1190780358, 0);


--
-- Data for Name: orleansstorage; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.orleansstorage VALUES ('cimigrains', -461251002, -1568564272, 0, 0, 'machineConfiguration', 'demo/small', '\x7b225265736f75726365223a7b22437075223a312c224d656d6f7279223a3236323134342c224964223a226d616368696e65436f6e666967732f736d616c6c222c224e616d65223a22736d616c6c222c224465736372697074696f6e223a2231204350552c20323536204d6942222c2243726561746564223a22323032362d31322d30315431343a32383a34322e343134333830362b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32383a34322e343134333830362b30303a3030227d7d', '2026-12-01 14:28:42.488996+00', 1);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 2014314193, -1568564272, 0, 0, 'machineConfiguration', 'demo/medium', '\x7b225265736f75726365223a7b22437075223a322c224d656d6f7279223a313034383537362c224964223a226d616368696e65436f6e666967732f6d656469756d222c224e616d65223a226d656469756d222c224465736372697074696f6e223a223220435055732c203120476942222c2243726561746564223a22323032362d31322d30315431343a32383a34322e353230383734392b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32383a34322e353230383734392b30303a3030227d7d', '2026-12-01 14:28:42.521458+00', 1);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 188728744, -863501730, 0, 0, 'machineImage', 'demo/demo', '\x7b225265736f75726365223a7b225374617465223a22415641494c41424c45222c2254797065223a22494d414745222c22496d6167654c6f636174696f6e223a22646f636b65723a63696d69677261696e732f64656d6f3a6c6174657374222c224964223a226d616368696e65496d616765732f64656d6f222c224e616d65223a2264656d6f222c224465736372697074696f6e223a224120736d616c6c2062757379626f7820696d616765206275696c74206c6f63616c6c792062792072756e2e7368222c2243726561746564223a22323032362d31322d30315431343a32383a34322e353433353439372b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32383a34322e353433353439372b30303a3030227d7d', '2026-12-01 14:28:42.548983+00', 1);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 188728744, 618173014, 0, 0, 'machineTemplate', 'demo/demo', '\x7b225265736f75726365223a7b224d616368696e65436f6e666967223a7b2248726566223a226d616368696e65436f6e666967732f736d616c6c227d2c224d616368696e65496d616765223a7b2248726566223a226d616368696e65496d616765732f64656d6f227d2c224964223a226d616368696e6554656d706c617465732f64656d6f222c224e616d65223a2264656d6f222c224465736372697074696f6e223a225468652064656d6f20696d616765206f6e2074686520736d616c6c20636f6e66696775726174696f6e222c2243726561746564223a22323032362d31322d30315431343a32383a34322e353835333537352b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32383a34322e353835333537352b30303a3030227d7d', '2026-12-01 14:28:42.594233+00', 1);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 1448029852, 480582898, 0, 0, 'host', 'upgrade-host', '\x7b22526567697374726174696f6e223a7b22486f73744964223a22757067726164652d686f7374222c22437075223a322c224d656d6f72794b6942223a32343638333538342c224469736b4b6942223a3236343231323038342c2244726976657273223a5b22646f636b6572225d2c224c6162656c73223a7b7d2c224167656e7456657273696f6e223a22312e302e302e30227d2c224d616368696e6573223a7b2264656d6f2f3062313461613236633032333432376239616635653030653731303139626161223a7b22437075223a312c224d656d6f72794b6942223a3236323134347d7d2c224c617374436f6e6e6563746564223a22323032362d31322d30315431343a32383a34342e3332303835322b30303a3030222c22496d61676573546f52656d6f7665223a5b5d7d', '2026-12-01 14:30:10.33592+00', 4);
INSERT INTO public.orleansstorage VALUES ('cimigrains', -1626796189, -1484531032, 0, 0, 'machine', 'demo/0b14aa26c023427b9af5e00e71019baa', '\x7b224d616368696e65223a7b225374617465223a31322c22437075223a312c224d656d6f7279223a3236323134342c224d616368696e65496d616765223a7b2248726566223a226d616368696e65496d616765732f64656d6f227d2c224d616368696e65436f6e666967223a7b2248726566223a226d616368696e65436f6e666967732f736d616c6c227d2c22486f7374223a22757067726164652d686f7374222c224964223a226d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161222c224e616d65223a226462222c224465736372697074696f6e223a2275706772616465206462222c2243726561746564223a22323032362d31322d30315431343a32393a33392e343637313136362b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32393a33392e343637313136362b30303a3030222c2250726f70657274696573223a7b22726f6c65223a226462227d7d2c2253706563223a7b22496d6167654c6f636174696f6e223a22646f636b65723a63696d69677261696e732f64656d6f3a6c6174657374222c22437075223a312c224d656d6f72794b6942223a3236323134342c2254656e616e744964223a2264656d6f222c2253746172744166746572437265617465223a747275657d2c22496e697469616c5374617465223a322c22486f73744964223a22757067726164652d686f7374222c2247656e65726174696f6e223a322c22486f7374537461747573223a22486f7374205c7530303237757067726164652d686f73745c753030323720686173206265656e20756e726561636861626c652073696e636520323032362d31322d30315431343a33303a30312e303735323638395c753030324230303a30303a20746865206167656e745c7530303237732073747265616d2062726f6b652028494f457863657074696f6e29227d', '2026-12-01 14:30:01.168291+00', 9);
INSERT INTO public.orleansstorage VALUES ('cimigrains', -114583098, 1760384348, 0, 0, 'job', 'demo/9ea2c389dec64c4aa8454c0791ee8cd7', '\x7b225265736f75726365223a7b225374617465223a322c225461726765745265736f75726365223a7b2248726566223a226d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161227d2c2241666665637465645265736f7572636573223a5b7b2248726566223a226d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161227d5d2c22416374696f6e223a22616464222c2252657475726e436f6465223a302c2250726f6772657373223a3130302c225374617475734d657373616765223a22546865204d616368696e6520697320535441525445442e222c2254696d654f665374617475734368616e6765223a22323032362d31322d30315431343a32393a34312e383030383039332b30303a3030222c224964223a226a6f62732f3965613263333839646563363463346161383435346330373931656538636437222c224e616d65223a22616464206d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161222c2243726561746564223a22323032362d31322d30315431343a32393a33392e343939333931362b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32393a34312e383030383131322b30303a3030227d7d', '2026-12-01 14:29:41.801723+00', 3);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 631301199, 1760384348, 0, 0, 'job', 'demo/d5b15994f7984a8cb2b4515ec97f9e30', '\x7b225265736f75726365223a7b225374617465223a322c225461726765745265736f75726365223a7b2248726566223a226d616368696e65732f6139656565616566646235323436666539353361373736353964663936356362227d2c2241666665637465645265736f7572636573223a5b7b2248726566223a226d616368696e65732f6139656565616566646235323436666539353361373736353964663936356362227d5d2c22416374696f6e223a22616464222c2252657475726e436f6465223a302c2250726f6772657373223a3130302c225374617475734d657373616765223a22546865204d616368696e6520697320535441525445442e222c2254696d654f665374617475734368616e6765223a22323032362d31322d30315431343a32393a34312e363735393833312b30303a3030222c224964223a226a6f62732f6435623135393934663739383461386362326234353135656339376639653330222c224e616d65223a22616464206d616368696e65732f6139656565616566646235323436666539353361373736353964663936356362222c2243726561746564223a22323032362d31322d30315431343a32393a33392e323431313738312b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32393a34312e3637353938352b30303a3030227d7d', '2026-12-01 14:29:41.677555+00', 3);
INSERT INTO public.orleansstorage VALUES ('cimigrains', -267198800, -1484531032, 0, 0, 'machine', 'demo/a9eeeaefdb5246fe953a77659df965cb', NULL, '2026-12-01 14:30:10.379884+00', 8);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 1148508850, 1807603453, 0, 0, 'credential', 'demo/aff3d15668cf48b3b6a9052d571e945d', '\x7b225265736f75726365223a7b22557365724e616d65223a226f7073222c2250617373776f7264223a2263696d692d7365616c65643a76313a31666136333265373a446442784375783556636a347350696b576d3456344a346375434e7539304e4a6f6a48395377365978394c36394d4d6f55726d2f49516677222c224964223a2263726564656e7469616c732f6166663364313536363863663438623362366139303532643537316539343564222c224e616d65223a226f7073222c2243726561746564223a22323032362d31322d30315431343a32393a35312e333338343338362b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32393a35312e333338343338362b30303a3030227d7d', '2026-12-01 14:29:51.360387+00', 1);
INSERT INTO public.orleansstorage VALUES ('cimigrains', -1879654815, 1760384348, 0, 0, 'job', 'demo/3b61d3b0ec9e46cb871bf9812ab1000a', '\x7b225265736f75726365223a7b225374617465223a322c225461726765745265736f75726365223a7b2248726566223a226d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161227d2c2241666665637465645265736f7572636573223a5b7b2248726566223a226d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161227d5d2c22416374696f6e223a22687474703a2f2f736368656d61732e646d74662e6f72672f63696d692f312f616374696f6e2f73746f70222c2252657475726e436f6465223a302c2250726f6772657373223a3130302c225374617475734d657373616765223a22546865204d616368696e652069732053544f505045442e222c2254696d654f665374617475734368616e6765223a22323032362d31322d30315431343a32393a35312e343531313834332b30303a3030222c224964223a226a6f62732f3362363164336230656339653436636238373162663938313261623130303061222c224e616d65223a2273746f70206d616368696e65732f3062313461613236633032333432376239616635653030653731303139626161222c2243726561746564223a22323032362d31322d30315431343a32393a35312e323232333235362b30303a3030222c2255706461746564223a22323032362d31322d30315431343a32393a35312e343531313835382b30303a3030227d7d', '2026-12-01 14:29:51.452371+00', 3);
INSERT INTO public.orleansstorage VALUES ('cimigrains', -1999687332, 1760384348, 0, 0, 'job', 'demo/10e800b89af54c0aa7d8da12b3c6b7dc', '\x7b225265736f75726365223a7b225374617465223a332c225461726765745265736f75726365223a7b2248726566223a226d616368696e65732f3365666330366566656538353435616361343238306236396266333431343262227d2c2241666665637465645265736f7572636573223a5b7b2248726566223a226d616368696e65732f3365666330366566656538353435616361343238306236396266333431343262227d5d2c22416374696f6e223a22616464222c2252657475726e436f6465223a312c2250726f6772657373223a3130302c225374617475734d657373616765223a224e6f20686f737420697320617661696c61626c653a206e6f20686f7374206167656e7420697320636f6e6e656374656420746f2074686520636c75737465722e222c2254696d654f665374617475734368616e6765223a22323032362d31322d30315431343a33303a30322e313536373835372b30303a3030222c224964223a226a6f62732f3130653830306238396166353463306161376438646131326233633662376463222c224e616d65223a22616464206d616368696e65732f3365666330366566656538353435616361343238306236396266333431343262222c2243726561746564223a22323032362d31322d30315431343a33303a30322e313238363030372b30303a3030222c2255706461746564223a22323032362d31322d30315431343a33303a30322e313536373837332b30303a3030227d7d', '2026-12-01 14:30:02.157287+00', 2);
INSERT INTO public.orleansstorage VALUES ('cimigrains', 1689203557, -1484531032, 0, 0, 'machine', 'demo/3efc06efee8545aca4280b69bf34142b', '\x7b224d616368696e65223a7b225374617465223a31322c22437075223a312c224d656d6f7279223a3236323134342c224d616368696e65496d616765223a7b2248726566223a226d616368696e65496d616765732f64656d6f227d2c224d616368696e65436f6e666967223a7b2248726566223a226d616368696e65436f6e666967732f736d616c6c227d2c224964223a226d616368696e65732f3365666330366566656538353435616361343238306236396266333431343262222c224e616d65223a22717565756564222c2243726561746564223a22323032362d31322d30315431343a33303a30322e313130333236332b30303a3030222c2255706461746564223a22323032362d31322d30315431343a33303a30322e313130333236332b30303a3030227d2c2253706563223a7b22496d6167654c6f636174696f6e223a22646f636b65723a63696d69677261696e732f64656d6f3a6c6174657374222c22437075223a312c224d656d6f72794b6942223a3236323134342c2254656e616e744964223a2264656d6f222c2253746172744166746572437265617465223a747275657d2c22496e697469616c5374617465223a322c2247656e65726174696f6e223a317d', '2026-12-01 14:30:02.163096+00', 3);
INSERT INTO public.orleansstorage VALUES ('cimigrains', -1531479185, 1760384348, 0, 0, 'job', 'demo/967e911fa2ca477f91f6c3917e408e67', '\x7b225265736f75726365223a7b225374617465223a322c225461726765745265736f75726365223a7b2248726566223a226d616368696e65732f6139656565616566646235323436666539353361373736353964663936356362227d2c2241666665637465645265736f7572636573223a5b7b2248726566223a226d616368696e65732f6139656565616566646235323436666539353361373736353964663936356362227d5d2c22416374696f6e223a2264656c657465222c2252657475726e436f6465223a302c2250726f6772657373223a3130302c225374617475734d657373616765223a22546865204d616368696e65207761732064656c657465643b20686f7374205c7530303237757067726164652d686f73745c753030323720697320617761792c20736f2069747320776f726b6c6f61642069732072656d6f766564207768656e2074686520686f73745c753030323773206167656e74207265636f6e6e656374732e222c2254696d654f665374617475734368616e6765223a22323032362d31322d30315431343a33303a31302e333437333334362b30303a3030222c224964223a226a6f62732f3936376539313166613263613437376639316636633339313765343038653637222c224e616d65223a2264656c657465206d616368696e65732f6139656565616566646235323436666539353361373736353964663936356362222c2243726561746564223a22323032362d31322d30315431343a33303a31302e333130343033372b30303a3030222c2255706461746564223a22323032362d31322d30315431343a33303a31302e333437333335382b30303a3030227d7d', '2026-12-01 14:30:10.348165+00', 2);


--
-- Name: cimi_resource_count_epoch; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.cimi_resource_count_epoch', 14, true);


--
-- Name: cimi_resource_count cimi_resource_count_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_resource_count
    ADD CONSTRAINT cimi_resource_count_pkey PRIMARY KEY (tenant_id, kind);


--
-- Name: cimi_resource_facet_count cimi_resource_facet_count_tenant_id_kind_doc_state_doc_cpu__key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_resource_facet_count
    ADD CONSTRAINT cimi_resource_facet_count_tenant_id_kind_doc_state_doc_cpu__key UNIQUE NULLS NOT DISTINCT (tenant_id, kind, doc_state, doc_cpu, doc_memory);


--
-- Name: cimi_resource cimi_resource_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_resource
    ADD CONSTRAINT cimi_resource_pkey PRIMARY KEY (tenant_id, kind, id);


--
-- Name: cimi_schema_version cimi_schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_schema_version
    ADD CONSTRAINT cimi_schema_version_pkey PRIMARY KEY (script);


--
-- Name: cimi_tenant cimi_tenant_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_tenant
    ADD CONSTRAINT cimi_tenant_pkey PRIMARY KEY (id);


--
-- Name: cimi_user cimi_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_user
    ADD CONSTRAINT cimi_user_pkey PRIMARY KEY (username);


--
-- Name: orleansquery orleansquery_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orleansquery
    ADD CONSTRAINT orleansquery_key PRIMARY KEY (querykey);


--
-- Name: orleansmembershiptable pk_membershiptable_deploymentid; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orleansmembershiptable
    ADD CONSTRAINT pk_membershiptable_deploymentid PRIMARY KEY (deploymentid, address, port, generation);


--
-- Name: orleansmembershipversiontable pk_orleansmembershipversiontable_deploymentid; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orleansmembershipversiontable
    ADD CONSTRAINT pk_orleansmembershipversiontable_deploymentid PRIMARY KEY (deploymentid);


--
-- Name: orleansreminderstable pk_reminderstable_serviceid_grainid_remindername; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orleansreminderstable
    ADD CONSTRAINT pk_reminderstable_serviceid_grainid_remindername PRIMARY KEY (serviceid, grainid, remindername);


--
-- Name: orleansstorage uq_orleansstorage_grain; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orleansstorage
    ADD CONSTRAINT uq_orleansstorage_grain UNIQUE NULLS NOT DISTINCT (serviceid, grainidhash, graintypehash, grainidn0, grainidn1, graintypestring, grainidextensionstring);


--
-- Name: cimi_resource_doc_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_doc_idx ON public.cimi_resource USING gin (doc jsonb_path_ops);


--
-- Name: cimi_resource_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_id_idx ON public.cimi_resource USING btree (tenant_id, id);


--
-- Name: cimi_resource_membership_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_membership_idx ON public.cimi_resource_membership USING btree (tenant_id, kind, version);


--
-- Name: cimi_resource_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_name_idx ON public.cimi_resource USING btree (tenant_id, kind, name, id);


--
-- Name: cimi_resource_page_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_page_idx ON public.cimi_resource USING btree (tenant_id, kind, created, id);


--
-- Name: cimi_resource_state_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_state_idx ON public.cimi_resource USING btree (tenant_id, kind, ((doc ->> 'state'::text)));


--
-- Name: cimi_resource_state_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_resource_state_name_idx ON public.cimi_resource USING btree (tenant_id, kind, doc_state, name, created, id) INCLUDE (doc_cpu, doc_memory);


--
-- Name: cimi_user_tenant_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cimi_user_tenant_idx ON public.cimi_user USING btree (tenant_id);


--
-- Name: ix_reminderstable_serviceid_grainhash; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_reminderstable_serviceid_grainhash ON public.orleansreminderstable USING btree (serviceid, grainhash);


--
-- Name: cimi_resource cimi_resource_counts_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER cimi_resource_counts_delete AFTER DELETE ON public.cimi_resource REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION public.cimi_resource_counts_deleted();


--
-- Name: cimi_resource cimi_resource_counts_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER cimi_resource_counts_insert AFTER INSERT ON public.cimi_resource REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.cimi_resource_counts_inserted();


--
-- Name: cimi_resource cimi_resource_counts_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER cimi_resource_counts_truncate AFTER TRUNCATE ON public.cimi_resource FOR EACH STATEMENT EXECUTE FUNCTION public.cimi_resource_counts_truncated();


--
-- Name: cimi_resource cimi_resource_counts_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER cimi_resource_counts_update AFTER UPDATE ON public.cimi_resource FOR EACH ROW WHEN ((((((old.tenant_id IS DISTINCT FROM new.tenant_id) OR (old.kind IS DISTINCT FROM new.kind)) OR (old.doc_state IS DISTINCT FROM new.doc_state)) OR (old.doc_cpu IS DISTINCT FROM new.doc_cpu)) OR (old.doc_memory IS DISTINCT FROM new.doc_memory))) EXECUTE FUNCTION public.cimi_resource_counts_updated();


--
-- Name: cimi_user cimi_user_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cimi_user
    ADD CONSTRAINT cimi_user_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.cimi_tenant(id);


--
-- Name: orleansmembershiptable fk_membershiptable_membershipversiontable_deploymentid; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orleansmembershiptable
    ADD CONSTRAINT fk_membershiptable_membershipversiontable_deploymentid FOREIGN KEY (deploymentid) REFERENCES public.orleansmembershipversiontable(deploymentid);


--
-- PostgreSQL database dump complete
--


