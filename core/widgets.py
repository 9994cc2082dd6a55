"""Form widgets that render without the template engine where a template per item is too slow."""
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class DirectSelect(forms.Select):
    """A ``<select>`` whose options are written in one pass: Django's own renders every ``<option>`` through
    a template, ~0.4 ms each here, so the library's filter spent 44 ms of each page on 100 collections
    (docs/benchmarks.md, "Library-wide pages: what the runs say"). Same markup, groups included."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _ in widget["optgroups"]:
            html = format_html_join("", '<option value="{}"{}>{}</option>', (
                (option["value"], flatatt(option["attrs"]), option["label"]) for option in options))
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, html) if group_name else html)
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]),
                           format_html_join("", "{}", ((group,) for group in groups)))
