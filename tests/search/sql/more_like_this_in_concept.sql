-- more_like_this_in_concept: SearchQuery(has_concepts=['n02121620'], similar_to='8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11')
-- ranked by the vectors of model run 9101 (label plan)

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
  AND EXISTS (SELECT 1
    FROM (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text
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
      WHERE ml.version_id = a.current_version_id
      UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text
      FROM (SELECT ld.asset_id, ld.concept_id
        FROM enrichment_labeldecision ld
        WHERE ld.decision = 'added') added
      WHERE added.asset_id = a.id) al
    JOIN ontology_concept c ON c.id = al.concept_id
    WHERE al.confidence >= %s
    AND (c.id = %s OR c.ancestors @> ARRAY[%s]::varchar[]))
  AND a.uid <> %s),
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
vector_nearest AS (SELECT c.version_id, c.distance
  FROM (SELECT l.version_id, min(l.half <=> (SELECT ((SELECT vector
            FROM query_vector))::halfvec(3))::halfvec) AS distance
    FROM search_vector_label l
    WHERE l.model_id = 9101
    AND l.concept_id = ANY(%s)
    GROUP BY l.version_id
    ORDER BY distance OFFSET 0) AS c
  WHERE c.distance <= 0.5
  AND (SELECT true
    FROM (SELECT version_id
      FROM filtered) AS f(version_id)
    WHERE f.version_id = c.version_id
    LIMIT 1)
  LIMIT 50),
vector_hits AS (SELECT a.id AS asset_id, (1 - n.distance)::float8 AS score
  FROM vector_nearest n
  JOIN assets_asset a ON a.current_version_id = n.version_id),
evidence AS (SELECT asset_id, 'vector' AS source, score
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
SELECT p.asset_id, p.score, p.sort_key, p.total, p.concept_score, p.text_score, p.vector_score, NULL::jsonb, NULL::jsonb, NULL::text[], NULL::text, NULL::text, %s::text, a.uid, a.title, a.current_version_id, v.format, v.width, v.height, (SELECT array_agg(asset_id)
  FROM results)
FROM page p
JOIN search_searchdocument d ON d.asset_id = p.asset_id
JOIN assets_asset a ON a.id = p.asset_id
LEFT JOIN assets_assetversion v ON v.id = a.current_version_id
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
--   17: Int4(1)
--   18: LabelDecision.Decision.REJECTED
--   19: 0.15
--   20: 'n02121620'
--   21: 'n02121620'
--   22: '8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11'
--   23: '8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11'
--   24: 4242
--   25: 4242
--   26: 4242
--   27: 'viewer'
--   28: 'contributor'
--   29: 'editor'
--   30: 'moderator'
--   31: 'admin'
--   32: Asset.Moderation.PENDING
--   33: Asset.Moderation.REJECTED
--   34: 4242
--   35: 4242
--   36: 'moderator'
--   37: 'admin'
--   38: 4242
--   39: Asset.Moderation.PENDING
--   40: ['n02124075', 'n02123394', 'n02123597', 'n02121620', 'n02125311', 'n02121808', 'n02127052', 'n02123045', 'n02123159', 'n02124623']
--   41: 60
--   42: 0.5
--   43: 0.3
--   44: 0.2
--   45: 25
--   46: 'similarity-model'

-- facet statement (the page statement listed every hit: [101, 102, 103])
WITH results AS (SELECT a.id AS asset_id, a.current_version_id AS version_id, count(*) OVER () AS total
  FROM assets_asset a
  WHERE a.id = ANY(%s::bigint[])),
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
  GROUP BY c.name);
-- parameters, in the order of their placeholders:
--   1: [101, 102, 103]
--   2: datetime.date(2031, 1, 15)
--   3: datetime.date(2031, 1, 15)
--   4: 20000
--   5: 20000
--   6: 20000
--   7: Int4(1)
--   8: LabelDecision.Decision.REJECTED
--   9: 0.3
--   10: 15
--   11: 15
