"""Form widgets that render without the template engine where a template per item is too slow."""
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


def _grouped(optgroups, write_option, write_group):
    """The options of a widget's ``optgroups``, each written by ``write_option``, groups by ``write_group``."""
    groups = []
    for group_name, options, _ in optgroups:
        html = format_html_join("", "{}", ((write_option(option),) for option in options))
        groups.append(write_group(group_name, html) if group_name else html)
    return format_html_join("", "{}", ((group,) for group in groups))


class DirectSelect(forms.Select):
    """A ``<select>`` whose options are written in one pass: Django's own renders every ``<option>`` through
    a template, ~0.4 ms each here, so the library's filter spent 44 ms of each page on 100 collections
    (docs/benchmarks.md, "Library-wide pages: what the runs say"). Same markup, groups included."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = _grouped(
            widget["optgroups"],
            lambda option: format_html('<option value="{}"{}>{}</option>', option["value"], flatatt(option["attrs"]),
                                       option["label"]),
            lambda group_name, html: format_html('<optgroup label="{}">{}</optgroup>', group_name, html))
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options)


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

        choices = _grouped(widget["optgroups"], choice,
                           lambda group_name, html: format_html("<div><label>{}</label>{}</div>", group_name, html))
        box_id = widget["attrs"].get("id")
        return format_html("<div{}{}>{}</div>", format_html(' id="{}"', box_id) if box_id else "",
                           format_html(' class="{}"', widget["attrs"]["class"]) if widget["attrs"].get("class") else "",
                           choices)
