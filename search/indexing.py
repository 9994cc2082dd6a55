"""Keeping search's rows in step with assets: the search document per asset, the dHash per version.

``reindex_asset`` is called whenever searchable data changes (see ``search.signals``): the
asset's title, caption, keywords or creator (as people edit them), its current version, the OCR text
read from that version, its colours.
"""
import io
import logging

import pillow_heif
from django.db import connection
from PIL import Image, ImageOps

from assets.models import Asset, taken_at
from assets.services.medical import MEDICAL_FORMATS, preview_image
from core.refusals import Refused
from search.models import ImageHash, Orientation, SearchDocument
from search.sql import TABLES

logger = logging.getLogger(__name__)
pillow_heif.register_heif_opener()

SEARCHABLE_ASSET_FIELDS = frozenset({"title", "caption", "keywords", "creator", "current_version"})
HASH_SIZE = 8
COLOUR_MIN_SHARE = 0.05  # a colour covering less of the image is not one of its colours (filter, facet, words)

# One statement: the document (weights A title, B keywords and creator, C caption, D OCR of
# active models; the dominant colours of the active colour analysis), and every word of it added to
# the typo vocabulary.
_UPSERT_SQL = f"""
WITH source AS (
    SELECT %(asset)s::bigint AS asset_id, %(title)s::text AS title, %(keywords)s::text AS keywords,
           %(caption)s::text AS caption,
           coalesce((SELECT string_agg(o.text, E'\\n' ORDER BY o.id)
                       FROM {TABLES.ocr_text} o JOIN {TABLES.model_run} m ON m.id = o.model_id AND m.active
                      WHERE o.version_id = %(version)s), '') AS ocr_text,
           (SELECT p.colours FROM {TABLES.colour_palette} p JOIN {TABLES.model_run} m ON m.id = p.model_id AND m.active
             WHERE p.version_id = %(version)s ORDER BY p.id DESC LIMIT 1) AS palette
), colours AS (
    SELECT coalesce(array_agg(c->>'name' ORDER BY (c->>'share')::float8 DESC), '{{}}') AS names,
           coalesce(array_agg((c->>'share')::float8 ORDER BY (c->>'share')::float8 DESC), '{{}}') AS shares
      FROM source CROSS JOIN LATERAL jsonb_array_elements(coalesce(source.palette, '[]'::jsonb)) AS c
     WHERE (c->>'share')::float8 >= %(colour_min_share)s
), document AS (
    INSERT INTO {TABLES.search_document} AS d
           (asset_id, document, caption, ocr_text, format, orientation, taken_at, creator, camera,
            has_usage_terms, latitude, longitude, colours, colour_shares, updated_at)
    SELECT asset_id,
           setweight(to_tsvector('english', title), 'A')
           || setweight(to_tsvector('english', keywords), 'B')
           || setweight(to_tsvector('english', caption), 'C')
           || setweight(to_tsvector('english', ocr_text), 'D'),
           caption, ocr_text, %(format)s, %(orientation)s, %(taken_at)s, %(creator)s, %(camera)s,
           %(has_usage_terms)s, %(latitude)s, %(longitude)s, colours.names, colours.shares, now()
      FROM source CROSS JOIN colours
    ON CONFLICT (asset_id) DO UPDATE SET
           document = EXCLUDED.document, caption = EXCLUDED.caption, ocr_text = EXCLUDED.ocr_text,
           format = EXCLUDED.format, orientation = EXCLUDED.orientation, taken_at = EXCLUDED.taken_at,
           creator = EXCLUDED.creator, camera = EXCLUDED.camera, has_usage_terms = EXCLUDED.has_usage_terms,
           latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
           colours = EXCLUDED.colours, colour_shares = EXCLUDED.colour_shares, updated_at = EXCLUDED.updated_at
    RETURNING d.asset_id
)
INSERT INTO {TABLES.search_term} (term, trigrams)
SELECT DISTINCT word, search_trigrams(word)
  FROM source, unnest(tsvector_to_array(to_tsvector('simple', title || ' ' || keywords || ' ' || caption
                                                               || ' ' || ocr_text))) AS word
 WHERE word ~ '^[a-z]{{3,40}}$' AND EXISTS (SELECT 1 FROM document)
ON CONFLICT (term) DO NOTHING
"""


def orientation_of(width, height):
    if width == height:
        return Orientation.SQUARE
    return Orientation.LANDSCAPE if width > height else Orientation.PORTRAIT


def _camera(metadata):
    make, model = (str(metadata.get(key) or "").strip() for key in ("camera_make", "camera_model"))
    return model if model.lower().startswith(make.lower()) else f"{make} {model}".strip()


def _position(gps):
    """Latitude and longitude from the metadata's ``gps`` (decimal degrees), or none."""
    lat, lon = (gps.get(key) if isinstance(gps, dict) else None for key in ("lat", "lon"))
    valid = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)) \
        and abs(lat) <= 90 and abs(lon) <= 180
    return {"latitude": lat if valid else None, "longitude": lon if valid else None}


def _text_list(value):
    return [str(item) for item in value] if isinstance(value, list) else [str(value or "")]


def reindex_asset(asset):
    """Rebuild the search document of ``asset`` (an instance or a pk) from its current version."""
    if not isinstance(asset, Asset):
        asset = Asset.objects.select_related("current_version").filter(pk=asset).first()
        if asset is None:
            return
    version = asset.current_version
    if version is None:
        SearchDocument.objects.filter(asset_id=asset.pk).delete()
        return
    metadata = version.metadata or {}
    creator = asset.creator
    params = {
        "asset": asset.pk,
        "version": version.pk,
        "title": asset.title,
        "keywords": " ".join([*asset.keywords, creator]),
        "caption": asset.caption,
        "format": version.format,
        "orientation": orientation_of(version.width, version.height),
        "taken_at": taken_at(metadata),
        "creator": creator[:200],
        "camera": _camera(metadata)[:200],
        "has_usage_terms": bool(metadata.get("rights_usage_terms")),
        **_position(metadata.get("gps")),
        "colour_min_share": COLOUR_MIN_SHARE,
    }
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL, params)


def dhash(image):
    """64-bit difference hash of an upright image: is each pixel brighter than its right neighbour."""
    small = ImageOps.exif_transpose(image).convert("L").resize((HASH_SIZE + 1, HASH_SIZE), Image.Resampling.BILINEAR)
    pixels = list(small.getdata())
    value = 0
    for row in range(HASH_SIZE):
        for col in range(HASH_SIZE):
            left = pixels[row * (HASH_SIZE + 1) + col]
            value = (value << 1) | (left > pixels[row * (HASH_SIZE + 1) + col + 1])
    return value - (1 << 64) if value >= 1 << 63 else value


def hash_bands(value):
    """The eight bytes of a hash, each tagged with its position (position * 256 + byte)."""
    unsigned = value & ((1 << 64) - 1)
    return [position * 256 + ((unsigned >> (8 * position)) & 0xFF) for position in range(8)]


def _hashed_picture(version, data):
    """The pixels a person sees: DICOM and NIfTI through their preview image."""
    if version.format in MEDICAL_FORMATS:
        return preview_image(version.format, data)
    return Image.open(io.BytesIO(data))


def hash_version(version):
    """Store the dHash of ``version``'s pixels; a file Pillow cannot read just gets no hash."""
    try:
        with version.file.open("rb") as stored, _hashed_picture(version, stored.read()) as image:
            image.draft("L", (64, 64))
            value = dhash(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Refused):
        logger.warning("no perceptual hash for version %s", version.pk, exc_info=True)
        return None
    ImageHash.objects.bulk_create(
        [ImageHash(version=version, dhash=value, bands=hash_bands(value))],
        update_conflicts=True, unique_fields=["version"], update_fields=["dhash", "bands"],
    )
    return value
