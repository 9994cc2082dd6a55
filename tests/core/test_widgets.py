"""DirectSelect and DirectCheckboxes write the same markup as Django's template-rendered widgets."""
import pytest
from django import forms
from django.test.html import parse_html

from core.widgets import DirectCheckboxes, DirectSelect

CHOICES = [("", "Any"), ("travel", "Travel & <b>work</b>"), ("Groups", [("a", "Ä “quoted”"), ("b", "B")]), ("x", "X")]


@pytest.mark.parametrize("value", [None, "", "travel", "a", "nonexistent"])
def test_the_markup_is_django_s_own(value):
    attrs = {"id": "id_collection", "required": True, "data-x": 'say "hi"'}
    direct = DirectSelect(choices=CHOICES).render("collection", value, attrs)
    django = forms.Select(choices=CHOICES).render("collection", value, attrs)
    assert parse_html(direct) == parse_html(django)
    assert "<b>" not in direct and "&lt;b&gt;" in direct


def test_a_model_choice_field_renders_its_rows(db):
    from assets.models import Collection

    Collection.objects.create(name="Travel", slug="travel")
    field = forms.ModelChoiceField(Collection.objects.all(), to_field_name="slug", empty_label="Any", widget=DirectSelect)
    form = type("F", (forms.Form,), {"collection": field})({"collection": "travel"})
    html = str(form["collection"])
    assert parse_html(html) == parse_html(str(form["collection"].as_widget(widget=forms.Select(choices=field.choices))))
    assert 'value="travel" selected' in html


@pytest.mark.parametrize("value", [None, [], ["jpeg"], ["jpeg", "a"], ["nonexistent"]])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_format", "class": "boxes", "data-x": 'say "hi"'}])
def test_the_checkboxes_are_django_s_own(value, attrs):
    choices = [("jpeg", "JPEG & <b>co</b>"), ("png", "PNG"), ("Groups", [("a", "Ä “quoted”"), ("b", "B")])]
    direct = DirectCheckboxes(choices=choices).render("format", value, dict(attrs))
    django = forms.CheckboxSelectMultiple(choices=choices).render("format", value, dict(attrs))
    assert parse_html(direct) == parse_html(django)
    assert "<b>" not in direct and "&lt;b&gt;" in direct
