"""Saved searches (smart collections): stored parameters that are run again, live, when opened."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404

from core import audit
from search.models import SavedSearch

POSITION_PARAMS = ("cursor", "page_size")


def search_params(query_dict):
    """The parameters of a search worth keeping, as {name: [values]}: everything but the page position."""
    return {key: values for key, values in query_dict.lists() if key not in POSITION_PARAMS and any(values)}


def own_saved_search(user, pk):
    """The saved search ``pk`` if ``user`` owns it; saved searches are private to their owner."""
    saved = get_object_or_404(SavedSearch, pk=pk)
    if saved.owner_id != user.pk:
        raise PermissionDenied
    return saved


def save_search(owner, name, params, *, actor):
    """Create (or overwrite, by name) ``owner``'s saved search."""
    with transaction.atomic():
        saved, created = SavedSearch.objects.update_or_create(owner=owner, name=name.strip(),
                                                              defaults={"params": params})
        audit.record(actor, "search.save" if created else "search.update", obj=saved,
                     after={"name": saved.name, "params": params})
    return saved


def delete_saved_search(saved, *, actor):
    with transaction.atomic():
        audit.record(actor, "search.delete", obj=saved, before={"name": saved.name, "params": saved.params})
        saved.delete()


def search_data(params, position=None):
    """Form data for stored ``params`` ({name: [values]}), with an optional page position (cursor, page_size)."""
    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, list(values))
    for key in POSITION_PARAMS:
        if position and position.get(key):
            data.setlist(key, [position.get(key)])
    return data
