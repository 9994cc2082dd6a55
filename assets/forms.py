"""HTML forms for the browser UI; they only parse input, the services decide what is allowed."""
from django import forms

from assets import permissions
from assets.models import Collection
from assets.services.inspect import ACCEPTED_LABEL


class UploadForm(forms.Form):
    """One file for a new asset: used by the single upload page and by each bulk-upload request."""

    file = forms.FileField(label="Image file", help_text=f"{ACCEPTED_LABEL}.")
    title = forms.CharField(label="Title", max_length=500, required=False,
                            help_text="Leave empty to use the embedded title or the file name.")
    collection = forms.ModelChoiceField(Collection.objects.none(), label="Collection", required=False,
                                        empty_label="No collection")
    anonymise_faces = forms.BooleanField(label="Blur faces in previews", required=False,
                                         help_text="Collections may also require this for everything filed in them.")

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
