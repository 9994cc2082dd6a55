"""Forms of the governance pages: rights, role grants, reasons, and the audit filter's inputs."""
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from governance.models import Channel, Role, UsageRights, normalise_territory


class TerritoriesField(forms.CharField):
    """Comma-separated ISO codes as people type them (“fr, de” or “worldwide”); the model validates each."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        return [normalise_territory(part) for part in (value or "").split(",") if part.strip()]


class UsageRightsForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                         help_text="None ticked means every channel.")
    territories = TerritoriesField(required=False, help_text="ISO country codes separated by commas, or “worldwide”. "
                                                             "Empty means everywhere.")

    class Meta:
        model = UsageRights
        fields = ["licence_type", "licence_url", "holder", "credit_line", "channels", "territories", "starts_on",
                  "expires_on", "model_release", "property_release", "restrictions", "acquire_licence_url"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
            "restrictions": forms.Textarea(attrs={"rows": 3}),
        }


class RoleGrantForm(forms.Form):
    """Grant a role to one user (by username) or one group (by name)."""

    username = forms.CharField(required=False, label="User")
    group = forms.ModelChoiceField(Group.objects.order_by("name"), required=False, to_field_name="name")
    role = forms.ChoiceField(choices=Role.choices)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError("There is no active user with that username.")
        return user

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("username")) == bool(cleaned.get("group")):
            raise forms.ValidationError("Name either a user or a group.")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ModerationDecisionForm(forms.Form):
    """The queue's bulk form: the ticked assets, approve or reject, and one reason for all of them."""

    assets = forms.TypedMultipleChoiceField(coerce=str, error_messages={"required": "Tick at least one asset."})
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args, queue, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue = queue
        self.fields["assets"].choices = [(str(uid), str(uid)) for uid in queue.values_list("uid", flat=True)]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Give the reason for rejecting.")
        return cleaned

    def chosen_assets(self):
        return list(self.queue.filter(uid__in=self.cleaned_data["assets"]))
