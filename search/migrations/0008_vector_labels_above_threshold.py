from django.db import migrations

# Enrichment now keeps the classifier's class probabilities down to 0.001 (dozens of labels per version)
# so that concept scores can sum them. The vector side tables copy a version's vector once per concept it
# is labelled with; they serve "labelled with" filters (statement.CONCEPT_THRESHOLD, 0.15), so only labels
# of at least that confidence are copied, as many rows as before. tests/search/test_vectors.py checks the
# number against the statement's constant.
THRESHOLD = 0.15

ABOVE_THRESHOLD = f"""
CREATE OR REPLACE VIEW search_vector_concept AS
    SELECT version_id, concept_id FROM enrichment_machinelabel WHERE confidence >= {THRESHOLD}
    UNION
    SELECT av.id, d.concept_id FROM enrichment_labeldecision d JOIN assets_assetversion av ON av.asset_id = d.asset_id
    WHERE d.decision = 'added';

CREATE OR REPLACE FUNCTION search_vector_on_label() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.confidence >= {THRESHOLD} THEN
        PERFORM search_vector_forget_label(OLD.version_id, OLD.concept_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.confidence >= {THRESHOLD} THEN
        PERFORM search_vector_add_label(NEW.version_id, NEW.concept_id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER search_vector_sync AFTER INSERT OR DELETE OR UPDATE OF version_id, concept_id, confidence
    ON enrichment_machinelabel FOR EACH ROW EXECUTE FUNCTION search_vector_on_label();

DELETE FROM search_vector_label l
 WHERE NOT EXISTS (SELECT 1 FROM search_vector_concept c WHERE c.version_id = l.version_id AND c.concept_id = l.concept_id);
"""

EVERY_LABEL = """
CREATE OR REPLACE VIEW search_vector_concept AS
    SELECT version_id, concept_id FROM enrichment_machinelabel
    UNION
    SELECT av.id, d.concept_id FROM enrichment_labeldecision d JOIN assets_assetversion av ON av.asset_id = d.asset_id
    WHERE d.decision = 'added';

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

CREATE OR REPLACE TRIGGER search_vector_sync AFTER INSERT OR DELETE OR UPDATE OF version_id, concept_id
    ON enrichment_machinelabel FOR EACH ROW EXECUTE FUNCTION search_vector_on_label();

INSERT INTO search_vector_label (model_id, concept_id, version_id, half)
SELECT v.model_id, c.concept_id, v.version_id, v.half FROM search_vector v
  JOIN search_vector_concept c ON c.version_id = v.version_id ON CONFLICT DO NOTHING;
"""


class Migration(migrations.Migration):
    """The vector side tables copy labels of at least the "labelled with" threshold, not every stored one."""

    dependencies = [("search", "0007_document_colours")]
    operations = [migrations.RunSQL(ABOVE_THRESHOLD, EVERY_LABEL)]
