"""The search parameters, validated once for the page, the API and saved searches."""
import re

from django import forms

from assets.models import Asset
from assets.services.inspect import STORED_FORMATS
from core.widgets import DirectCheckboxes, DirectSelect
from governance.models import Channel, normalise_territory, validate_territory
from ontology.labels import normalise
from search import rights
from search.concepts import COLOURS
from search.models import Orientation, SavedSearch
from search.query import (
    DEFAULT_FUSION,
    DEFAULT_PAGE_SIZE,
    FUSIONS,
    MAX_PAGE_SIZE,
    SORTS,
    Cursor,
    RightsUse,
    SearchQuery,
)

CONCEPT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MONTH = re.compile(r"^(1[89]|2[0-2])\d\d-(0[1-9]|1[0-2])$")
PERSON_IN_TEXT = re.compile(r'\bperson:(?:"([^"]+)"|(\S+))', re.IGNORECASE)
OBJECT_COUNT = re.compile(r"^\s*([^:]+?)\s*:\s*(\d{1,3})\s*$")
DATE_FORMATS = ["%Y-%m-%d"]
DATE_ERROR = {"invalid": "Enter the date as YYYY-MM-DD, for example 2024-05-31."}


class ListInput(forms.TextInput):
    """One text box for a repeatable parameter: reads every value, each may hold several, comma-separated."""

    def value_from_datadict(self, data, files, name):
        return [part for value in data.getlist(name) for part in value.split(",")]

    def format_value(self, value):
        return ", ".join(value) if isinstance(value, (list, tuple)) else super().format_value(value)


class MultiValueField(forms.Field):
    """A repeatable query-string parameter (``?concept=a&concept=b``) of free values."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        return [str(v).strip() for v in values if str(v).strip()]


def _date(label):
    return forms.DateField(label=label, required=False, input_formats=DATE_FORMATS, error_messages=DATE_ERROR,
                           widget=forms.DateInput(attrs={"type": "date"}))


def _choices(label, choices, help_text):
    """A repeatable choice; a value outside it is refused naming the values there are."""
    known = ", ".join(str(value) for value, _ in choices)
    return forms.MultipleChoiceField(label=label, required=False, choices=choices, help_text=help_text,
                                     widget=DirectCheckboxes,
                                     error_messages={"invalid_choice": f"“%(value)s” is not one of {known}."})


SORT_WORDS = {"relevance": "Best match", "newest": "Newest uploads", "oldest": "Oldest uploads",
              "taken": "Most recently taken"}
FUSION_WORDS = {"rrf": "Rank fusion: each kind of evidence ranks, the ranks are combined",
                "weighted": "Weighted scores: the scores are added up with weights"}
SORT_CHOICES = [(sort, SORT_WORDS[sort]) for sort in SORTS]
FUSION_CHOICES = [("", "Automatic (recommended)"), *((fusion, FUSION_WORDS[fusion]) for fusion in FUSIONS)]
EXPERT_FIELDS = ("fusion", "page_size")  # the page shows them under "Expert options"


class AnyYesNo(forms.NullBooleanSelect):
    """Any / Yes / No, sent as the API's unknown / true / false."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "Any"), ("true", "Yes"), ("false", "No")]


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=500,
                        help_text='Words and "quoted phrases": matched to concepts (with narrower ones), '
                                  "title, keywords, creator, caption and OCR text; typos are corrected.")
    as_typed = forms.BooleanField(label="Words as typed", required=False, widget=forms.HiddenInput,
                                  help_text="true: search the words as typed, without correcting their spelling.")
    concept = MultiValueField(label="Concept", required=False,
                              help_text="Concept id(s) to search for, e.g. a sense picked from the choices "
                                        "of an ambiguous word. Repeatable.")
    has_concept = MultiValueField(label="Labelled with", required=False,
                                  help_text="Only assets labelled with this concept id or a narrower one. Repeatable.")
    title = forms.CharField(label="Title, caption or keywords contain", required=False, max_length=200,
                            help_text="Every word must occur in the title, keywords, creator or caption.")
    ocr = forms.CharField(label="Text in the image contains", required=False, max_length=200,
                          help_text="Every word must occur in the text read from the image (OCR).")
    creator = forms.CharField(label="Creator", required=False, max_length=200, help_text="Creator, exactly.")
    camera = forms.CharField(label="Camera", required=False, max_length=200, help_text="Camera, exactly.")
    format = _choices("Format", list(STORED_FORMATS.items()), "File format. Repeatable.")
    orientation = _choices("Orientation", Orientation.choices, "From width and height. Repeatable.")
    taken_after = _date("Taken on or after")
    taken_before = _date("Taken on or before")
    year = MultiValueField(label="Year", required=False,
                           help_text="Year taken (or uploaded, when the time taken is unknown). Repeatable.")
    month = MultiValueField(label="Month", required=False,
                            help_text="Month taken (or uploaded, when the time taken is unknown), as YYYY-MM. "
                                      "Repeatable.")
    created_after = _date("Uploaded on or after")
    created_before = _date("Uploaded on or before")
    has_faces = forms.NullBooleanField(label="Faces", required=False, widget=AnyYesNo,
                                       help_text="Whether faces were found in the image.")
    person = MultiValueField(label="Person", required=False,
                             help_text='A person\'s name or id (every one named must be in the image); in the words, '
                                       'person:Name or person:"Full Name". Repeatable.')
    objects = MultiValueField(label="At least this many objects", required=False, widget=ListInput,
                              help_text="What and how many, e.g. “person: 2” for two people or more; separate "
                                        "several with commas.")
    colour = _choices("Colour", [(name, name.capitalize()) for name in COLOURS],
                      "Main colours (each covering at least 5% of the image); every one ticked must be there.")
    collection = forms.CharField(label="Collection", required=False, max_length=200,
                                 help_text="The collection's short name, as in its address.")
    moderation = _choices("Moderation", Asset.Moderation.choices, "Moderation state. Repeatable.")
    has_usage_terms = forms.NullBooleanField(label="Usage terms in the file", required=False, widget=AnyYesNo,
                                             help_text="Whether the file's own metadata states terms of use.")
    rights_status = _choices("Usage rights today", list(rights.STATUSES.items()),
                             "Whether the recorded usage rights allow use today.")
    usable_channel = forms.ChoiceField(label="Usable for channel", required=False,
                                       choices=[("", "Any channel"), *Channel.choices], widget=DirectSelect,
                                       help_text="Only assets whose usage rights allow this channel.")
    usable_territory = forms.CharField(label="Usable in territory", required=False, max_length=10,
                                       help_text="A country's two-letter code, e.g. DE for Germany.")
    usable_on = _date("Usable on date")
    similar_to = forms.UUIDField(label="Looks like", required=False, widget=forms.HiddenInput,
                                 help_text="An asset's id: rank by how alike images look to it.")
    sort = forms.ChoiceField(label="Sort", required=False, choices=SORT_CHOICES, widget=DirectSelect)
    fusion = forms.ChoiceField(label="Ranking", required=False, choices=FUSION_CHOICES, widget=DirectSelect,
                               help_text="How concepts, words and looks are weighed together; leave it automatic "
                                         "unless you are comparing methods.")
    page_size = forms.IntegerField(label="Per page", required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                   help_text=f"Results per page (default {DEFAULT_PAGE_SIZE}).")
    cursor = forms.CharField(label="Page", required=False, max_length=200, widget=forms.HiddenInput,
                             help_text="Where the next page starts; set by the “Next” link.")

    def _concept_ids(self, name):
        concepts = self.cleaned_data[name]
        bad = [c for c in concepts if not CONCEPT_ID.match(c)]
        if bad:
            raise forms.ValidationError(f"“{bad[0]}” is not a concept's id; pick a concept from the suggestions.")
        return concepts

    def clean_concept(self):
        return self._concept_ids("concept")

    def clean_has_concept(self):
        return self._concept_ids("has_concept")

    def clean_usable_territory(self):
        territory = self.cleaned_data["usable_territory"]
        if not territory.strip():
            return ""
        territory = normalise_territory(territory)
        validate_territory(territory)  # a code no rights name would quietly match nothing
        return territory

    def clean_year(self):
        years = self.cleaned_data["year"]
        if not all(y.isdigit() and 1800 <= int(y) <= 2200 for y in years):
            raise forms.ValidationError("Write years as four digits, e.g. 2024.")
        return [int(y) for y in years]

    def clean_month(self):
        months = self.cleaned_data["month"]
        if not all(MONTH.match(m) for m in months):
            raise forms.ValidationError("Write months as YYYY-MM, e.g. 2024-05.")
        return months

    def clean_objects(self):
        counts = []
        for value in self.cleaned_data["objects"]:
            match = OBJECT_COUNT.match(value)
            if not match or not normalise(match.group(1)) or int(match.group(2)) < 1:
                raise forms.ValidationError(f"Write what and how many, e.g. “person: 2” for two people or more "
                                            f"(not “{value}”).")
            counts.append((normalise(match.group(1)), int(match.group(2))))
        return counts

    def clean_cursor(self):
        token = self.cleaned_data["cursor"]
        try:
            return Cursor.decode(token) if token else None
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        if "q" in data and "person" in data:  # person:Name in the words is a person filter, not text
            named = [quoted or plain for quoted, plain in PERSON_IN_TEXT.findall(data["q"])]
            data["q"] = " ".join(PERSON_IN_TEXT.sub(" ", data["q"]).split())
            data["person"] = list(dict.fromkeys([*data["person"], *(" ".join(n.split()) for n in named)]))
        cursor, sort = data.get("cursor"), data.get("sort") or "relevance"
        if cursor is not None and cursor.sort != sort:
            self.add_error("cursor", "This page link belongs to another sort order; start the search again.")
        return data

    def to_query(self):
        data = self.cleaned_data
        use = None
        if data["usable_channel"] or data["usable_territory"] or data["usable_on"]:
            # The date defaults to today in governance.services.rights.usable_for.
            use = RightsUse(data["usable_channel"], data["usable_territory"], data["usable_on"])
        return SearchQuery(
            text=data["q"], as_typed=data["as_typed"], concepts=data["concept"], title=data["title"], ocr=data["ocr"],
            creator=data["creator"], camera=data["camera"], formats=data["format"],
            orientations=data["orientation"], has_concepts=data["has_concept"], years=data["year"], months=data["month"],
            colours=data["colour"],
            taken_after=data["taken_after"], taken_before=data["taken_before"],
            created_after=data["created_after"], created_before=data["created_before"],
            has_faces=data["has_faces"], people=data["person"], min_objects=data["objects"], collection=data["collection"],
            moderation=data["moderation"], has_usage_terms=data["has_usage_terms"], rights=use,
            rights_statuses=data["rights_status"],
            similar_to=str(data["similar_to"]) if data["similar_to"] else "",
            sort=data["sort"] or "relevance", fusion=data["fusion"] or DEFAULT_FUSION,
            page_size=data["page_size"] or DEFAULT_PAGE_SIZE, cursor=data["cursor"],
        )


class SavedSearchForm(forms.ModelForm):
    class Meta:
        model = SavedSearch
        fields = ["name"]


class ImageSearchForm(forms.Form):
    image = forms.ImageField(label="Image", help_text="An image to find similar ones to.")
