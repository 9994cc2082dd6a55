from django.db import migrations

BOAT, VESSEL = "n02858304", "n04530566"  # boat.n.01, vessel.n.02


def label(apps, frm, to):
    """Move the detector's "boat" label between concepts (a fresh database already loaded it on the vessel)."""
    Concept = apps.get_model("ontology", "Concept")
    if Concept.objects.filter(pk=frm, coco_label="boat").update(coco_label=None):
        Concept.objects.filter(pk=to).update(coco_label="boat")


class Migration(migrations.Migration):
    """COCO's "boat" names vessel.n.02 (ships included), not boat.n.01 (ontology/data/README.md)."""

    dependencies = [("ontology", "0003_conceptlabel")]
    operations = [migrations.RunPython(lambda apps, editor: label(apps, BOAT, VESSEL),
                                       lambda apps, editor: label(apps, VESSEL, BOAT))]
