-- more_like_this_with_words: SearchQuery(text='tabby', similar_to='8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11')
-- ranked by the vectors of model run 9101 (hnsw plan)

-- page statement
-- sent first, in the same round trip: SELECT set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.max_scan_tuples', '2000', true), set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)
WITH filtered AS NOT MATERIALIZED (SELECT d.asset_id, a.current_version_id AS version_id, a.created_at, d.taken_at, d.document, d.colours, d.colour_shares
  FROM search_searchdocument d
  JOIN assets_asset a ON a.id = d.asset_id
  WHERE d.asset_id IN (SELECT "assets_asset"."id" AS "id"
    FROM "assets_asset"
    WHERE (("assets_asset"."owner_id" = %s OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s, %s, %s, %s))) OFFSET 0))
      AND (NOT ("assets_asset"."moderation_state" IN (%s, %s)) OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s))) OFFSET 0) OR ("assets_asset"."owner_id" = %s
          AND "assets_asset"."moderation_state" = %s))
      AND "assets_asset"."deleted_at" IS NULL))
  AND a.uid <> %s),
query_concepts AS (SELECT *
  FROM unnest(%s::int[], %s::varchar[]) AS q(group_no, concept_id)),
expanded AS (SELECT DISTINCT ON (q.group_no, c.id) q.group_no, q.concept_id AS query_concept, c.id AS concept_id, c.id = q.concept_id AS exact
  FROM query_concepts q
  JOIN ontology_concept c ON c.id = q.concept_id OR c.ancestors @> ARRAY[q.concept_id]
  ORDER BY q.group_no, c.id, c.id = q.concept_id DESC),
labels AS (SELECT f.asset_id, e.group_no, e.query_concept, e.concept_id, e.exact, al.confidence, al.model_id, al.source
  FROM expanded e
  CROSS JOIN LATERAL (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text
    FROM (SELECT "enrichment_machinelabel"."version_id" AS "version_id", "enrichment_machinelabel"."concept_id" AS "concept_id", "enrichment_machinelabel"."confidence" AS "confidence", "enrichment_machinelabel"."model_id" AS "model_id", "enrichment_modelrun"."capability" AS "source"
      FROM "enrichment_machinelabel"
      INNER JOIN "enrichment_modelrun" ON ("enrichment_machinelabel"."model_id" = "enrichment_modelrun"."id")
      INNER JOIN "assets_assetversion" ON ("enrichment_machinelabel"."version_id" = "assets_assetversion"."id")
      WHERE ("enrichment_modelrun"."active"
        AND NOT (EXISTS(SELECT %s AS "a"
            FROM "enrichment_labeldecision" U0
            WHERE (U0."asset_id" = ("assets_assetversion"."asset_id")
              AND U0."concept_id" = ("enrichment_machinelabel"."concept_id")
              AND U0."decision" = %s)
            LIMIT 1)))) ml
    JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id
    WHERE ml.concept_id = e.concept_id
    AND ml.confidence >= CASE WHEN e.exact THEN 0.001 ELSE 0.005 END
    UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text
    FROM (SELECT ld.asset_id, ld.concept_id
      FROM enrichment_labeldecision ld
      WHERE ld.decision = 'added') added
    WHERE added.concept_id = e.concept_id) al
  JOIN filtered f ON f.asset_id = al.asset_id),
model_scores AS (SELECT asset_id, group_no, CASE WHEN source = 'person' THEN 1.0 WHEN source = 'detect' THEN %s * max(confidence) ELSE least(1.0, sum(confidence)) END AS score
  FROM labels
  GROUP BY asset_id, group_no, model_id, source),
group_scores AS (SELECT asset_id, group_no, 1 - exp(sum(ln(greatest(1 - score, 1e-9)))) AS score
  FROM model_scores
  GROUP BY asset_id, group_no),
concept_hits AS (SELECT asset_id, ((greatest(count(*) FILTER (WHERE score >= %s) - 1, 0) + sum(score) / %s) / %s)::float8 AS score
  FROM group_scores
  GROUP BY asset_id),
text_query AS (SELECT to_tsquery('english', %s) AS q, to_tsquery('english', %s) AS highlight),
text_words AS MATERIALIZED (SELECT to_tsquery('english', w.people) AS people, to_tsquery('english', w.anywhere) AS anywhere, w.ocr
  FROM unnest(%s::text[], %s::text[], %s::bool[]) AS w(people, anywhere, ocr)),
text_hits AS (SELECT asset_id, score
  FROM (SELECT f.asset_id, (SELECT sum(CASE WHEN f.document @@ w.people THEN 1.0 WHEN w.ocr
        AND f.document @@ w.anywhere THEN %s ELSE 0 END) / greatest(count(*), 1)
      FROM text_words w)::float8 AS score
    FROM filtered f
    CROSS JOIN text_query t
    WHERE f.document @@ t.q) scored
  WHERE score > 0),
query_vector AS (SELECT e.vector
  FROM enrichment_embedding e
  JOIN assets_asset a ON a.current_version_id = e.version_id
  WHERE e.model_id = 9101
  AND a.uid = %s
  AND a.id IN (SELECT "assets_asset"."id" AS "id"
    FROM "assets_asset"
    WHERE (("assets_asset"."owner_id" = %s OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s, %s, %s, %s))) OFFSET 0))
      AND (NOT ("assets_asset"."moderation_state" IN (%s, %s)) OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s))) OFFSET 0) OR ("assets_asset"."owner_id" = %s
          AND "assets_asset"."moderation_state" = %s))
      AND "assets_asset"."deleted_at" IS NULL))),
vector_nearest AS (WITH approximate AS MATERIALIZED (SELECT l.version_id, (l.half::halfvec(3)) <=> (SELECT ((SELECT vector
          FROM query_vector))::halfvec(3))::halfvec(3) AS distance
    FROM search_vector l
    WHERE l.model_id = 9101
    AND true
    AND true
    AND (SELECT true
      FROM (SELECT version_id
        FROM filtered) AS f(version_id)
      WHERE f.version_id = l.version_id
      LIMIT 1)
    ORDER BY distance
    LIMIT 50),
  capped AS MATERIALIZED (SELECT version_id
    FROM (SELECT version_id
      FROM filtered) AS f(version_id)
    LIMIT 20001),
  fallback AS MATERIALIZED (SELECT (SELECT count(*)
      FROM approximate) < 50
    AND (SELECT count(*)
      FROM capped) <= 20000 AS use_exact)
  SELECT *
  FROM ((SELECT *
      FROM approximate
      WHERE distance <= 0.5
      AND NOT (SELECT use_exact
        FROM fallback))
    UNION ALL (SELECT *
      FROM (SELECT l.version_id, (l.half::halfvec(3)) <=> (SELECT ((SELECT vector
              FROM query_vector))::halfvec(3))::halfvec(3) AS distance
        FROM search_vector l
        WHERE l.model_id = 9101
        AND true
        AND (l.half::halfvec(3)) <=> (SELECT ((SELECT vector
              FROM query_vector))::halfvec(3))::halfvec(3) <= 0.5
        AND (SELECT true
          FROM (SELECT version_id
            FROM filtered) AS f(version_id)
          WHERE f.version_id = l.version_id
          LIMIT 1)
        ORDER BY distance
        LIMIT 50) AS relocated
      WHERE NOT (SELECT use_exact
        FROM fallback)
      AND NOT EXISTS (SELECT 1
        FROM approximate
        WHERE distance <= 0.5))
    UNION ALL (SELECT *
      FROM (SELECT f.version_id, v.distance
        FROM capped AS f(version_id)
        CROSS JOIN LATERAL (SELECT s.half <=> (SELECT ((SELECT vector
                FROM query_vector))::halfvec(3))::halfvec AS distance
          FROM search_vector s
          WHERE s.version_id = f.version_id
          AND s.model_id = 9101 OFFSET 0) AS v
        WHERE v.distance <= 0.5
        ORDER BY v.distance
        LIMIT 50) AS exact
      WHERE (SELECT use_exact
        FROM fallback))) AS nearest
  ORDER BY distance),
vector_hits AS (SELECT a.id AS asset_id, (1 - n.distance)::float8 AS score
  FROM vector_nearest n
  JOIN assets_asset a ON a.current_version_id = n.version_id),
evidence AS (SELECT asset_id, 'concept' AS source, score
  FROM concept_hits
  UNION ALL SELECT asset_id, 'text' AS source, score
  FROM text_hits
  UNION ALL SELECT asset_id, 'vector' AS source, score
  FROM vector_hits),
ranked_evidence AS (SELECT asset_id, source, score, rank() OVER (PARTITION BY source
    ORDER BY score DESC) AS source_rank
  FROM evidence),
fused AS (SELECT asset_id, sum(1.0 / (%s + source_rank))::float8 AS rrf, sum(score * CASE source WHEN 'concept' THEN %s WHEN 'text' THEN %s ELSE %s END)::float8 AS weighted, max(score) FILTER (WHERE source = 'concept') AS concept_score, max(score) FILTER (WHERE source = 'text') AS text_score, max(score) FILTER (WHERE source = 'vector') AS vector_score
  FROM ranked_evidence
  GROUP BY asset_id),
scored AS (SELECT s.*, a.current_version_id AS version_id, a.created_at, d.taken_at
  FROM fused s
  JOIN assets_asset a ON a.id = s.asset_id
  JOIN search_searchdocument d ON d.asset_id = s.asset_id),
results AS (SELECT s.*, s.weighted AS score, (s.weighted)::float8 AS sort_key, count(*) OVER () AS total
  FROM scored s),
page AS (SELECT *
  FROM results
  ORDER BY sort_key DESC, asset_id DESC
  LIMIT %s)
SELECT p.asset_id, p.score, p.sort_key, p.total, p.concept_score, p.text_score, p.vector_score, (SELECT jsonb_agg(jsonb_build_object('phrase', (%s::text[])[l.group_no + 1], 'query_concept', l.query_concept, 'query_label', qc.pref_label, 'concept', l.concept_id, 'label', lc.pref_label, 'exact', l.exact, 'confidence', round(l.confidence::numeric, 3), 'model', coalesce(m.name, 'person'))
    ORDER BY l.group_no, l.exact DESC, l.confidence DESC)
  FROM (SELECT *, row_number() OVER (PARTITION BY group_no
      ORDER BY exact DESC, confidence DESC, concept_id) AS place
    FROM labels
    WHERE asset_id = p.asset_id) l
  JOIN ontology_concept lc ON lc.id = l.concept_id
  JOIN ontology_concept qc ON qc.id = l.query_concept
  LEFT JOIN enrichment_modelrun m ON m.id = l.model_id
  WHERE l.place <= %s), NULL::jsonb, ARRAY(SELECT w::text
  FROM unnest('{a,b,c,d}'::"char"[]) AS w
  WHERE ts_filter(d.document, ARRAY[w]) @@ t.highlight), CASE WHEN ts_filter(d.document, '{c}') @@ t.highlight THEN ts_headline('english', d.caption, t.highlight, %s) END, CASE WHEN ts_filter(d.document, '{d}') @@ t.highlight THEN ts_headline('english', d.ocr_text, t.highlight, %s) END, %s::text, a.uid, a.title, a.current_version_id, v.format, v.width, v.height
FROM page p
JOIN search_searchdocument d ON d.asset_id = p.asset_id
JOIN assets_asset a ON a.id = p.asset_id
LEFT JOIN assets_assetversion v ON v.id = a.current_version_id
CROSS JOIN text_query t
ORDER BY p.sort_key DESC, p.asset_id DESC;
-- parameters, in the order of their placeholders:
--   1: 4242
--   2: 4242
--   3: 4242
--   4: 'viewer'
--   5: 'contributor'
--   6: 'editor'
--   7: 'moderator'
--   8: 'admin'
--   9: Asset.Moderation.PENDING
--   10: Asset.Moderation.REJECTED
--   11: 4242
--   12: 4242
--   13: 'moderator'
--   14: 'admin'
--   15: 4242
--   16: Asset.Moderation.PENDING
--   17: '8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11'
--   18: [0]
--   19: ['n02123045']
--   20: Int4(1)
--   21: LabelDecision.Decision.REJECTED
--   22: 0.5
--   23: 0.05
--   24: 1
--   25: 1
--   26: '(tabby)'
--   27: '((tabby))'
--   28: ['(tabby:abc)']
--   29: ['(tabby)']
--   30: [False]
--   31: 0.5
--   32: '8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11'
--   33: 4242
--   34: 4242
--   35: 4242
--   36: 'viewer'
--   37: 'contributor'
--   38: 'editor'
--   39: 'moderator'
--   40: 'admin'
--   41: Asset.Moderation.PENDING
--   42: Asset.Moderation.REJECTED
--   43: 4242
--   44: 4242
--   45: 'moderator'
--   46: 'admin'
--   47: 4242
--   48: Asset.Moderation.PENDING
--   49: 60
--   50: 0.5
--   51: 0.3
--   52: 0.2
--   53: 25
--   54: ['tabby']
--   55: 5
--   56: 'StartSel=\ue000, StopSel=\ue001, MaxWords=18, MinWords=6, MaxFragments=2'
--   57: 'StartSel=\ue000, StopSel=\ue001, MaxWords=18, MinWords=6, MaxFragments=2'
--   58: 'similarity-model'

-- facet statement
-- sent first, in the same round trip: SELECT set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.max_scan_tuples', '2000', true), set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)
WITH filtered AS NOT MATERIALIZED (SELECT d.asset_id, a.current_version_id AS version_id, a.created_at, d.taken_at, d.document, d.colours, d.colour_shares
  FROM search_searchdocument d
  JOIN assets_asset a ON a.id = d.asset_id
  WHERE d.asset_id IN (SELECT "assets_asset"."id" AS "id"
    FROM "assets_asset"
    WHERE (("assets_asset"."owner_id" = %s OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s, %s, %s, %s))) OFFSET 0))
      AND (NOT ("assets_asset"."moderation_state" IN (%s, %s)) OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s))) OFFSET 0) OR ("assets_asset"."owner_id" = %s
          AND "assets_asset"."moderation_state" = %s))
      AND "assets_asset"."deleted_at" IS NULL))
  AND a.uid <> %s),
query_concepts AS (SELECT *
  FROM unnest(%s::int[], %s::varchar[]) AS q(group_no, concept_id)),
expanded AS (SELECT DISTINCT ON (q.group_no, c.id) q.group_no, q.concept_id AS query_concept, c.id AS concept_id, c.id = q.concept_id AS exact
  FROM query_concepts q
  JOIN ontology_concept c ON c.id = q.concept_id OR c.ancestors @> ARRAY[q.concept_id]
  ORDER BY q.group_no, c.id, c.id = q.concept_id DESC),
labels AS (SELECT f.asset_id, e.group_no, e.query_concept, e.concept_id, e.exact, al.confidence, al.model_id, al.source
  FROM expanded e
  CROSS JOIN LATERAL (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text
    FROM (SELECT "enrichment_machinelabel"."version_id" AS "version_id", "enrichment_machinelabel"."concept_id" AS "concept_id", "enrichment_machinelabel"."confidence" AS "confidence", "enrichment_machinelabel"."model_id" AS "model_id", "enrichment_modelrun"."capability" AS "source"
      FROM "enrichment_machinelabel"
      INNER JOIN "enrichment_modelrun" ON ("enrichment_machinelabel"."model_id" = "enrichment_modelrun"."id")
      INNER JOIN "assets_assetversion" ON ("enrichment_machinelabel"."version_id" = "assets_assetversion"."id")
      WHERE ("enrichment_modelrun"."active"
        AND NOT (EXISTS(SELECT %s AS "a"
            FROM "enrichment_labeldecision" U0
            WHERE (U0."asset_id" = ("assets_assetversion"."asset_id")
              AND U0."concept_id" = ("enrichment_machinelabel"."concept_id")
              AND U0."decision" = %s)
            LIMIT 1)))) ml
    JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id
    WHERE ml.concept_id = e.concept_id
    AND ml.confidence >= CASE WHEN e.exact THEN 0.001 ELSE 0.005 END
    UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text
    FROM (SELECT ld.asset_id, ld.concept_id
      FROM enrichment_labeldecision ld
      WHERE ld.decision = 'added') added
    WHERE added.concept_id = e.concept_id) al
  JOIN filtered f ON f.asset_id = al.asset_id),
model_scores AS (SELECT asset_id, group_no, CASE WHEN source = 'person' THEN 1.0 WHEN source = 'detect' THEN %s * max(confidence) ELSE least(1.0, sum(confidence)) END AS score
  FROM labels
  GROUP BY asset_id, group_no, model_id, source),
group_scores AS (SELECT asset_id, group_no, 1 - exp(sum(ln(greatest(1 - score, 1e-9)))) AS score
  FROM model_scores
  GROUP BY asset_id, group_no),
concept_hits AS (SELECT asset_id, ((greatest(count(*) FILTER (WHERE score >= %s) - 1, 0) + sum(score) / %s) / %s)::float8 AS score
  FROM group_scores
  GROUP BY asset_id),
text_query AS (SELECT to_tsquery('english', %s) AS q, to_tsquery('english', %s) AS highlight),
text_words AS MATERIALIZED (SELECT to_tsquery('english', w.people) AS people, to_tsquery('english', w.anywhere) AS anywhere, w.ocr
  FROM unnest(%s::text[], %s::text[], %s::bool[]) AS w(people, anywhere, ocr)),
text_hits AS (SELECT asset_id, score
  FROM (SELECT f.asset_id, (SELECT sum(CASE WHEN f.document @@ w.people THEN 1.0 WHEN w.ocr
        AND f.document @@ w.anywhere THEN %s ELSE 0 END) / greatest(count(*), 1)
      FROM text_words w)::float8 AS score
    FROM filtered f
    CROSS JOIN text_query t
    WHERE f.document @@ t.q) scored
  WHERE score > 0),
query_vector AS (SELECT e.vector
  FROM enrichment_embedding e
  JOIN assets_asset a ON a.current_version_id = e.version_id
  WHERE e.model_id = 9101
  AND a.uid = %s
  AND a.id IN (SELECT "assets_asset"."id" AS "id"
    FROM "assets_asset"
    WHERE (("assets_asset"."owner_id" = %s OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s, %s, %s, %s))) OFFSET 0))
      AND (NOT ("assets_asset"."moderation_state" IN (%s, %s)) OR EXISTS (SELECT 1
          FROM assets_asset_collections gate_m
          WHERE gate_m.asset_id = "assets_asset"."id"
          AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id
              FROM assets_collectionrole gate_r
              WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id
                  FROM auth_user_groups gate_g
                  WHERE gate_g.user_id = %s))
              AND gate_r.role IN (%s, %s))) OFFSET 0) OR ("assets_asset"."owner_id" = %s
          AND "assets_asset"."moderation_state" = %s))
      AND "assets_asset"."deleted_at" IS NULL))),
vector_nearest AS (WITH approximate AS MATERIALIZED (SELECT l.version_id, (l.half::halfvec(3)) <=> (SELECT ((SELECT vector
          FROM query_vector))::halfvec(3))::halfvec(3) AS distance
    FROM search_vector l
    WHERE l.model_id = 9101
    AND true
    AND true
    AND (SELECT true
      FROM (SELECT version_id
        FROM filtered) AS f(version_id)
      WHERE f.version_id = l.version_id
      LIMIT 1)
    ORDER BY distance
    LIMIT 50),
  capped AS MATERIALIZED (SELECT version_id
    FROM (SELECT version_id
      FROM filtered) AS f(version_id)
    LIMIT 20001),
  fallback AS MATERIALIZED (SELECT (SELECT count(*)
      FROM approximate) < 50
    AND (SELECT count(*)
      FROM capped) <= 20000 AS use_exact)
  SELECT *
  FROM ((SELECT *
      FROM approximate
      WHERE distance <= 0.5
      AND NOT (SELECT use_exact
        FROM fallback))
    UNION ALL (SELECT *
      FROM (SELECT l.version_id, (l.half::halfvec(3)) <=> (SELECT ((SELECT vector
              FROM query_vector))::halfvec(3))::halfvec(3) AS distance
        FROM search_vector l
        WHERE l.model_id = 9101
        AND true
        AND (l.half::halfvec(3)) <=> (SELECT ((SELECT vector
              FROM query_vector))::halfvec(3))::halfvec(3) <= 0.5
        AND (SELECT true
          FROM (SELECT version_id
            FROM filtered) AS f(version_id)
          WHERE f.version_id = l.version_id
          LIMIT 1)
        ORDER BY distance
        LIMIT 50) AS relocated
      WHERE NOT (SELECT use_exact
        FROM fallback)
      AND NOT EXISTS (SELECT 1
        FROM approximate
        WHERE distance <= 0.5))
    UNION ALL (SELECT *
      FROM (SELECT f.version_id, v.distance
        FROM capped AS f(version_id)
        CROSS JOIN LATERAL (SELECT s.half <=> (SELECT ((SELECT vector
                FROM query_vector))::halfvec(3))::halfvec AS distance
          FROM search_vector s
          WHERE s.version_id = f.version_id
          AND s.model_id = 9101 OFFSET 0) AS v
        WHERE v.distance <= 0.5
        ORDER BY v.distance
        LIMIT 50) AS exact
      WHERE (SELECT use_exact
        FROM fallback))) AS nearest
  ORDER BY distance),
vector_hits AS (SELECT a.id AS asset_id, (1 - n.distance)::float8 AS score
  FROM vector_nearest n
  JOIN assets_asset a ON a.current_version_id = n.version_id),
evidence AS (SELECT asset_id, 'concept' AS source, score
  FROM concept_hits
  UNION ALL SELECT asset_id, 'text' AS source, score
  FROM text_hits
  UNION ALL SELECT asset_id, 'vector' AS source, score
  FROM vector_hits),
ranked_evidence AS (SELECT asset_id, source, score, rank() OVER (PARTITION BY source
    ORDER BY score DESC) AS source_rank
  FROM evidence),
fused AS (SELECT asset_id, sum(1.0 / (%s + source_rank))::float8 AS rrf, sum(score * CASE source WHEN 'concept' THEN %s WHEN 'text' THEN %s ELSE %s END)::float8 AS weighted, max(score) FILTER (WHERE source = 'concept') AS concept_score, max(score) FILTER (WHERE source = 'text') AS text_score, max(score) FILTER (WHERE source = 'vector') AS vector_score
  FROM ranked_evidence
  GROUP BY asset_id),
scored AS (SELECT s.*, a.current_version_id AS version_id, a.created_at, d.taken_at
  FROM fused s
  JOIN assets_asset a ON a.id = s.asset_id
  JOIN search_searchdocument d ON d.asset_id = s.asset_id),
results AS (SELECT s.*, s.weighted AS score, (s.weighted)::float8 AS sort_key, count(*) OVER () AS total
  FROM scored s),
facet_hits AS MATERIALIZED (SELECT asset_id, version_id, total, CASE WHEN EXISTS (SELECT 1
    FROM (SELECT "governance_usagerights"."asset_id" AS "asset_id"
      FROM "governance_usagerights"
      WHERE (("governance_usagerights"."starts_on" IS NULL OR "governance_usagerights"."starts_on" <= %s)
        AND ("governance_usagerights"."expires_on" IS NULL OR "governance_usagerights"."expires_on" >= %s))) r
    WHERE r.asset_id = sampled.asset_id OFFSET 0) THEN 'usable' WHEN EXISTS (SELECT 1
    FROM (SELECT "governance_usagerights"."asset_id" AS "asset_id"
      FROM "governance_usagerights") r
    WHERE r.asset_id = sampled.asset_id OFFSET 0) THEN 'not_usable' ELSE 'unknown' END AS rights_status
  FROM (SELECT asset_id, version_id, total
    FROM results
    WHERE total <= %s OR hashint8(asset_id)::int8 + 2147483648 < 4294967296 * %s / total) sampled),
facet_scale AS (SELECT coalesce(max(total)::float8 / nullif(count(*), 0), 1) AS factor, coalesce(max(total), 0) > %s AS approximate
  FROM facet_hits)
SELECT facet, value, NULL::text AS label, count, approximate
FROM (SELECT CASE WHEN GROUPING(d.format) = 0 THEN 'format' WHEN GROUPING(d.orientation) = 0 THEN 'orientation' WHEN GROUPING(d.creator) = 0 THEN 'creator' WHEN GROUPING(d.camera) = 0 THEN 'camera' WHEN GROUPING(r.rights_status) = 0 THEN 'rights' ELSE 'year' END AS facet, coalesce(d.format, d.orientation, d.creator, d.camera, r.rights_status, extract(year FROM coalesce(d.taken_at, a.created_at))::int::text) AS value, round(count(*) * (SELECT factor
      FROM facet_scale))::bigint, (SELECT approximate
    FROM facet_scale)
  FROM facet_hits r
  JOIN search_searchdocument d ON d.asset_id = r.asset_id
  JOIN assets_asset a ON a.id = r.asset_id
  GROUP BY GROUPING SETS ((d.format), (d.orientation), (d.creator), (d.camera), (r.rights_status), (extract(year FROM coalesce(d.taken_at, a.created_at))::int::text))) AS grouped(facet, value, count, approximate)
UNION ALL (SELECT 'concept', c.id, c.pref_label, round(count(DISTINCT r.asset_id) * (SELECT factor
      FROM facet_scale))::bigint, (SELECT approximate
    FROM facet_scale)
  FROM facet_hits r
  CROSS JOIN LATERAL (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text
    FROM (SELECT "enrichment_machinelabel"."version_id" AS "version_id", "enrichment_machinelabel"."concept_id" AS "concept_id", "enrichment_machinelabel"."confidence" AS "confidence", "enrichment_machinelabel"."model_id" AS "model_id", "enrichment_modelrun"."capability" AS "source"
      FROM "enrichment_machinelabel"
      INNER JOIN "enrichment_modelrun" ON ("enrichment_machinelabel"."model_id" = "enrichment_modelrun"."id")
      INNER JOIN "assets_assetversion" ON ("enrichment_machinelabel"."version_id" = "assets_assetversion"."id")
      WHERE ("enrichment_modelrun"."active"
        AND NOT (EXISTS(SELECT %s AS "a"
            FROM "enrichment_labeldecision" U0
            WHERE (U0."asset_id" = ("assets_assetversion"."asset_id")
              AND U0."concept_id" = ("enrichment_machinelabel"."concept_id")
              AND U0."decision" = %s)
            LIMIT 1)))) ml
    JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id
    WHERE ml.version_id = r.version_id
    UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text
    FROM (SELECT ld.asset_id, ld.concept_id
      FROM enrichment_labeldecision ld
      WHERE ld.decision = 'added') added
    WHERE added.asset_id = r.asset_id) al
  JOIN ontology_concept c ON c.id = al.concept_id
  WHERE al.confidence >= %s
  GROUP BY c.id, c.pref_label
  ORDER BY 4 DESC, 3
  LIMIT %s)
UNION ALL (SELECT 'person', p.id::text, p.name, round(count(DISTINCT r.asset_id) * (SELECT factor
      FROM facet_scale))::bigint, (SELECT approximate
    FROM facet_scale)
  FROM facet_hits r
  JOIN enrichment_facedescriptor fd ON fd.version_id = r.version_id
  JOIN enrichment_person p ON p.id = fd.person_id
  GROUP BY p.id, p.name
  ORDER BY 4 DESC, 3
  LIMIT %s)
UNION ALL (SELECT 'colour', c.name, NULL, round(count(DISTINCT r.asset_id) * (SELECT factor
      FROM facet_scale))::bigint, (SELECT approximate
    FROM facet_scale)
  FROM facet_hits r
  JOIN search_searchdocument d ON d.asset_id = r.asset_id
  CROSS JOIN LATERAL unnest(d.colours) AS c(name)
  GROUP BY c.name)
UNION ALL SELECT 'sense', s.id, NULL, (SELECT count(DISTINCT al.asset_id)
  FROM ontology_concept narrower
  CROSS JOIN LATERAL (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text
    FROM (SELECT "enrichment_machinelabel"."version_id" AS "version_id", "enrichment_machinelabel"."concept_id" AS "concept_id", "enrichment_machinelabel"."confidence" AS "confidence", "enrichment_machinelabel"."model_id" AS "model_id", "enrichment_modelrun"."capability" AS "source"
      FROM "enrichment_machinelabel"
      INNER JOIN "enrichment_modelrun" ON ("enrichment_machinelabel"."model_id" = "enrichment_modelrun"."id")
      INNER JOIN "assets_assetversion" ON ("enrichment_machinelabel"."version_id" = "assets_assetversion"."id")
      WHERE ("enrichment_modelrun"."active"
        AND NOT (EXISTS(SELECT %s AS "a"
            FROM "enrichment_labeldecision" U0
            WHERE (U0."asset_id" = ("assets_assetversion"."asset_id")
              AND U0."concept_id" = ("enrichment_machinelabel"."concept_id")
              AND U0."decision" = %s)
            LIMIT 1)))) ml
    JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id
    WHERE ml.concept_id = narrower.id
    UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text
    FROM (SELECT ld.asset_id, ld.concept_id
      FROM enrichment_labeldecision ld
      WHERE ld.decision = 'added') added
    WHERE added.concept_id = narrower.id) al
  WHERE (narrower.id = s.id OR narrower.ancestors @> ARRAY[s.id]::varchar[])
  AND al.confidence >= %s
  AND al.asset_id IN (SELECT asset_id
    FROM filtered)), false
FROM unnest(%s::varchar[]) AS s(id);
-- parameters, in the order of their placeholders:
--   1: 4242
--   2: 4242
--   3: 4242
--   4: 'viewer'
--   5: 'contributor'
--   6: 'editor'
--   7: 'moderator'
--   8: 'admin'
--   9: Asset.Moderation.PENDING
--   10: Asset.Moderation.REJECTED
--   11: 4242
--   12: 4242
--   13: 'moderator'
--   14: 'admin'
--   15: 4242
--   16: Asset.Moderation.PENDING
--   17: '8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11'
--   18: [0]
--   19: ['n02123045']
--   20: Int4(1)
--   21: LabelDecision.Decision.REJECTED
--   22: 0.5
--   23: 0.05
--   24: 1
--   25: 1
--   26: '(tabby)'
--   27: '((tabby))'
--   28: ['(tabby:abc)']
--   29: ['(tabby)']
--   30: [False]
--   31: 0.5
--   32: '8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11'
--   33: 4242
--   34: 4242
--   35: 4242
--   36: 'viewer'
--   37: 'contributor'
--   38: 'editor'
--   39: 'moderator'
--   40: 'admin'
--   41: Asset.Moderation.PENDING
--   42: Asset.Moderation.REJECTED
--   43: 4242
--   44: 4242
--   45: 'moderator'
--   46: 'admin'
--   47: 4242
--   48: Asset.Moderation.PENDING
--   49: 60
--   50: 0.5
--   51: 0.3
--   52: 0.2
--   53: datetime.date(2031, 1, 15)
--   54: datetime.date(2031, 1, 15)
--   55: 20000
--   56: 20000
--   57: 20000
--   58: Int4(1)
--   59: LabelDecision.Decision.REJECTED
--   60: 0.3
--   61: 15
--   62: 15
--   63: Int4(1)
--   64: LabelDecision.Decision.REJECTED
--   65: 0.15
--   66: ['n02123045']
