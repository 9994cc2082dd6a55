"""Search's own tables: the per-asset document, typo vocabulary, image hashes, saved searches."""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from assets.models import Asset, AssetVersion


class Orientation(models.TextChoices):
    LANDSCAPE = "landscape", "Landscape"
    PORTRAIT = "portrait", "Portrait"
    SQUARE = "square", "Square"


class SearchDocument(models.Model):
    """What search reads of an asset's current version, kept by ``search.indexing.reindex_asset``.

    The tsvector weighs title A, keywords and creator B, caption C, OCR text D; the plain
    caption and OCR text are kept for snippets, the scalar columns and colours for filters and facets.
    """

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    document = SearchVectorField()
    caption = models.TextField(blank=True)
    ocr_text = models.TextField(blank=True)
    format = models.CharField(max_length=10, blank=True)
    orientation = models.CharField(max_length=10, choices=Orientation.choices, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    creator = models.CharField(max_length=200, blank=True)
    camera = models.CharField(max_length=200, blank=True)
    has_usage_terms = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)  # where it was taken (GPS), for the map
    longitude = models.FloatField(null=True, blank=True)
    # The version's dominant colours covering at least indexing.COLOUR_MIN_SHARE, largest first, and their shares.
    colours = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    colour_shares = ArrayField(models.FloatField(), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            GinIndex(fields=["document"], name="search_document_gin"),
            models.Index(fields=["taken_at"], name="search_document_taken"),
            models.Index(fields=["creator"], name="search_document_creator"),
            models.Index(fields=["camera"], name="search_document_camera"),
            models.Index(fields=["latitude", "longitude"], name="search_document_place",
                         condition=models.Q(latitude__isnull=False)),
            GinIndex(fields=["colours"], name="search_document_colours"),
        ]


class SearchTerm(models.Model):
    """A word of the vocabulary (document words and concept labels) with its trigrams, for typos."""

    term = models.TextField(primary_key=True)
    trigrams = ArrayField(models.TextField())

    class Meta:
        indexes = [GinIndex(fields=["trigrams"], name="search_term_trigrams")]


class ImageHash(models.Model):
    """dHash of a version's pixels; ``bands`` (8 bytes tagged by position) find candidates by index.

    Two hashes within Hamming distance 6 share at least two of their eight bytes, so a GIN
    overlap on ``bands`` finds every such pair without comparing all pairs.
    """

    version = models.OneToOneField(AssetVersion, on_delete=models.CASCADE, primary_key=True, related_name="image_hash")
    dhash = models.BigIntegerField()
    bands = ArrayField(models.IntegerField())

    class Meta:
        indexes = [GinIndex(fields=["bands"], name="search_hash_bands")]


class SavedSearch(models.Model):
    """A smart collection: the query parameters, re-run live each time it is opened."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_saved_search_name")]

    def __str__(self):
        return self.name
