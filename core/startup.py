"""What a web process does once, before its first request."""
import gc

from django.urls import get_resolver


def freeze_startup_objects():
    """Import every view now, and keep what start-up loaded out of the garbage collector's full passes.

    A web process holds ~200,000 long-lived objects (Django, DRF, URL patterns, models, settings); each full
    collection walked them all, ~260 ms once every 15 or so list pages, which made the slowest request of
    every twenty (docs/benchmarks.md, "Library-wide pages"). ``gc.freeze`` moves them to a permanent
    generation, so a full pass walks only what requests made: ~40 ms."""
    get_resolver().url_patterns  # noqa: B018 -- the URLconf imports every view module
    gc.collect()
    gc.freeze()
