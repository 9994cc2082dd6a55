"""The concept scheme (WordNet 3.0 plus people's own concepts) that labels point into, and its labels
normalised for lookups."""
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class Concept(models.Model):
    """One concept; ``ancestors`` is the stored transitive closure so expansion is one index lookup."""

    class Source(models.TextChoices):
        WORDNET = "wordnet", "WordNet 3.0"
        CUSTOM = "custom", "Custom"

    id = models.CharField(primary_key=True, max_length=64)  # "n02084071" (WordNet offset) or "x-<slug>"
    name = models.CharField(max_length=200, db_index=True)  # "dog.n.01"
    pref_label = models.CharField(max_length=200, db_index=True)
    alt_labels = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    definition = models.TextField(blank=True)
    broader = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    ancestors = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    imagenet_index = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    coco_label = models.CharField(max_length=50, null=True, blank=True, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WORDNET)

    class Meta:
        ordering = ["pref_label"]
        indexes = [GinIndex(fields=["ancestors"], name="concept_ancestors_gin")]

    def __str__(self):
        return self.pref_label


class ConceptLabel(models.Model):
    """One normalised label of a concept (``ontology.labels``), so query phrases and suggestions are btree lookups."""

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=200)
    label_normalised = models.CharField(max_length=200)
    is_pref = models.BooleanField()
    words = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [
            # varchar_pattern_ops serves both "= phrase" and "LIKE 'prefix%'" (suggestions).
            models.Index(fields=["label_normalised"], name="concept_label_norm", opclasses=["varchar_pattern_ops"]),
        ]
