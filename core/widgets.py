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


class DirectCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes written in one pass, with the markup of Django's ``CheckboxSelectMultiple``, which renders three
    templates per choice (~0.4 ms each here): the library filter's formats cost ~3 ms of every page."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]

        def choice(option):
            box = format_html('<input type="{}" name="{}" value="{}"{}>', option["type"], option["name"],
                              option["value"], flatatt(option["attrs"]))
            label_for = format_html(' for="{}"', option["attrs"]["id"]) if option["attrs"].get("id") else ""
            return format_html("<div><label{}>{} {}</label></div>", label_for, box, option["label"])

        groups = []
        for group_name, options, _ in widget["optgroups"]:
            html = format_html_join("", "{}", ((choice(option),) for option in options))
            groups.append(format_html("<div><label>{}</label>{}</div>", group_name, html) if group_name else html)
        box_id = widget["attrs"].get("id")
        return format_html("<div{}{}>{}</div>", format_html(' id="{}"', box_id) if box_id else "",
                           format_html(' class="{}"', widget["attrs"]["class"]) if widget["attrs"].get("class") else "",
                           format_html_join("", "{}", ((group,) for group in groups)))
