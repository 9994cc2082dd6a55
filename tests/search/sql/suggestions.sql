-- suggestions for "cats" (search.service.suggest_concepts)

WITH candidates AS (
    SELECT concept_id, label, label_normalised FROM (
        SELECT DISTINCT ON (l.concept_id) l.concept_id, l.label, l.label_normalised
          FROM ontology_conceptlabel l WHERE l.label_normalised LIKE ANY(%s)
         ORDER BY l.concept_id, length(l.label_normalised), l.is_pref DESC) best
     ORDER BY length(label_normalised), label_normalised LIMIT 50
)
SELECT id, pref_label, label, definition, count, more FROM (
    SELECT c.id, c.pref_label, cand.label, cand.label_normalised, c.definition, counted.count, counted.more
      FROM candidates cand JOIN ontology_concept c ON c.id = cand.concept_id
     CROSS JOIN LATERAL (SELECT count(DISTINCT capped.asset_id) AS count, count(*) > %s AS more FROM (
           SELECT al.asset_id FROM ontology_concept narrower CROSS JOIN LATERAL (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text FROM (SELECT "enrichment_machinelabel"."version_id" AS "version_id", "enrichment_machinelabel"."concept_id" AS "concept_id", "enrichment_machinelabel"."confidence" AS "confidence", "enrichment_machinelabel"."model_id" AS "model_id", "enrichment_modelrun"."capability" AS "source" FROM "enrichment_machinelabel" INNER JOIN "enrichment_modelrun" ON ("enrichment_machinelabel"."model_id" = "enrichment_modelrun"."id") INNER JOIN "assets_assetversion" ON ("enrichment_machinelabel"."version_id" = "assets_assetversion"."id") WHERE ("enrichment_modelrun"."active" AND NOT (EXISTS(SELECT %s AS "a" FROM "enrichment_labeldecision" U0 WHERE (U0."asset_id" = ("assets_assetversion"."asset_id") AND U0."concept_id" = ("enrichment_machinelabel"."concept_id") AND U0."decision" = %s) LIMIT 1)))) ml JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id WHERE ml.concept_id = narrower.id UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text FROM (SELECT ld.asset_id, ld.concept_id FROM enrichment_labeldecision ld WHERE ld.decision = 'added') added WHERE added.concept_id = narrower.id) al WHERE (narrower.id = c.id OR narrower.ancestors @> ARRAY[c.id]::varchar[]) AND al.confidence >= %s AND al.asset_id IN (SELECT "assets_asset"."id" AS "id" FROM "assets_asset" WHERE (("assets_asset"."owner_id" = %s OR EXISTS(SELECT %s AS "a" FROM "assets_asset_collections" W0 WHERE (W0."collection_id" = ANY(ARRAY(SELECT V0."collection_id" AS "collection_id" FROM "assets_collectionrole" V0 WHERE ((V0."user_id" = %s OR V0."group_id" IN (SELECT U0."group_id" AS "group_id" FROM "auth_user_groups" U0 WHERE U0."user_id" = %s)) AND V0."role" IN (%s, %s, %s, %s, %s)))) AND W0."asset_id" = ("assets_asset"."id")) LIMIT 1 OFFSET 0)) AND (NOT ("assets_asset"."moderation_state" IN (%s, %s)) OR EXISTS(SELECT %s AS "a" FROM "assets_asset_collections" W0 WHERE (W0."collection_id" = ANY(ARRAY(SELECT V0."collection_id" AS "collection_id" FROM "assets_collectionrole" V0 WHERE ((V0."user_id" = %s OR V0."group_id" IN (SELECT U0."group_id" AS "group_id" FROM "auth_user_groups" U0 WHERE U0."user_id" = %s)) AND V0."role" IN (%s, %s)))) AND W0."asset_id" = ("assets_asset"."id")) LIMIT 1 OFFSET 0) OR ("assets_asset"."owner_id" = %s AND "assets_asset"."moderation_state" = %s)) AND "assets_asset"."deleted_at" IS NULL)) LIMIT %s) capped) counted) shown
 ORDER BY count > 0 DESC, length(label_normalised), label = pref_label DESC, count DESC, pref_label
 LIMIT %s
;
-- parameters, in the order of their placeholders:
--   1: ['cat%', 'cats%']
--   2: 1000
--   3: Int4(1)
--   4: LabelDecision.Decision.REJECTED
--   5: 0.15
--   6: 4242
--   7: Int4(1)
--   8: 4242
--   9: 4242
--   10: 'viewer'
--   11: 'contributor'
--   12: 'editor'
--   13: 'moderator'
--   14: 'admin'
--   15: Asset.Moderation.PENDING
--   16: Asset.Moderation.REJECTED
--   17: Int4(1)
--   18: 4242
--   19: 4242
--   20: 'moderator'
--   21: 'admin'
--   22: 4242
--   23: Asset.Moderation.PENDING
--   24: 1001
--   25: 8
