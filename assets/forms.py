"""HTML forms for the browser UI; they only parse input, the services decide what is allowed."""
import json

from django import forms

from assets import permissions
from assets.models import Asset, Collection
from assets.services.editing import clean_keywords
from assets.services.inspect import ACCEPTED_LABEL
from core.refusals import Refused


class KeywordsField(forms.CharField):
    """Keywords typed in one box, separated by commas (a list from code or JSON is taken as it is)."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return [str(part) for part in value]
        return [part for part in (value or "").split(",") if part.strip()]

    def clean(self, value):
        try:
            return clean_keywords(super().clean(value))
        except Refused as refusal:
            raise forms.ValidationError(refusal.message) from refusal


class RightsTermsField(forms.CharField):
    """Usage rights for every new asset of an upload, as JSON (governance checks the fields:
    ``assets.signals.upload_rights``)."""

    widget = forms.HiddenInput

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            terms = json.loads(value)
        except ValueError:
            terms = None
        if not isinstance(terms, dict):
            raise forms.ValidationError("Usage rights must be a JSON object of rights fields.")
        return terms or None


class UploadForm(forms.Form):
    """One file for a new asset: used by the single upload page and by each bulk-upload request."""

    file = forms.FileField(label="Image file", help_text=f"{ACCEPTED_LABEL}.")
    title = forms.CharField(label="Title", max_length=500, required=False,
                            help_text="Leave empty to use the embedded title or the file name.")
    collection = forms.ModelChoiceField(Collection.objects.none(), label="Collection", required=False,
                                        empty_label="No collection")
    anonymise_faces = forms.BooleanField(label="Blur faces in previews", required=False,
                                         help_text="Collections may also require this for everything filed in them.")
    keywords = KeywordsField(label="Keywords", required=False,
                             help_text="Added to every new image, with those the files carry. Separate them with commas.")
    rights = RightsTermsField(required=False)

    def __init__(self, user, *args, **kwargs):
        """Only collections the user may file uploads into are offered (and accepted)."""
        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = permissions.collections_with_role(user, "contributor")

    def collections(self):
        collection = self.cleaned_data.get("collection")
        return (collection,) if collection else ()


class NewVersionForm(forms.Form):
    file = forms.FileField(label="New version file")
    comment = forms.CharField(label="What changed", max_length=500, required=False)


class CollectionForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Collection.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A collection with this name already exists.")
        return name


class MetadataForm(forms.ModelForm):
    """What people edit of an asset (``assets.services.editing.edit_metadata`` decides and records it)."""

    keywords = KeywordsField(label="Keywords", required=False, help_text="Separate them with commas.")

    class Meta:
        model = Asset
        fields = ["title", "caption", "alt_text", "keywords", "creator", "credit", "copyright"]
        labels = {"alt_text": "Alt text", "copyright": "Copyright notice"}
        help_texts = {"alt_text": "What the image shows, for people who cannot see it (screen readers).",
                      "credit": "How to credit the image when it is published.",
                      "creator": "Who made the image."}
        widgets = {"caption": forms.Textarea(attrs={"rows": 3}), "alt_text": forms.Textarea(attrs={"rows": 2})}


class DownloadForm(forms.Form):
    """What a download is for: usage rights may not cover every channel (governance checks the value)."""

    channel = forms.SlugField(required=False, max_length=20)
