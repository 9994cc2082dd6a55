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
           SELECT al.asset_id FROM ontology_concept narrower CROSS JOIN LATERAL (SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text FROM (SELECT "enrichment_machinelabel"."version_id" AS "version_id", "enrichment_machinelabel"."concept_id" AS "concept_id", "enrichment_machinelabel"."confidence" AS "confidence", "enrichment_machinelabel"."model_id" AS "model_id", "enrichment_modelrun"."capability" AS "source" FROM "enrichment_machinelabel" INNER JOIN "enrichment_modelrun" ON ("enrichment_machinelabel"."model_id" = "enrichment_modelrun"."id") INNER JOIN "assets_assetversion" ON ("enrichment_machinelabel"."version_id" = "assets_assetversion"."id") WHERE ("enrichment_modelrun"."active" AND NOT (EXISTS(SELECT %s AS "a" FROM "enrichment_labeldecision" U0 WHERE (U0."asset_id" = ("assets_assetversion"."asset_id") AND U0."concept_id" = ("enrichment_machinelabel"."concept_id") AND U0."decision" = %s) LIMIT 1)))) ml JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id WHERE ml.concept_id = narrower.id UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text FROM (SELECT ld.asset_id, ld.concept_id FROM enrichment_labeldecision ld WHERE ld.decision = 'added') added WHERE added.concept_id = narrower.id) al WHERE (narrower.id = c.id OR narrower.ancestors @> ARRAY[c.id]::varchar[]) AND al.confidence >= %s AND al.asset_id IN (SELECT "assets_asset"."id" AS "id" FROM "assets_asset" WHERE (("assets_asset"."owner_id" = %s OR EXISTS (SELECT 1 FROM assets_asset_collections gate_m WHERE gate_m.asset_id = "assets_asset"."id" AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id FROM assets_collectionrole gate_r WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id FROM auth_user_groups gate_g WHERE gate_g.user_id = %s)) AND gate_r.role IN (%s, %s, %s, %s, %s))) OFFSET 0)) AND (NOT ("assets_asset"."moderation_state" IN (%s, %s)) OR EXISTS (SELECT 1 FROM assets_asset_collections gate_m WHERE gate_m.asset_id = "assets_asset"."id" AND gate_m.collection_id = ANY(ARRAY(SELECT gate_r.collection_id FROM assets_collectionrole gate_r WHERE (gate_r.user_id = %s OR gate_r.group_id IN (SELECT gate_g.group_id FROM auth_user_groups gate_g WHERE gate_g.user_id = %s)) AND gate_r.role IN (%s, %s))) OFFSET 0) OR ("assets_asset"."owner_id" = %s AND "assets_asset"."moderation_state" = %s)) AND "assets_asset"."deleted_at" IS NULL)) LIMIT %s) capped) counted) shown
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
--   7: 4242
--   8: 4242
--   9: 'viewer'
--   10: 'contributor'
--   11: 'editor'
--   12: 'moderator'
--   13: 'admin'
--   14: Asset.Moderation.PENDING
--   15: Asset.Moderation.REJECTED
--   16: 4242
--   17: 4242
--   18: 'moderator'
--   19: 'admin'
--   20: 4242
--   21: Asset.Moderation.PENDING
--   22: 1001
--   23: 8
