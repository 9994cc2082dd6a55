from django.db import migrations

BOAT, VESSEL = "n02858304", "n04530566"  # boat.n.01, vessel.n.02

MOVE = (
    "UPDATE enrichment_detection SET concept_id = %(to)s WHERE kind = 'object' AND label = 'boat' "
    "AND concept_id = %(from)s",
    "UPDATE enrichment_machinelabel ml SET concept_id = %(to)s FROM enrichment_modelrun m "
    "WHERE m.id = ml.model_id AND m.capability = 'detect' AND ml.concept_id = %(from)s",
)


def move(frm, to):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in MOVE:
                cursor.execute(statement, {"from": frm, "to": to})
    return run


class Migration(migrations.Migration):
    """What the detector found as "boat" is labelled with the vessel from now on (ontology 0004); its
    stored boxes and labels move with it, so search reads them as re-enrichment would write them."""

    dependencies = [("enrichment", "0003_colourpalette"), ("ontology", "0004_coco_boat_is_a_vessel")]
    operations = [migrations.RunPython(move(BOAT, VESSEL), move(VESSEL, BOAT))]
