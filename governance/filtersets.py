"""The audit-log filter, shared by the admin audit page and its CSV export so both accept one query string."""
from django import forms
from django.contrib.auth import get_user_model

from core.models import AuditEntry
from governance.audit_words import action_choices


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="Who", help_text="A username.")
    action = forms.ChoiceField(required=False, label="What", choices=action_choices,
                               error_messages={"invalid_choice": "Pick what kind of change to show from the list."})
    asset = forms.UUIDField(required=False, widget=forms.HiddenInput)  # set by the asset links in the table
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_actor(self):
        username = self.cleaned_data["actor"].strip()
        if username and not get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError("There is no user with that username.")
        return username


class AuditEntryFilter:
    """Bound to a query string; ``qs`` is the filtered entries (nothing when the query is invalid)."""

    def __init__(self, data, queryset=None):
        self.form = AuditFilterForm(data or None)
        self.queryset = AuditEntry.objects.all() if queryset is None else queryset

    @property
    def qs(self):
        entries = self.queryset.select_related("actor", "asset")
        if not self.form.is_bound:
            return entries
        if not self.form.is_valid():
            return entries.none()
        data = self.form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor__username=data["actor"])
        if data["action"]:
            action = data["action"].strip()
            entries = entries.filter(action__startswith=action) if action.endswith(".") else entries.filter(action=action)
        if data["asset"]:
            entries = entries.filter(asset__uid=data["asset"])
        if data["date_from"]:
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(created_at__date__lte=data["date_to"])
        return entries
