-- colour_filter: SearchQuery(colours=['red', 'blue'])

-- page statement
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
  AND d.colours @> %s::varchar[]),
scored AS (SELECT asset_id, version_id, created_at, taken_at, 0::float8 AS rrf, 0::float8 AS weighted, NULL::float8 AS concept_score, NULL::float8 AS text_score, NULL::float8 AS vector_score
  FROM filtered),
results AS (SELECT s.*, s.weighted AS score, (extract(epoch FROM s.created_at))::float8 AS sort_key, (SELECT count(*)
    FROM (SELECT 1
      FROM filtered
      LIMIT %s) capped) AS total
  FROM scored s),
page AS (SELECT *
  FROM results
  ORDER BY created_at DESC, asset_id DESC
  LIMIT %s)
SELECT p.asset_id, p.score, p.sort_key, p.total, p.concept_score, p.text_score, p.vector_score, NULL::jsonb, NULL::jsonb, NULL::text[], NULL::text, NULL::text, %s::text, a.uid, a.title, a.current_version_id, v.format, v.width, v.height
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
--   17: ['red', 'blue']
--   18: 10001
--   19: 25
--   20: None

-- facet statement
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
  AND d.colours @> %s::varchar[]),
scored AS (SELECT asset_id, version_id, created_at, taken_at, 0::float8 AS rrf, 0::float8 AS weighted, NULL::float8 AS concept_score, NULL::float8 AS text_score, NULL::float8 AS vector_score
  FROM filtered),
results AS (SELECT s.*, s.weighted AS score, (extract(epoch FROM s.created_at))::float8 AS sort_key, (SELECT count(*)
    FROM (SELECT 1
      FROM filtered
      LIMIT %s) capped) AS total
  FROM scored s),
facet_hits AS MATERIALIZED (SELECT asset_id, version_id, CASE WHEN EXISTS (SELECT 1
    FROM (SELECT "governance_usagerights"."asset_id" AS "asset_id"
      FROM "governance_usagerights"
      WHERE (("governance_usagerights"."starts_on" IS NULL OR "governance_usagerights"."starts_on" <= %s)
        AND ("governance_usagerights"."expires_on" IS NULL OR "governance_usagerights"."expires_on" >= %s))) r
    WHERE r.asset_id = sampled.asset_id OFFSET 0) THEN 'usable' WHEN EXISTS (SELECT 1
    FROM (SELECT "governance_usagerights"."asset_id" AS "asset_id"
      FROM "governance_usagerights") r
    WHERE r.asset_id = sampled.asset_id OFFSET 0) THEN 'not_usable' ELSE 'unknown' END AS rights_status
  FROM (SELECT f.asset_id, f.version_id
    FROM filtered f
    WHERE f.asset_id IN (SELECT asset_id
      FROM search_searchdocument TABLESAMPLE SYSTEM (%s) REPEATABLE (0))) sampled),
facet_scale AS (SELECT %s::float8 AS factor, %s AS approximate)
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
--   17: ['red', 'blue']
--   18: 10001
--   19: datetime.date(2031, 1, 15)
--   20: datetime.date(2031, 1, 15)
--   21: 100.0
--   22: 1.0
--   23: False
--   24: Int4(1)
--   25: LabelDecision.Decision.REJECTED
--   26: 0.3
--   27: 15
--   28: 15
