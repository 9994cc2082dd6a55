"""``{% load audit_tags %}``: audit entries in words on the history and audit pages (``governance.audit_words``)."""
from django import template

from governance import audit_words

register = template.Library()


@register.filter
def action_words(action):
    return audit_words.action_words(action)


@register.simple_tag
def audit_changes(entry):
    return audit_words.changes(entry.before, entry.after)


@register.simple_tag
def audit_record(entry):
    return audit_words.record_text(entry.before, entry.after)
