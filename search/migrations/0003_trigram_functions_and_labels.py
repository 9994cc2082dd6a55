from django.db import migrations

TRIGRAM_FUNCTIONS = """
CREATE OR REPLACE FUNCTION search_trigrams(word text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(p.padded, i, 3)), '{}')
    FROM (SELECT '  ' || lower(word) || ' ' AS padded) p, generate_series(1, length(word) + 1) AS i
$$;

CREATE OR REPLACE FUNCTION search_trigram_similarity(a text[], b text[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT count(*) FILTER (WHERE x = ANY(b))::float8
         / nullif(cardinality(a) + cardinality(b) - count(*) FILTER (WHERE x = ANY(b)), 0)
    FROM unnest(a) AS x
$$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS search_trigram_similarity(text[], text[]);
DROP FUNCTION IF EXISTS search_trigrams(text);
"""


def fill_labels(apps, schema_editor):
    """Fill the label table (search's then; ontology's migration 0003 renames it). Search's receiver of
    ``ontology.signals.labels_changed`` adds the label words to the typo vocabulary."""
    from ontology.labels import refresh_labels

    refresh_labels(apps.get_model("ontology", "Concept"), apps.get_model("search", "ConceptLabel"))


class Migration(migrations.Migration):
    """Trigram similarity in plain SQL (pg_trgm is not available) and the first fill of the label table."""

    dependencies = [("search", "0002_search_tables"), ("ontology", "0002_load_wordnet_concepts")]
    operations = [
        migrations.RunSQL(TRIGRAM_FUNCTIONS, DROP_FUNCTIONS),
        migrations.RunPython(fill_labels, migrations.RunPython.noop),
    ]
