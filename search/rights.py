"""The usage-rights condition of search, as an Asset queryset the statement embeds as a subquery.

Extension point: no rights model exists yet, so the only data is the IPTC/XMP
``rights_usage_terms`` text of the current version, which says *that* terms exist but cannot
be evaluated for a channel, territory or date. When a rights model lands, replace the body of
:func:`usable_assets` with its "usable for channel X in territory Y on date D" queryset; the
search statement, the form, the API and the UI stay as they are.
"""
from assets.models import Asset

EXACT = False
NOTICE = (
    "Usage rights are not recorded yet: “usable for” only keeps assets whose embedded "
    "metadata carries usage terms; channel, territory and date cannot be checked."
)


def usable_assets(use):
    """Assets usable as ``use`` (a ``search.query.RightsUse``) says, as a queryset."""
    return Asset.objects.filter(search_document__has_usage_terms=True)
