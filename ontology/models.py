"""The concept scheme (WordNet 3.0 plus people's own concepts) that labels point into."""
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
