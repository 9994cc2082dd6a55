from django.db import migrations

# The vectors' side tables (halfvec copies: per model, and per model and concept, clustered by concept),
# the view of each version's concepts, and the triggers that keep the copies in step with embeddings,
# machine labels and label decisions. ``search.vectors.ensure_vector_indexes`` opts a model in at run
# time (copies its vectors, builds its HNSW indexes). Until this migration the same SQL ran at that
# point, so every statement tolerates a database that already has these objects.
SIDE_TABLES = """
CREATE TABLE IF NOT EXISTS search_vector_model (model_id bigint PRIMARY KEY, dims integer NOT NULL);
CREATE TABLE IF NOT EXISTS search_vector (
    model_id bigint NOT NULL, version_id bigint NOT NULL, half halfvec STORAGE PLAIN NOT NULL,
    PRIMARY KEY (version_id, model_id));
CREATE TABLE IF NOT EXISTS search_vector_label (
    model_id bigint NOT NULL, concept_id varchar(64) NOT NULL, version_id bigint NOT NULL,
    half halfvec STORAGE PLAIN NOT NULL,
    PRIMARY KEY (model_id, concept_id, version_id));
CREATE INDEX IF NOT EXISTS search_vector_label_version ON search_vector_label (version_id);

-- The concepts of each version: its machine labels and the ones a person added to its asset.
CREATE OR REPLACE VIEW search_vector_concept AS
    SELECT version_id, concept_id FROM enrichment_machinelabel
    UNION
    SELECT av.id, d.concept_id FROM enrichment_labeldecision d JOIN assets_assetversion av ON av.asset_id = d.asset_id
    WHERE d.decision = 'added';

CREATE OR REPLACE FUNCTION search_vector_concepts(version bigint) RETURNS SETOF varchar LANGUAGE sql STABLE AS $$
    SELECT concept_id FROM search_vector_concept WHERE version_id = version
$$;

CREATE OR REPLACE FUNCTION search_vector_forget_label(version bigint, concept varchar) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM search_vector_label WHERE version_id = version AND concept_id = concept
    AND concept NOT IN (SELECT search_vector_concepts(version))
$$;

CREATE OR REPLACE FUNCTION search_vector_add_label(version bigint, concept varchar) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO search_vector_label (model_id, concept_id, version_id, half)
    SELECT model_id, concept, version, half FROM search_vector WHERE version_id = version
    ON CONFLICT DO NOTHING
$$;

CREATE OR REPLACE FUNCTION search_vector_on_embedding() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search_vector WHERE version_id = OLD.version_id AND model_id = OLD.model_id;
        DELETE FROM search_vector_label WHERE version_id = OLD.version_id AND model_id = OLD.model_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (SELECT 1 FROM search_vector_model WHERE model_id = NEW.model_id) THEN
        INSERT INTO search_vector (model_id, version_id, half)
        VALUES (NEW.model_id, NEW.version_id, NEW.vector::halfvec);
        INSERT INTO search_vector_label (model_id, concept_id, version_id, half)
        SELECT NEW.model_id, c, NEW.version_id, NEW.vector::halfvec FROM search_vector_concepts(NEW.version_id) AS c;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION search_vector_on_label() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM search_vector_forget_label(OLD.version_id, OLD.concept_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM search_vector_add_label(NEW.version_id, NEW.concept_id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION search_vector_on_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM search_vector_forget_label(av.id, OLD.concept_id) FROM assets_assetversion av
        WHERE av.asset_id = OLD.asset_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.decision = 'added' THEN
        PERFORM search_vector_add_label(av.id, NEW.concept_id) FROM assets_assetversion av
        WHERE av.asset_id = NEW.asset_id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION search_vector_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'enrichment_embedding' THEN
        TRUNCATE search_vector, search_vector_label;
    ELSE
        TRUNCATE search_vector_label;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER search_vector_sync AFTER INSERT OR DELETE OR UPDATE OF vector, version_id, model_id
    ON enrichment_embedding FOR EACH ROW EXECUTE FUNCTION search_vector_on_embedding();
CREATE OR REPLACE TRIGGER search_vector_sync AFTER INSERT OR DELETE OR UPDATE OF version_id, concept_id
    ON enrichment_machinelabel FOR EACH ROW EXECUTE FUNCTION search_vector_on_label();
CREATE OR REPLACE TRIGGER search_vector_sync AFTER INSERT OR DELETE OR UPDATE OF decision, asset_id, concept_id
    ON enrichment_labeldecision FOR EACH ROW EXECUTE FUNCTION search_vector_on_decision();
CREATE OR REPLACE TRIGGER search_vector_truncate AFTER TRUNCATE ON enrichment_embedding
    FOR EACH STATEMENT EXECUTE FUNCTION search_vector_on_truncate();
CREATE OR REPLACE TRIGGER search_vector_truncate AFTER TRUNCATE ON enrichment_machinelabel
    FOR EACH STATEMENT EXECUTE FUNCTION search_vector_on_truncate();
"""

DROP_SIDE_TABLES = """
DROP TRIGGER IF EXISTS search_vector_truncate ON enrichment_machinelabel;
DROP TRIGGER IF EXISTS search_vector_truncate ON enrichment_embedding;
DROP TRIGGER IF EXISTS search_vector_sync ON enrichment_labeldecision;
DROP TRIGGER IF EXISTS search_vector_sync ON enrichment_machinelabel;
DROP TRIGGER IF EXISTS search_vector_sync ON enrichment_embedding;
DROP FUNCTION IF EXISTS search_vector_on_truncate();
DROP FUNCTION IF EXISTS search_vector_on_decision();
DROP FUNCTION IF EXISTS search_vector_on_label();
DROP FUNCTION IF EXISTS search_vector_on_embedding();
DROP FUNCTION IF EXISTS search_vector_add_label(bigint, varchar);
DROP FUNCTION IF EXISTS search_vector_forget_label(bigint, varchar);
DROP FUNCTION IF EXISTS search_vector_concepts(bigint);
DROP VIEW IF EXISTS search_vector_concept;
DROP TABLE IF EXISTS search_vector_label, search_vector, search_vector_model;
"""


class Migration(migrations.Migration):
    """Vector search's side tables, view, functions and triggers, on every database after ``migrate``."""

    dependencies = [
        ("search", "0004_drop_duplicate_archive"),
        ("assets", "0001_initial"),
        ("enrichment", "0001_initial"),
    ]
    operations = [migrations.RunSQL(SIDE_TABLES, DROP_SIDE_TABLES)]
