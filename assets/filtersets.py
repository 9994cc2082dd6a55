"""The one asset filter, shared by the library page and the API list so both accept the same query string."""
import json
from functools import cached_property

from django import forms
from django.db.models import DateField, Exists, F, JSONField, OuterRef, Q, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Left, Lower, TruncDate
from django.utils.datastructures import MultiValueDict

from assets import permissions
from assets.models import Asset, Collection
from assets.services.inspect import STORED_FORMATS
from core.widgets import DirectCheckboxes, DirectSelect

TAKEN_AT = KeyTextTransform("taken_at", "current_version__metadata")

# ?ordering= value -> (label, order_by fields); the id keeps pages stable when the first key ties.
ORDERINGS = {
    "-created_at": ("Newest uploads first", ("-created_at", "-id")),
    "created_at": ("Oldest uploads first", ("created_at", "id")),
    "title": ("Title A–Z", ("title", "id")),
    "-taken_at": ("Most recently taken first", ("-captured_at", "-id")),
    "taken_at": ("Earliest taken first", ("captured_at", "id")),
}
DEFAULT_ORDERING = "-created_at"


class CollectionSlugOrIdField(forms.ModelChoiceField):
    """Accepts the slug (what links and the API use) or the numeric id (what older links carry)."""

    default_error_messages = {"invalid_choice": "There is no collection with that slug or id."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        collection = self.queryset.filter(slug=value).first()
        if collection is None and value.isdigit():
            collection = self.queryset.filter(pk=value).first()
        if collection is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return collection


class AssetFilterForm(forms.Form):
    """Validates the query string; error messages are shown as they are, so they name the expected shape."""

    q = forms.CharField(label="Title or caption contains", required=False, max_length=200)
    format = forms.MultipleChoiceField(
        label="Format", required=False, widget=DirectCheckboxes,
        choices=list(STORED_FORMATS.items()),
        error_messages={"invalid_choice": "Unknown format “%(value)s”; use one of: " + ", ".join(STORED_FORMATS) + "."},
    )
    date_from = forms.DateField(
        label="Taken on or after", required=False, input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, for example 2024-05-31."},
    )
    date_to = forms.DateField(
        label="Taken on or before", required=False, input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, for example 2024-05-31."},
    )
    keyword = forms.CharField(label="Keyword", required=False, max_length=200)
    collection = CollectionSlugOrIdField(
        Collection.objects.all(), label="Collection", required=False, to_field_name="slug", empty_label="Any",
        widget=DirectSelect,
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *Asset.Status.choices], widget=DirectSelect,
        error_messages={"invalid_choice": "Unknown status “%(value)s”; use one of: "
                        + ", ".join(Asset.Status.values) + "."},
    )
    ordering = forms.ChoiceField(
        label="Sort by", required=False, choices=[(key, label) for key, (label, _) in ORDERINGS.items()],
        widget=DirectSelect,
        error_messages={"invalid_choice": "Unknown ordering “%(value)s”; use one of: " + ", ".join(ORDERINGS) + "."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


def asks_for_filters(params):
    """Whether a query string names any of the filters or the ordering (pagination parameters are neither)."""
    return any(name in params for name in AssetFilterForm.base_fields)


def _as_multi_value(params):
    """A plain dict from code or tests behaves like a query string (``format`` may be a list)."""
    if hasattr(params, "getlist"):
        return params
    return MultiValueDict({key: value if isinstance(value, (list, tuple)) else [value] for key, value in params.items()})


class AssetFilter:
    """``AssetFilter(request.GET, queryset).qs``: valid filters are applied, invalid ones reported in ``.errors``.

    The queryset should already have passed ``assets.permissions.visible_assets``; this only narrows it.
    With a ``request``, the collection filter offers and accepts only the collections its user has a role on.
    """

    def __init__(self, params=None, queryset=None, *, request=None):
        self.params = _as_multi_value(params or {})
        self.queryset = Asset.objects.all() if queryset is None else queryset
        self.request = request

    @cached_property
    def form(self):
        form = AssetFilterForm(self.params)
        if self.request is not None:  # the caller's collections only: others' names are neither offered nor confirmed
            form.fields["collection"].queryset = permissions.collections_with_role(self.request.user, "viewer")
        return form

    @cached_property
    def asked(self):
        """Whether the query string names any filter or ordering: a list without one (most API pages, every
        cursor page of them) neither builds nor validates the form, which was about a tenth of its time."""
        return asks_for_filters(self.params)

    @property
    def errors(self):
        """``{field: [messages]}`` for the values that were refused (empty when everything was valid)."""
        if not self.asked:
            return {}
        return {field: [error["message"] for error in errors] for field, errors in self.form.errors.get_json_data().items()}

    def is_valid(self):
        return not self.asked or self.form.is_valid()

    @property
    def values(self):
        """The valid values asked for, by filter name (``{}`` when none is)."""
        if not self.asked:
            return {}
        self.form.is_valid()
        return self.form.cleaned_data

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            self._qs = self._filter(self.queryset, self.values)
        return self._qs

    def _filter(self, queryset, values):
        if values.get("date_from") or values.get("date_to"):
            # The date filters read the date as written in the file (its own zone), so they stay on the metadata.
            queryset = queryset.alias(captured_on=Coalesce(Cast(Left(TAKEN_AT, 10), DateField()),
                                                           TruncDate("created_at")))
        if values.get("q"):
            queryset = queryset.filter(Q(title__icontains=values["q"]) | Q(caption__icontains=values["q"]))
        if values.get("format"):
            queryset = queryset.filter(current_version__format__in=values["format"])
        if values.get("date_from"):
            queryset = queryset.filter(captured_on__gte=values["date_from"])
        if values.get("date_to"):
            queryset = queryset.filter(captured_on__lte=values["date_to"])
        if values.get("keyword"):
            queryset = queryset.alias(keywords_lower=_lowercase_json(F("keywords")))
            queryset = queryset.filter(keywords_lower__contains=_lowercase_json(Value(json.dumps([values["keyword"]], ensure_ascii=False))))
        if values.get("collection"):
            memberships = Asset.collections.through.objects.filter(asset_id=OuterRef("pk"), collection=values["collection"])
            queryset = queryset.filter(Exists(memberships))
        if values.get("status"):
            queryset = queryset.filter(status=values["status"])
        return queryset.order_by(*ORDERINGS[values.get("ordering") or DEFAULT_ORDERING][1])


def _lowercase_json(expression):
    """Lower-case JSON in SQL, so JSONB containment ignores case; both sides must carry literal (unescaped) text."""
    return Cast(Lower(Cast(expression, TextField())), JSONField())
